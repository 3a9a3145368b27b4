package dev.palisade.controlplane.admin;

import dev.palisade.controlplane.flows.FlowCollector;
import dev.palisade.controlplane.otlp.OtlpFlowExporter;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The control plane's metrics, in one registry per process (not the library's global default, so tests and several
 * instances in one JVM do not share counters).
 */
public final class ControlPlaneMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    /** Certificates signed, by outcome: {@code issued} or a gRPC status code name. */
    public final Counter identityRequests = Counter.builder()
            .name("palisade_identity_requests_total")
            .help("CSR signing requests by outcome (issued, or the refusal's gRPC status)")
            .labelNames("outcome")
            .register(registry);

    /** The phase of the CA rotation: 0 stable, 1 prepared (new root trusted), 2 switched (new root signs). */
    public final Gauge caRotationPhase = Gauge.builder()
            .name("palisade_ca_rotation_phase")
            .help("CA root rotation phase: 0 stable, 1 prepared (new root in the bundle), 2 switched (new root signs)")
            .register(registry);

    /** Seconds until the signing root expires. */
    public final Gauge caRootExpirySeconds = Gauge.builder()
            .name("palisade_ca_root_expiry_seconds")
            .help("Seconds until the signing root certificate expires")
            .register(registry);

    /** Roots in the trust bundle (2 during a rotation). */
    public final Gauge caBundleRoots = Gauge.builder()
            .name("palisade_ca_bundle_roots")
            .help("Number of roots in the trust bundle")
            .register(registry);

    /** NACKs received from sidecars. */
    public final Counter xdsNacks = Counter.builder()
            .name("palisade_xds_nacks_total")
            .help("xDS responses rejected by sidecars")
            .register(registry);

    /** Configuration pushes (new snapshot per sidecar). */
    public final Counter xdsPublishes = Counter.builder()
            .name("palisade_xds_snapshots_published_total")
            .help("Per-sidecar configuration snapshots published")
            .register(registry);

    /** Policy loads by result: {@code ok} or {@code error}. */
    public final Counter policyLoads = Counter.builder()
            .name("palisade_policy_loads_total")
            .help("Policy (re)loads by result: ok or error (the last good set stays in force)")
            .labelNames("result")
            .register(registry);

    /**
     * Serves the flow collector's counters, which it keeps itself: read at each scrape. Call once, when the collector
     * starts.
     *
     * <ul>
     *   <li>{@code palisade_flow_collector_batches_total}: ALS messages accepted;
     *   <li>{@code palisade_flow_collector_entries_total{outcome}}: {@code received} in accepted messages, then per
     *       entry written one of {@code stored} (new), {@code duplicate} (an exact re-send, ignored) or
     *       {@code conflict} (differs from the stored entry of its sidecar and seq, kept apart);
     *   <li>{@code palisade_flow_collector_streams_refused_total}: streams failed for identity or format;
     *   <li>{@code palisade_flow_collector_store_failures_total}: writes the store failed (their senders re-send).
     * </ul>
     */
    public void registerFlowCollector(FlowCollector collector) {
        CounterWithCallback.builder()
                .name("palisade_flow_collector_batches_total")
                .help("Flow-log (ALS) messages accepted by the collector")
                .callback(cb -> cb.call(collector.batches()))
                .register(registry);
        CounterWithCallback.builder()
                .name("palisade_flow_collector_entries_total")
                .help("Flow-log entries: received, then stored (new), duplicate (exact re-send) or conflict")
                .labelNames("outcome")
                .callback(cb -> {
                    cb.call(collector.entriesReceived(), "received");
                    cb.call(collector.entriesStored(), "stored");
                    cb.call(collector.duplicates(), "duplicate");
                    cb.call(collector.conflicts(), "conflict");
                })
                .register(registry);
        CounterWithCallback.builder()
                .name("palisade_flow_collector_streams_refused_total")
                .help("Flow-log streams refused for identity or format")
                .callback(cb -> cb.call(collector.streamsRefused()))
                .register(registry);
        CounterWithCallback.builder()
                .name("palisade_flow_collector_store_failures_total")
                .help("Flow-log batches the store failed to write (the senders re-send them)")
                .callback(cb -> cb.call(collector.storeFailures()))
                .register(registry);
    }

    /**
     * Serves the OTLP exporter's counters (only when export is configured), read at each scrape:
     * {@code palisade_flow_otlp_exported_total} (records the endpoint accepted) and
     * {@code palisade_flow_otlp_dropped_total{reason}}, reason {@code queue_full} (the endpoint is down or slower
     * than ingest), {@code export_failed} (a request failed after retries, or timed out) or {@code shutdown}.
     */
    public void registerOtlpExport(OtlpFlowExporter exporter) {
        CounterWithCallback.builder()
                .name("palisade_flow_otlp_exported_total")
                .help("Stored flow records exported as OTLP logs and accepted by the endpoint")
                .callback(cb -> cb.call(exporter.exported()))
                .register(registry);
        CounterWithCallback.builder()
                .name("palisade_flow_otlp_dropped_total")
                .help("Stored flow records not exported as OTLP logs, by reason (the store keeps them)")
                .labelNames("reason")
                .callback(cb -> {
                    cb.call(exporter.droppedQueueFull(), "queue_full");
                    cb.call(exporter.droppedExportFailed(), "export_failed");
                    cb.call(exporter.droppedShutdown(), "shutdown");
                })
                .register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** The current values in the Prometheus text exposition format 0.0.4. */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
