package dev.palisade.controlplane.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;

/**
 * Export of stored flow records as OpenTelemetry logs over OTLP/HTTP (http/protobuf), best effort: the flow store is
 * the system of record (control-plane/README.md "OTLP export").
 *
 * @param endpoint where logs are POSTed: {@code http(s)://HOST:PORT/v1/logs} ({@link #parseEndpoint})
 * @param queueSize records waiting for export, at most, before new ones are dropped and counted
 *     ({@value #DEFAULT_QUEUE_SIZE}; {@code palisade control-plane --otlp-queue-size}); as many again may wait to be
 *     rendered
 * @param maxBatchSize records per export request (512)
 * @param scheduleDelay the longest a record waits for a batch to fill (1 s)
 * @param exportTimeout the longest one export request may take, retries included (10 s)
 */
public record OtlpConfig(
        URI endpoint, int queueSize, int maxBatchSize, Duration scheduleDelay, Duration exportTimeout) {
    /** The OTLP/HTTP path for logs, used when the URL has none. */
    public static final String LOGS_PATH = "/v1/logs";

    /**
     * The default queue: a burst of ~20,000 records/s into a healthy loopback receiver dropped 2,600–4,800 of 21,900
     * records with 2,048; records wait here as a few hundred bytes each, so 16,384 costs a few MiB at most.
     */
    public static final int DEFAULT_QUEUE_SIZE = 16_384;

    /** The largest queue {@code --otlp-queue-size} takes. */
    public static final int MAX_QUEUE_SIZE = 1_048_576;

    private static final int DEFAULT_BATCH = 512;

    private static final String EXPECTED = "expected http://HOST:PORT or https://HOST:PORT, optionally with a path;"
            + " e.g. http://otel-collector.observability:4318";

    public OtlpConfig {
        requireNonNull(endpoint, "endpoint");
        requireNonNull(scheduleDelay, "scheduleDelay");
        requireNonNull(exportTimeout, "exportTimeout");
        if (queueSize < 1) {
            throw new IllegalArgumentException("queueSize: " + queueSize + " (expected: > 0)");
        }
        if (maxBatchSize < 1 || maxBatchSize > queueSize) {
            throw new IllegalArgumentException(
                    "maxBatchSize: " + maxBatchSize + " (expected: from 1 to queueSize " + queueSize + ")");
        }
        if (scheduleDelay.isNegative() || scheduleDelay.isZero()) {
            throw new IllegalArgumentException("scheduleDelay: " + scheduleDelay + " (expected: > 0)");
        }
        if (exportTimeout.isNegative() || exportTimeout.isZero()) {
            throw new IllegalArgumentException("exportTimeout: " + exportTimeout + " (expected: > 0)");
        }
    }

    /** Export to {@code url} ({@link #parseEndpoint}) with the default queue, batch and timeouts. */
    public static OtlpConfig of(String url) {
        return new OtlpConfig(
                parseEndpoint(url), DEFAULT_QUEUE_SIZE, DEFAULT_BATCH, Duration.ofSeconds(1), Duration.ofSeconds(10));
    }

    /** The same export with a queue of {@code queueSize} records (batches of 512, or of the queue when smaller). */
    public OtlpConfig withQueueSize(int queueSize) {
        if (queueSize < 1 || queueSize > MAX_QUEUE_SIZE) {
            throw new IllegalArgumentException(
                    "queue size " + queueSize + " (expected: from 1 to " + MAX_QUEUE_SIZE + ")");
        }
        return new OtlpConfig(endpoint, queueSize, Math.min(DEFAULT_BATCH, queueSize), scheduleDelay, exportTimeout);
    }

    public OtlpConfig withQueue(int queueSize, int maxBatchSize, Duration scheduleDelay, Duration exportTimeout) {
        return new OtlpConfig(endpoint, queueSize, maxBatchSize, scheduleDelay, exportTimeout);
    }

    /**
     * The logs URL of an OTLP/HTTP receiver: scheme {@code http} or {@code https}, a host and an explicit port (no
     * default: the OTLP/HTTP port is 4318, the scheme's would be 80 or 443); no user info, query or fragment. Without
     * a path (or with {@code /}) the path is {@value #LOGS_PATH}; a path given is used as it is.
     *
     * @throws IllegalArgumentException naming the value and what is wrong with it
     */
    public static URI parseEndpoint(String url) {
        requireNonNull(url, "url");
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw bad(url, "not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw bad(url, "no scheme");
        }
        scheme = scheme.toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw bad(url, "scheme '" + scheme + "' (OTLP/HTTP is http or https; gRPC is not supported)");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw bad(url, "no host");
        }
        if (uri.getPort() == -1) {
            throw bad(url, "no port (an OTLP/HTTP receiver listens on 4318 by default)");
        }
        if (uri.getPort() < 1 || uri.getPort() > 65_535) {
            throw bad(url, "port " + uri.getPort() + " (expected: 1-65535)");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw bad(url, "user info, a query or a fragment");
        }
        String path = uri.getRawPath() == null
                        || uri.getRawPath().isEmpty()
                        || uri.getRawPath().equals("/")
                ? LOGS_PATH
                : uri.getRawPath();
        return URI.create(scheme + "://" + uri.getRawAuthority() + path);
    }

    private static IllegalArgumentException bad(String url, String why) {
        return new IllegalArgumentException("'" + url + "': " + why + " (" + EXPECTED + ")");
    }
}
