package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@code Workload} ({@code palisade.dev/v1}): the local-mode stand-in for a Pod and its Service.
 * Its identity is {@code spiffe://<td>/ns/<namespace>/sa/<serviceAccount>}; policies select it by
 * its {@link #labels}.
 *
 * @param namespace {@code metadata.namespace}
 * @param name {@code metadata.name}
 * @param serviceAccount {@code spec.serviceAccount}
 * @param labels {@code spec.labels}, what selectors match
 * @param ports {@code spec.ports}, each with a declared protocol
 * @param address {@code spec.address}: the workload's IP address
 */
public record Workload(
        String namespace,
        String name,
        String serviceAccount,
        Map<String, String> labels,
        List<WorkloadPort> ports,
        String address)
        implements PolicyObject {

    public Workload {
        PolicyValues.require("namespace", namespace, PolicyValues::namespace);
        PolicyValues.require("name", name, PolicyValues::objectName);
        PolicyValues.require("serviceAccount", serviceAccount, PolicyValues::objectName);
        requireNonNull(labels, "labels");
        PolicyValues.requireLabels("labels", labels);
        labels = Map.copyOf(labels);
        ports = List.copyOf(ports);
        Set<Integer> numbers = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (WorkloadPort p : ports) {
            if (!numbers.add(p.port())) {
                throw new IllegalArgumentException(
                        "Workload " + namespace + "/" + name + ": port " + p.port() + " is declared twice");
            }
            if (!names.add(p.name())) {
                throw new IllegalArgumentException(
                        "Workload " + namespace + "/" + name + ": port name '" + p.name() + "' is declared twice");
            }
        }
        PolicyValues.require("address", address, PolicyValues::ipAddress);
    }

    @Override
    public ObjectRef ref() {
        return new ObjectRef(ObjectKind.WORKLOAD, namespace, name);
    }

    /** The workload's SPIFFE ID in {@code trustDomain}: {@code spiffe://<td>/ns/<namespace>/sa/<serviceAccount>}. */
    public SpiffeId spiffeId(TrustDomain trustDomain) {
        return SpiffeId.forWorkload(trustDomain, namespace, serviceAccount);
    }

    /** The declared port with this number, if any. */
    public Optional<WorkloadPort> port(int number) {
        return ports.stream().filter(p -> p.port() == number).findFirst();
    }

    /** A builder with no labels and no ports. */
    public static Builder builder(String namespace, String name) {
        return new Builder(namespace, name);
    }

    public Builder toBuilder() {
        return new Builder(namespace, name)
                .serviceAccount(serviceAccount)
                .labels(labels)
                .ports(ports)
                .address(address);
    }

    /** Builds a {@link Workload}; {@code serviceAccount} and {@code address} must be set. */
    public static final class Builder {
        private final String namespace;
        private final String name;
        private String serviceAccount = "";
        private Map<String, String> labels = Map.of();
        private List<WorkloadPort> ports = List.of();
        private String address = "";

        private Builder(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }

        public Builder serviceAccount(String serviceAccount) {
            this.serviceAccount = serviceAccount;
            return this;
        }

        public Builder labels(Map<String, String> labels) {
            this.labels = labels;
            return this;
        }

        public Builder ports(List<WorkloadPort> ports) {
            this.ports = ports;
            return this;
        }

        public Builder address(String address) {
            this.address = address;
            return this;
        }

        public Workload build() {
            return new Workload(namespace, name, serviceAccount, labels, ports, address);
        }
    }
}
