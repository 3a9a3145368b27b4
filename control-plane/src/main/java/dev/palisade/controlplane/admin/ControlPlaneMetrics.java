package dev.palisade.controlplane.admin;

import io.prometheus.metrics.core.metrics.Counter;
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
