package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import dev.palisade.controlplane.config.MtlsMode;
import java.util.Map;

/**
 * A {@code PeerAuthentication} ({@code security.palisade.dev/v1}): whether inbound connections to
 * the selected workloads must use mutual TLS.
 *
 * <p>Precedence, most specific first: a policy whose selector selects the workload (in its
 * namespace), then the namespace-wide policy (no selector) of its namespace, then the mesh-wide
 * policy (no selector, in the root namespace {@code palisade-system}), then the mesh default.
 * {@link #portLevelMtls} overrides the mode per port, and needs a selector, as in Istio.
 *
 * @param namespace {@code metadata.namespace}
 * @param name {@code metadata.name}
 * @param selector {@code spec.selector}; {@link WorkloadSelector#ALL} when absent
 * @param mode {@code spec.mtls.mode}
 * @param portLevelMtls {@code spec.portLevelMtls}: port number to mode
 */
public record PeerAuthentication(
        String namespace, String name, WorkloadSelector selector, MtlsMode mode, Map<Integer, MtlsMode> portLevelMtls)
        implements PolicyObject {

    public PeerAuthentication {
        PolicyValues.require("namespace", namespace, PolicyValues::namespace);
        PolicyValues.require("name", name, PolicyValues::objectName);
        requireNonNull(selector, "selector");
        requireNonNull(mode, "mode");
        portLevelMtls = Map.copyOf(portLevelMtls);
        for (Integer port : portLevelMtls.keySet()) {
            String problem = PolicyValues.portNumber(port);
            if (problem != null) {
                throw new IllegalArgumentException("portLevelMtls: " + port + ": " + problem);
            }
        }
        if (!portLevelMtls.isEmpty() && selector.selectsAll()) {
            throw new IllegalArgumentException(
                    "PeerAuthentication " + namespace + "/" + name + ": portLevelMtls requires a selector");
        }
    }

    @Override
    public ObjectRef ref() {
        return new ObjectRef(ObjectKind.PEER_AUTHENTICATION, namespace, name);
    }

    /** A builder with no selector and no port-level modes. */
    public static Builder builder(String namespace, String name, MtlsMode mode) {
        return new Builder(namespace, name, mode);
    }

    public Builder toBuilder() {
        return new Builder(namespace, name, mode).selector(selector).portLevelMtls(portLevelMtls);
    }

    /** Builds a {@link PeerAuthentication}. */
    public static final class Builder {
        private final String namespace;
        private final String name;
        private final MtlsMode mode;
        private WorkloadSelector selector = WorkloadSelector.ALL;
        private Map<Integer, MtlsMode> portLevelMtls = Map.of();

        private Builder(String namespace, String name, MtlsMode mode) {
            this.namespace = namespace;
            this.name = name;
            this.mode = mode;
        }

        public Builder selector(WorkloadSelector selector) {
            this.selector = selector;
            return this;
        }

        public Builder portLevelMtls(Map<Integer, MtlsMode> portLevelMtls) {
            this.portLevelMtls = portLevelMtls;
            return this;
        }

        public PeerAuthentication build() {
            return new PeerAuthentication(namespace, name, selector, mode, portLevelMtls);
        }
    }
}
