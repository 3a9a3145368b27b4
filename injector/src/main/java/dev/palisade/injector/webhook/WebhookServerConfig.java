package dev.palisade.injector.webhook;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How the webhook listens.
 *
 * @param listen the address to bind; {@code 0.0.0.0:15017} by default (the Service maps 443 to it)
 * @param maxBodyBytes the largest request body accepted; larger ones get 413. The API server sends the whole pod, whose
 *     size etcd caps at 1.5 MiB for any object, and real pods are far smaller: 1 MiB by default
 * @param readTimeout a connection that sends nothing for this long is closed (also bounds a slow request)
 * @param handshakeTimeout a TLS handshake that does not finish in this time is abandoned
 * @param ioThreads event-loop threads; admission is short CPU work, so one or two suffice
 */
public record WebhookServerConfig(
        InetSocketAddress listen, int maxBodyBytes, Duration readTimeout, Duration handshakeTimeout, int ioThreads) {

    public static final int DEFAULT_PORT = 15017;
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

    public WebhookServerConfig {
        requireNonNull(listen, "listen");
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("maxBodyBytes: " + maxBodyBytes + " (expected: >= 1024)");
        }
        if (requireNonNull(readTimeout, "readTimeout").isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("readTimeout: " + readTimeout + " (expected: > 0)");
        }
        if (requireNonNull(handshakeTimeout, "handshakeTimeout").isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout: " + handshakeTimeout + " (expected: > 0)");
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
        }
    }

    /** The defaults, listening on {@code listen}. */
    public static WebhookServerConfig listeningOn(InetSocketAddress listen) {
        return new WebhookServerConfig(
                listen, DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(30), Duration.ofSeconds(10), 2);
    }

    public WebhookServerConfig withMaxBodyBytes(int maxBodyBytes) {
        return new WebhookServerConfig(listen, maxBodyBytes, readTimeout, handshakeTimeout, ioThreads);
    }

    public WebhookServerConfig withReadTimeout(Duration readTimeout) {
        return new WebhookServerConfig(listen, maxBodyBytes, readTimeout, handshakeTimeout, ioThreads);
    }
}
