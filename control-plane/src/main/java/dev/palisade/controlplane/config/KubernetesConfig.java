package dev.palisade.controlplane.config;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.ca.KeyAlgorithm;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How a control plane runs in Kubernetes mode: the CA in a Secret of its own namespace, workload credentials checked
 * with the TokenReview API, and policies and workloads read from the API server (AuthorizationPolicy and
 * PeerAuthentication custom resources, Pods, Namespaces).
 *
 * <p>The namespace comes from the caller: in a pod, the {@code POD_NAMESPACE} environment variable (set from the
 * downward API) read by the command, else {@value #DEFAULT_NAMESPACE}.
 *
 * @param namespace the control plane's namespace, where the CA Secret lives ({@value #DEFAULT_NAMESPACE})
 * @param caSecretName the name of the CA Secret ({@value #DEFAULT_CA_SECRET})
 * @param mesh trust domain and mesh defaults
 * @param grpcAddress identity and xDS (TLS), default 0.0.0.0:15012: sidecars in other pods connect to it
 * @param adminAddress /ready, /live, /metrics, /config, default 0.0.0.0:15014: the kubelet probes it
 * @param workloadTtl lifetime of a workload certificate when the workload asks for none (24 h)
 * @param maxTtl the longest a workload certificate may live (24 h)
 * @param rootLifetime lifetime of a root the control plane makes (365 days)
 * @param rotateBefore start rotating the root when it expires within this (30 days)
 * @param warnBefore warn daily when the signing root expires within this (60 days)
 * @param keyAlgorithm key of new roots
 * @param policyDebounce quiet time after a change of a watched object before a new policy set is built (100 ms)
 * @param syncTimeout how long the start waits for the first list of every watched kind (60 s)
 * @param flowStore the flow store's SQLite file ({@value #DEFAULT_FLOW_STORE}, a volume of the pod)
 * @param flowRetention flow entries older than this are deleted, hourly (7 days)
 * @param adminToken the bearer token of the admin API ({@code /config}, {@code /api/...}), or null (the default):
 *     loopback clients only, that is {@code kubectl port-forward} or a process of the pod
 * @param otlp export of stored flow records as OTLP logs, or {@code null} (none, the default)
 */
public record KubernetesConfig(
        String namespace,
        String caSecretName,
        MeshConfig mesh,
        InetSocketAddress grpcAddress,
        InetSocketAddress adminAddress,
        Duration workloadTtl,
        Duration maxTtl,
        Duration rootLifetime,
        Duration rotateBefore,
        Duration warnBefore,
        KeyAlgorithm keyAlgorithm,
        Duration policyDebounce,
        Duration syncTimeout,
        Path flowStore,
        Duration flowRetention,
        @Nullable AdminToken adminToken,
        @Nullable OtlpConfig otlp)
        implements ControlPlaneConfig {

    public static final String DEFAULT_NAMESPACE = MeshConfig.ROOT_NAMESPACE;
    public static final String DEFAULT_CA_SECRET = "palisade-ca";
    public static final String DEFAULT_FLOW_STORE = "/var/lib/palisade/flows.db";

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    public KubernetesConfig {
        requireNonNull(namespace, "namespace");
        requireNonNull(caSecretName, "caSecretName");
        requireNonNull(mesh, "mesh");
        requireNonNull(grpcAddress, "grpcAddress");
        requireNonNull(adminAddress, "adminAddress");
        requireNonNull(workloadTtl, "workloadTtl");
        requireNonNull(maxTtl, "maxTtl");
        requireNonNull(rootLifetime, "rootLifetime");
        requireNonNull(rotateBefore, "rotateBefore");
        requireNonNull(warnBefore, "warnBefore");
        requireNonNull(keyAlgorithm, "keyAlgorithm");
        requireNonNull(policyDebounce, "policyDebounce");
        requireNonNull(syncTimeout, "syncTimeout");
        requireNonNull(flowStore, "flowStore");
        requireNonNull(flowRetention, "flowRetention");
        if (flowRetention.isNegative() || flowRetention.isZero()) {
            throw new IllegalArgumentException("flowRetention: " + flowRetention + " (expected: > 0)");
        }
        if (!DNS_LABEL.matcher(namespace).matches()) {
            throw new IllegalArgumentException(
                    "namespace: '" + namespace + "' (expected: a DNS-1123 label such as palisade-system)");
        }
        if (caSecretName.length() > 253 || !DNS_SUBDOMAIN.matcher(caSecretName).matches()) {
            throw new IllegalArgumentException(
                    "caSecretName: '" + caSecretName + "' (expected: a DNS-1123 subdomain such as palisade-ca)");
        }
        if (workloadTtl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("workloadTtl: " + workloadTtl + " (expected: <= maxTtl " + maxTtl + ")");
        }
        if (policyDebounce.isNegative()) {
            throw new IllegalArgumentException("policyDebounce: " + policyDebounce + " (expected: >= 0)");
        }
        if (syncTimeout.isNegative() || syncTimeout.isZero()) {
            throw new IllegalArgumentException("syncTimeout: " + syncTimeout + " (expected: > 0)");
        }
    }

    /** The in-cluster defaults for a control plane in {@code namespace}; see the parameters for the values. */
    public static KubernetesConfig defaults(String namespace, MeshConfig mesh) {
        return builder(mesh).namespace(namespace).build();
    }

    /** A builder holding the defaults, in {@value #DEFAULT_NAMESPACE}. */
    public static Builder builder(MeshConfig mesh) {
        return new Builder(mesh);
    }

    public Builder toBuilder() {
        return new Builder(mesh)
                .common(this)
                .namespace(namespace)
                .caSecretName(caSecretName)
                .policyDebounce(policyDebounce)
                .syncTimeout(syncTimeout);
    }

    /** Builds a {@link KubernetesConfig}; starts from the defaults. */
    public static final class Builder extends ConfigBuilder<Builder> {
        private String namespace = DEFAULT_NAMESPACE;
        private String caSecretName = DEFAULT_CA_SECRET;
        private Duration policyDebounce = Duration.ofMillis(100);
        private Duration syncTimeout = Duration.ofSeconds(60);

        private Builder(MeshConfig mesh) {
            super(
                    mesh,
                    new InetSocketAddress("0.0.0.0", 15012),
                    new InetSocketAddress("0.0.0.0", 15014),
                    Path.of(DEFAULT_FLOW_STORE));
        }

        @Override
        Builder self() {
            return this;
        }

        public Builder namespace(String namespace) {
            this.namespace = namespace;
            return this;
        }

        public Builder caSecretName(String caSecretName) {
            this.caSecretName = caSecretName;
            return this;
        }

        public Builder policyDebounce(Duration policyDebounce) {
            this.policyDebounce = policyDebounce;
            return this;
        }

        public Builder syncTimeout(Duration syncTimeout) {
            this.syncTimeout = syncTimeout;
            return this;
        }

        public KubernetesConfig build() {
            return new KubernetesConfig(
                    namespace,
                    caSecretName,
                    mesh,
                    grpcAddress,
                    adminAddress,
                    workloadTtl,
                    maxTtl,
                    rootLifetime,
                    rotateBefore,
                    warnBefore,
                    keyAlgorithm,
                    policyDebounce,
                    syncTimeout,
                    flowStore,
                    flowRetention,
                    adminToken,
                    otlp);
        }
    }
}
