package dev.palisade.proxy.admin;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.flow.FlowEvent;
import dev.palisade.proxy.flow.FlowSink;
import dev.palisade.proxy.inbound.InboundObserver;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The sidecar's Prometheus metrics, in a registry of their own ({@link #registry()}, served by {@link AdminServer} at
 * {@code /metrics}). Events come in through {@link #metricsSink()} (one per request or TCP connection) and {@link
 * #observer(FlowEvent.Direction)} (connections and refusals); state is read from {@link MetricSources} at each scrape.
 *
 * <table>
 *   <caption>Metrics</caption>
 *   <tr><td>{@code palisade_requests_total{direction,decision,status_class}}</td><td>counter: requests (HTTP) and
 *       connections (TCP); decision {@code allow|deny|rejected|none}, status class {@code 1xx}..{@code 5xx} or
 *       {@code none}</td></tr>
 *   <tr><td>{@code palisade_request_duration_seconds{direction}}</td><td>histogram</td></tr>
 *   <tr><td>{@code palisade_active_connections{direction}}</td><td>gauge</td></tr>
 *   <tr><td>{@code palisade_connections_refused_total{direction,reason}}</td><td>counter, every refusal</td></tr>
 *   <tr><td>{@code palisade_tls_handshake_failures_total{direction,reason}}</td><td>counter, the TLS subset</td></tr>
 *   <tr><td>{@code palisade_tls_handshakes_total{direction,session}}</td><td>counter: handshakes with an accepted
 *       peer; session {@code full} or {@code resumed} (a TLS 1.3 ticket; known with BoringSSL only)</td></tr>
 *   <tr><td>{@code palisade_certificate_expiry_seconds}</td><td>gauge: seconds until the SVID expires</td></tr>
 *   <tr><td>{@code palisade_xds_config_info{version}}</td><td>gauge, always 1</td></tr>
 *   <tr><td>{@code palisade_xds_last_update_timestamp_seconds}</td><td>gauge</td></tr>
 *   <tr><td>{@code palisade_flow_log_queue_depth}</td><td>gauge</td></tr>
 * </table>
 *
 * <p>Every label has a bounded set of values: no path, identity or address is ever a label. Thread-safe.
 */
public final class ProxyMetrics {

    /** The refusal reasons that are TLS handshake failures (the rest are policy or plumbing). */
    static final Set<String> TLS_REASONS = Set.of(
            "no_client_certificate",
            "untrusted_certificate",
            "expired_certificate",
            "invalid_svid",
            "handshake_timeout",
            "peer_mismatch",
            "protocol");

    private static final String[] DIRECTIONS =
            Arrays.stream(FlowEvent.Direction.values()).map(ProxyMetrics::label).toArray(String[]::new);
    private static final String[] DECISIONS = Arrays.stream(Decision.values())
            .map(d -> d.name().toLowerCase(Locale.ROOT))
            .toArray(String[]::new);
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "none"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    /**
     * The data points of {@code palisade_requests_total} and of the duration histogram, looked up once per label set
     * instead of once per request (a label list and a map lookup each time); filled on first use, so that only label
     * sets that occurred are exported.
     */
    private final AtomicReferenceArray<CounterDataPoint> requestPoints =
            new AtomicReferenceArray<>(DIRECTIONS.length * DECISIONS.length * STATUS_CLASSES.length);

    private final AtomicReferenceArray<DistributionDataPoint> durationPoints =
            new AtomicReferenceArray<>(DIRECTIONS.length);
    private final Counter requests;
    private final Histogram duration;
    private final Gauge activeConnections;
    private final Counter refused;
    private final Counter tlsFailures;
    private final Counter tlsHandshakes;

    public ProxyMetrics(MetricSources sources) {
        requireNonNull(sources, "sources");
        requests = Counter.builder()
                .name("palisade_requests_total")
                .help("HTTP requests and TCP connections handled, by direction, decision and status class")
                .labelNames("direction", "decision", "status_class")
                .register(registry);
        duration = Histogram.builder()
                .name("palisade_request_duration_seconds")
                .help("Duration of HTTP requests and TCP connections")
                .labelNames("direction")
                .classicOnly()
                .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
                .register(registry);
        activeConnections = Gauge.builder()
                .name("palisade_active_connections")
                .help("Connections open now")
                .labelNames("direction")
                .register(registry);
        refused = Counter.builder()
                .name("palisade_connections_refused_total")
                .help("Connections refused before any request, by reason")
                .labelNames("direction", "reason")
                .register(registry);
        tlsFailures = Counter.builder()
                .name("palisade_tls_handshake_failures_total")
                .help("TLS handshakes that failed or presented an unacceptable peer, by reason")
                .labelNames("direction", "reason")
                .register(registry);
        tlsHandshakes = Counter.builder()
                .name("palisade_tls_handshakes_total")
                .help("TLS handshakes with an accepted peer, by direction and whether the session was resumed")
                .labelNames("direction", "session")
                .register(registry);
        GaugeWithCallback.builder()
                .name("palisade_certificate_expiry_seconds")
                .help("Seconds until the workload certificate expires (negative: expired)")
                .callback(cb -> sources.certificateNotAfter()
                        .get()
                        .ifPresent(notAfter ->
                                cb.call(seconds(Duration.between(sources.clock().instant(), notAfter)))))
                .register(registry);
        GaugeWithCallback.builder()
                .name("palisade_xds_config_info")
                .help("The version of the xDS configuration in use (value always 1)")
                .labelNames("version")
                .callback(cb -> sources.xdsVersion().get().ifPresent(v -> cb.call(1, v)))
                .register(registry);
        GaugeWithCallback.builder()
                .name("palisade_xds_last_update_timestamp_seconds")
                .help("When the last xDS configuration was accepted, in seconds since the epoch")
                .callback(cb -> sources.xdsLastUpdate()
                        .get()
                        .ifPresent(at -> cb.call(at.getEpochSecond() + at.getNano() / 1e9)))
                .register(registry);
        GaugeWithCallback.builder()
                .name("palisade_flow_log_queue_depth")
                .help("Flow records waiting to be written or sent")
                .callback(cb -> cb.call(sources.flowLogQueueDepth().getAsLong()))
                .register(registry);
    }

    /** The registry to serve. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Counts requests and their durations from flow events; chain it with the flow log's sink. */
    public FlowSink metricsSink() {
        return event -> {
            int direction = event.direction().ordinal();
            int decision = decision(event).ordinal();
            int statusClass = statusClass(event.status());
            int i = (direction * DECISIONS.length + decision) * STATUS_CLASSES.length + statusClass;
            CounterDataPoint count = requestPoints.get(i);
            if (count == null) {
                count = requests.labelValues(DIRECTIONS[direction], DECISIONS[decision], STATUS_CLASSES[statusClass]);
                requestPoints.set(i, count); // a race stores the same data point twice
            }
            count.inc();
            DistributionDataPoint time = durationPoints.get(direction);
            if (time == null) {
                time = duration.labelValues(DIRECTIONS[direction]);
                durationPoints.set(direction, time);
            }
            time.observe(seconds(event.duration()));
        };
    }

    /** Counts connections and refusals of one listener. */
    public InboundObserver observer(FlowEvent.Direction direction) {
        String d = label(direction);
        return new InboundObserver() {
            @Override
            public void connectionOpened() {
                activeConnections.labelValues(d).inc();
            }

            @Override
            public void connectionClosed() {
                activeConnections.labelValues(d).dec();
            }

            @Override
            public void tlsHandshake(boolean resumed) {
                tlsHandshakes.labelValues(d, resumed ? "resumed" : "full").inc();
            }

            @Override
            public void refused(String reason) {
                refused.labelValues(d, reason).inc();
                if (TLS_REASONS.contains(reason)) {
                    tlsFailures.labelValues(d, reason).inc();
                }
            }
        };
    }

    private static String label(FlowEvent.Direction direction) {
        return direction.name().toLowerCase(Locale.ROOT);
    }

    /** The {@code decision} label's values, in the order of {@link #DECISIONS}. */
    private enum Decision {
        ALLOW,
        DENY,
        REJECTED,
        NONE
    }

    private static Decision decision(FlowEvent event) {
        if (event.rejection() != null) {
            return Decision.REJECTED;
        }
        if (event.decision() == null) {
            return Decision.NONE;
        }
        return event.decision().allowed() ? Decision.ALLOW : Decision.DENY;
    }

    /** An index into {@link #STATUS_CLASSES}. */
    private static int statusClass(int status) {
        return status >= 100 && status <= 599 ? status / 100 - 1 : 5;
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
