package dev.palisade.controlplane.config;

import dev.palisade.certs.ca.KeyAlgorithm;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What every control plane needs, whatever its mode: the mesh, its two ports, certificate lifetimes and root
 * rotation. {@link LocalConfig} adds the directory; {@link KubernetesConfig} adds the namespace and the CA Secret.
 */
public sealed interface ControlPlaneConfig permits LocalConfig, KubernetesConfig {

    /** Trust domain and mesh defaults. */
    MeshConfig mesh();

    /** Identity and xDS (gRPC over TLS). */
    InetSocketAddress grpcAddress();

    /** {@code /ready}, {@code /live}, {@code /metrics}, {@code /config}. */
    InetSocketAddress adminAddress();

    /** Lifetime of a workload certificate when the workload asks for none. */
    Duration workloadTtl();

    /** The longest a workload certificate may live. */
    Duration maxTtl();

    /** Lifetime of a root the control plane makes. */
    Duration rootLifetime();

    /** Start rotating the root when it expires within this. */
    Duration rotateBefore();

    /** Warn daily when the signing root expires within this. */
    Duration warnBefore();

    /** Key of new roots. */
    KeyAlgorithm keyAlgorithm();

    /** Flow entries are kept this long by default (7 days). */
    Duration DEFAULT_FLOW_RETENTION = Duration.ofDays(7);

    /** The flow store's SQLite file. */
    Path flowStore();

    /** Flow entries older than this are deleted. */
    Duration flowRetention();

    /**
     * The bearer token {@code /config} and {@code /api/...} of the admin port require, or null: then only loopback
     * clients may read them ({@code /ready}, {@code /live} and {@code /metrics} are open either way).
     */
    @Nullable
    AdminToken adminToken();
    /** Export of stored flow records as OTLP logs; {@code null}: none. */
    @Nullable
    OtlpConfig otlp();
}
