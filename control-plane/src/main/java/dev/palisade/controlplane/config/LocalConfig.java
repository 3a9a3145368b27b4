package dev.palisade.controlplane.config;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.ca.KeyAlgorithm;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How a control plane runs in local mode.
 *
 * <pre>
 *   DIR/ca/         the CA (made on first start by the control plane, or by 'palisade certs init-ca')
 *   DIR/tokens      bootstrap tokens: 'token namespace service-account' per line
 *   DIR/policies/   AuthorizationPolicy, PeerAuthentication and Workload YAML, watched for changes
 * </pre>
 *
 * @param dir the local-mode directory
 * @param policies the policy directory (usually {@code DIR/policies})
 * @param mesh trust domain and mesh defaults
 * @param grpcAddress identity and xDS (TLS), default 127.0.0.1:15012
 * @param adminAddress /ready, /live, /metrics, /config, default 127.0.0.1:15014
 * @param workloadTtl lifetime of a workload certificate when the workload asks for none (24 h)
 * @param maxTtl the longest a workload certificate may live (24 h)
 * @param rootLifetime lifetime of a root the control plane makes (365 days)
 * @param rotateBefore start rotating the root when it expires within this (30 days)
 * @param warnBefore warn daily when the signing root expires within this (60 days)
 * @param keyAlgorithm key of new roots
 * @param flowStore the flow store's SQLite file (default {@code DIR/flows.db})
 * @param flowRetention flow entries older than this are deleted, hourly (7 days)
 * @param adminToken the bearer token of the admin API ({@code /config}, {@code /api/...}), or null (the default):
 *     loopback clients only
 * @param otlp export of stored flow records as OTLP logs, or {@code null} (none, the default)
 */
public record LocalConfig(
        Path dir,
        Path policies,
        MeshConfig mesh,
        InetSocketAddress grpcAddress,
        InetSocketAddress adminAddress,
        Duration workloadTtl,
        Duration maxTtl,
        Duration rootLifetime,
        Duration rotateBefore,
        Duration warnBefore,
        KeyAlgorithm keyAlgorithm,
        Path flowStore,
        Duration flowRetention,
        @Nullable AdminToken adminToken,
        @Nullable OtlpConfig otlp)
        implements ControlPlaneConfig {

    public LocalConfig {
        requireNonNull(dir, "dir");
        requireNonNull(policies, "policies");
        requireNonNull(mesh, "mesh");
        requireNonNull(grpcAddress, "grpcAddress");
        requireNonNull(adminAddress, "adminAddress");
        requireNonNull(workloadTtl, "workloadTtl");
        requireNonNull(maxTtl, "maxTtl");
        requireNonNull(rootLifetime, "rootLifetime");
        requireNonNull(rotateBefore, "rotateBefore");
        requireNonNull(warnBefore, "warnBefore");
        requireNonNull(keyAlgorithm, "keyAlgorithm");
        requireNonNull(flowStore, "flowStore");
        requireNonNull(flowRetention, "flowRetention");
        if (flowRetention.isNegative() || flowRetention.isZero()) {
            throw new IllegalArgumentException("flowRetention: " + flowRetention + " (expected: > 0)");
        }
        if (workloadTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("workloadTtl: " + workloadTtl + " (expected: <= maxTtl " + maxTtl + ")");
        }
    }

    /** The defaults for {@code dir}: policies in {@code dir/policies}, loopback ports 15012 and 15014. */
    public static LocalConfig defaults(Path dir, MeshConfig mesh) {
        return builder(dir, mesh).build();
    }

    /** A builder holding the defaults for {@code dir}; see the parameters for the values. */
    public static Builder builder(Path dir, MeshConfig mesh) {
        return new Builder(dir, mesh);
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder(dir, mesh)
                .policies(policies)
                .addresses(grpcAddress, adminAddress)
                .ttls(workloadTtl, maxTtl)
                .rootLifetime(rootLifetime)
                .rotateBefore(rotateBefore)
                .warnBefore(warnBefore)
                .keyAlgorithm(keyAlgorithm)
                .flows(flowStore, flowRetention)
                .adminToken(adminToken)
                .otlp(otlp);
    }

    public LocalConfig withAddresses(InetSocketAddress grpc, InetSocketAddress admin) {
        return toBuilder().addresses(grpc, admin).build();
    }

    public LocalConfig withPolicies(Path policies) {
        return toBuilder().policies(policies).build();
    }

    public LocalConfig withTtls(Duration workloadTtl, Duration maxTtl) {
        return toBuilder().ttls(workloadTtl, maxTtl).build();
    }

    public LocalConfig withFlows(Path flowStore, Duration flowRetention) {
        return toBuilder().flows(flowStore, flowRetention).build();
    }

    public LocalConfig withAdminToken(@Nullable AdminToken adminToken) {
        return toBuilder().adminToken(adminToken).build();
    }

    public LocalConfig withOtlp(@Nullable OtlpConfig otlp) {
        return toBuilder().otlp(otlp).build();
    }

    /**
     * Builds a {@link LocalConfig}; starts from the defaults for its directory. A new field is added here, in
     * {@link #toBuilder()} and in the record, nowhere else.
     */
    public static final class Builder {
        private final Path dir;
        private final MeshConfig mesh;
        private Path policies;
        private InetSocketAddress grpcAddress = new InetSocketAddress("127.0.0.1", 15012);
        private InetSocketAddress adminAddress = new InetSocketAddress("127.0.0.1", 15014);
        private Duration workloadTtl = Duration.ofHours(24);
        private Duration maxTtl = Duration.ofHours(24);
        private Duration rootLifetime = Duration.ofDays(365);
        private Duration rotateBefore = Duration.ofDays(30);
        private Duration warnBefore = Duration.ofDays(60);
        private KeyAlgorithm keyAlgorithm = KeyAlgorithm.EC_P256;
        private Path flowStore;
        private Duration flowRetention = ControlPlaneConfig.DEFAULT_FLOW_RETENTION;
        private @Nullable AdminToken adminToken;
        private @Nullable OtlpConfig otlp;

        private Builder(Path dir, MeshConfig mesh) {
            this.dir = requireNonNull(dir, "dir");
            this.mesh = requireNonNull(mesh, "mesh");
            this.policies = dir.resolve("policies");
            this.flowStore = dir.resolve("flows.db");
        }

        public Builder policies(Path policies) {
            this.policies = policies;
            return this;
        }

        public Builder addresses(InetSocketAddress grpcAddress, InetSocketAddress adminAddress) {
            this.grpcAddress = grpcAddress;
            this.adminAddress = adminAddress;
            return this;
        }

        public Builder ttls(Duration workloadTtl, Duration maxTtl) {
            this.workloadTtl = workloadTtl;
            this.maxTtl = maxTtl;
            return this;
        }

        public Builder rootLifetime(Duration rootLifetime) {
            this.rootLifetime = rootLifetime;
            return this;
        }

        public Builder rotateBefore(Duration rotateBefore) {
            this.rotateBefore = rotateBefore;
            return this;
        }

        public Builder warnBefore(Duration warnBefore) {
            this.warnBefore = warnBefore;
            return this;
        }

        public Builder keyAlgorithm(KeyAlgorithm keyAlgorithm) {
            this.keyAlgorithm = keyAlgorithm;
            return this;
        }

        public Builder flows(Path flowStore, Duration flowRetention) {
            this.flowStore = flowStore;
            this.flowRetention = flowRetention;
            return this;
        }

        public Builder adminToken(@Nullable AdminToken adminToken) {
            this.adminToken = adminToken;
            return this;
        }

        public Builder otlp(@Nullable OtlpConfig otlp) {
            this.otlp = otlp;
            return this;
        }

        public LocalConfig build() {
            return new LocalConfig(
                    dir,
                    policies,
                    mesh,
                    grpcAddress,
                    adminAddress,
                    workloadTtl,
                    maxTtl,
                    rootLifetime,
                    rotateBefore,
                    warnBefore,
                    keyAlgorithm,
                    flowStore,
                    flowRetention,
                    adminToken,
                    otlp);
        }
    }
}
