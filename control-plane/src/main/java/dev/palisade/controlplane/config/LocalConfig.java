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
        return new Builder(dir, mesh).common(this).policies(policies);
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

    /** Builds a {@link LocalConfig}; starts from the defaults for its directory (loopback ports 15012, 15014). */
    public static final class Builder extends ConfigBuilder<Builder> {
        private final Path dir;
        private Path policies;

        private Builder(Path dir, MeshConfig mesh) {
            super(
                    mesh,
                    new InetSocketAddress("127.0.0.1", 15012),
                    new InetSocketAddress("127.0.0.1", 15014),
                    requireNonNull(dir, "dir").resolve("flows.db"));
            this.dir = dir;
            this.policies = dir.resolve("policies");
        }

        @Override
        Builder self() {
            return this;
        }

        public Builder policies(Path policies) {
            this.policies = policies;
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
