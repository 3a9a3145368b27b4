package dev.palisade.controlplane.kube;

import dev.palisade.controlplane.policy.PortProtocol;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.controlplane.policy.WorkloadPort;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Turns the Pods of the cluster into {@link Workload}s, one per service account: the SPIFFE ID, and so the xDS node
 * id and the configuration a sidecar receives, is per {@code (namespace, service account)}.
 *
 * <p>A pod counts when it runs a sidecar — it carries the annotation {@code palisade.dev/status: injected} or the
 * label {@code palisade.dev/proxy: enabled}, both written by the injector — is {@code Running}, has an IP address,
 * is not on the host network and is not being deleted. The namespace label {@code palisade.dev/inject=enabled}
 * alone does not make a pod count: it says that pods created from now on get a sidecar, not that this one has one
 * (it may predate the label, or the webhook may have been down), and peers would open mTLS to a pod that cannot
 * answer it. Such pods are reported as warnings instead ("restart it").
 *
 * <p>The workload is named after the service account. Its labels, ports and address come from the service account's
 * first counting pod by name. Pods of one service account are expected to share labels and ports (one Deployment
 * per service account, as Istio and Linkerd recommend); where they do not, selectors see the first pod's labels and
 * a warning names the pods. Labels that differ between the pods of one controller by design
 * ({@code pod-template-hash} and the like) are left out of the workload's labels.
 *
 * <p>Ports: the {@code containerPorts} of the app containers (TCP only; the sidecar's own container is skipped),
 * minus those in {@code palisade.dev/exclude-inbound-ports} (their traffic bypasses the sidecar, so peers must not
 * open mTLS to them), plus those in {@code palisade.dev/opaque-ports}. The protocol comes from the port name's
 * prefix as in Istio ({@code http}, {@code http2}, {@code grpc}, {@code grpc-web}; {@code tcp}, {@code tls},
 * {@code https}, {@code mongo}, {@code mysql}, {@code redis} are opaque TCP; {@code <prefix>-<suffix>} works too);
 * an unnamed port, or a name without a known prefix, is HTTP; a port listed in {@code palisade.dev/opaque-ports}
 * is TCP whatever its name. (Container ports have no {@code appProtocol}; that field exists on Service ports only.)
 *
 * <p>Stateless; {@link #of} is a pure function of its arguments, so that replicas agree.
 */
final class PodWorkloads {
    static final String STATUS_ANNOTATION = "palisade.dev/status";
    static final String STATUS_INJECTED = "injected";
    static final String PROXY_LABEL = "palisade.dev/proxy";
    static final String PROXY_ENABLED = "enabled";
    static final String INJECT = "palisade.dev/inject";
    static final String INJECT_ENABLED = "enabled";
    static final String OPAQUE_PORTS = "palisade.dev/opaque-ports";
    static final String EXCLUDE_INBOUND_PORTS = "palisade.dev/exclude-inbound-ports";
    static final String PROXY_CONTAINER = "palisade-proxy";

    /** Labels that differ between the pods of one controller by design: not compared, not selected on. */
    static final Set<String> PER_POD_LABELS = Set.of(
            "pod-template-hash",
            "controller-revision-hash",
            "statefulset.kubernetes.io/pod-name",
            "apps.kubernetes.io/pod-index");

    private PodWorkloads() {}

    /**
     * The workloads of the cluster, sorted by namespace and name, and the warnings about pods that did not count or
     * did not agree with their service account's first pod. Warnings are sentences that name the pods; the same
     * input always gives the same warnings.
     */
    record Result(List<Workload> workloads, List<String> warnings) {
        Result {
            workloads = List.copyOf(workloads);
            warnings = List.copyOf(warnings);
        }
    }

    static Result of(Collection<Pod> pods, Collection<Namespace> namespaces) {
        Set<String> injectedNamespaces = new HashSet<>();
        for (Namespace ns : namespaces) {
            if (ns.getMetadata() != null
                    && INJECT_ENABLED.equals(label(ns.getMetadata().getLabels(), INJECT))) {
                injectedNamespaces.add(ns.getMetadata().getName());
            }
        }
        List<String> warnings = new ArrayList<>();
        Map<String, List<Pod>> byServiceAccount = new TreeMap<>();
        List<Pod> sorted = new ArrayList<>(pods);
        sorted.sort(Comparator.comparing(PodWorkloads::namespace).thenComparing(PodWorkloads::name));
        for (Pod pod : sorted) {
            if (!isRunning(pod)) {
                continue;
            }
            if (!hasSidecar(pod)) {
                if (injectedNamespaces.contains(namespace(pod)) && !optedOut(pod)) {
                    warnings.add("pod " + ref(pod) + " runs without a sidecar in a namespace labelled " + INJECT + "="
                            + INJECT_ENABLED + " (created before injection was enabled, or while the webhook was "
                            + "down?): restart it to bring it into the mesh");
                }
                continue;
            }
            byServiceAccount
                    .computeIfAbsent(namespace(pod) + "/" + serviceAccount(pod), k -> new ArrayList<>())
                    .add(pod);
        }
        List<Workload> workloads = new ArrayList<>();
        for (List<Pod> group : byServiceAccount.values()) {
            Workload workload = workload(group, warnings);
            if (workload != null) {
                workloads.add(workload);
            }
        }
        return new Result(workloads, warnings);
    }

    private static @Nullable Workload workload(List<Pod> group, List<String> warnings) {
        Pod first = group.get(0);
        String sa = serviceAccount(first);
        Map<String, String> labels = selectableLabels(first);
        List<WorkloadPort> ports = ports(first, warnings);
        for (Pod other : group.subList(1, group.size())) {
            if (!selectableLabels(other).equals(labels)) {
                warnings.add("pods " + ref(first) + " and " + name(other) + " of service account " + sa
                        + " have different labels: policies select on those of " + name(first)
                        + " (expected: the pods of one service account share their labels)");
            }
            if (!ports(other, new ArrayList<>()).equals(ports)) {
                warnings.add("pods " + ref(first) + " and " + name(other) + " of service account " + sa
                        + " declare different ports: the workload has those of " + name(first));
            }
        }
        try {
            return Workload.builder(namespace(first), sa)
                    .serviceAccount(sa)
                    .labels(labels)
                    .ports(ports)
                    .address(Objects.requireNonNull(first.getStatus().getPodIP(), "podIP"))
                    .build();
        } catch (IllegalArgumentException e) {
            warnings.add(
                    "service account " + namespace(first) + "/" + sa + " is left out of the mesh: " + e.getMessage());
            return null;
        }
    }

    static boolean hasSidecar(Pod pod) {
        return pod.getMetadata() != null
                && (STATUS_INJECTED.equals(label(pod.getMetadata().getAnnotations(), STATUS_ANNOTATION))
                        || PROXY_ENABLED.equals(label(pod.getMetadata().getLabels(), PROXY_LABEL)));
    }

    private static boolean optedOut(Pod pod) {
        return "false".equals(label(pod.getMetadata().getLabels(), INJECT))
                || "false".equals(label(pod.getMetadata().getAnnotations(), INJECT));
    }

    /** Running, with an IP, not on the host network, not being deleted. */
    static boolean isRunning(Pod pod) {
        if (pod.getMetadata() == null || pod.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        if (pod.getSpec() == null || Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return false;
        }
        return pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase())
                && pod.getStatus().getPodIP() != null
                && !pod.getStatus().getPodIP().isBlank();
    }

    private static Map<String, String> selectableLabels(Pod pod) {
        Map<String, String> labels = new TreeMap<>();
        if (pod.getMetadata().getLabels() != null) {
            labels.putAll(pod.getMetadata().getLabels());
        }
        labels.keySet().removeAll(PER_POD_LABELS);
        return labels;
    }

    /** The pod's ports, sorted by number; problems are added to {@code warnings}. */
    static List<WorkloadPort> ports(Pod pod, List<String> warnings) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null
                ? Map.of()
                : pod.getMetadata().getAnnotations();
        Set<Integer> opaque = portList(pod, annotations, OPAQUE_PORTS, warnings);
        Set<Integer> excluded = portList(pod, annotations, EXCLUDE_INBOUND_PORTS, warnings);
        Map<Integer, WorkloadPort> byNumber = new TreeMap<>();
        Set<String> names = new HashSet<>();
        List<Container> containers = pod.getSpec().getContainers() == null
                ? List.of()
                : pod.getSpec().getContainers();
        for (Container container : containers) {
            if (PROXY_CONTAINER.equals(container.getName()) || container.getPorts() == null) {
                continue;
            }
            for (ContainerPort cp : container.getPorts()) {
                Integer number = cp.getContainerPort();
                if (number == null || number < 1 || number > 65535) {
                    continue;
                }
                if (cp.getProtocol() != null && !"TCP".equals(cp.getProtocol())) {
                    continue; // UDP and SCTP are not proxied
                }
                if (excluded.contains(number) || byNumber.containsKey(number)) {
                    continue;
                }
                String declared = cp.getName();
                boolean named = declared != null && isPortName(declared);
                String name = named ? declared : "port-" + number;
                PortProtocol protocol =
                        opaque.contains(number) ? PortProtocol.TCP : protocolOf(named ? declared : null);
                add(pod, byNumber, names, name, number, protocol, warnings);
            }
        }
        for (int number : opaque) {
            if (!excluded.contains(number) && !byNumber.containsKey(number)) {
                add(pod, byNumber, names, "tcp-" + number, number, PortProtocol.TCP, warnings);
            }
        }
        return List.copyOf(byNumber.values());
    }

    private static void add(
            Pod pod,
            Map<Integer, WorkloadPort> byNumber,
            Set<String> names,
            String name,
            int number,
            PortProtocol protocol,
            List<String> warnings) {
        if (!names.add(name)) {
            warnings.add("pod " + ref(pod) + ": port " + number + " is left out: its name '" + name
                    + "' is already used by another port");
            return;
        }
        byNumber.put(number, new WorkloadPort(name, number, protocol));
    }

    /** Whether {@code name} is a valid port name (an IANA service name, as Kubernetes requires too). */
    private static boolean isPortName(String name) {
        try {
            new WorkloadPort(name, 1, PortProtocol.HTTP);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Istio's port naming: {@code <protocol>[-<suffix>]}. Unnamed or unknown: HTTP, the protocol the sidecar parses
     * by default; the compiler then refuses HTTP rules on nothing, and a port that is not HTTP should say so.
     */
    static PortProtocol protocolOf(@Nullable String portName) {
        if (portName == null) {
            return PortProtocol.HTTP;
        }
        if (portName.equals("grpc-web") || portName.startsWith("grpc-web-")) {
            return PortProtocol.HTTP;
        }
        int dash = portName.indexOf('-');
        String prefix = dash < 0 ? portName : portName.substring(0, dash);
        return switch (prefix) {
            case "http2" -> PortProtocol.HTTP2;
            case "grpc" -> PortProtocol.GRPC;
            case "tcp", "tls", "https", "mongo", "mysql", "redis" -> PortProtocol.TCP;
            default -> PortProtocol.HTTP;
        };
    }

    /** A comma-separated port list annotation; bad entries are warned about and skipped. */
    private static Set<Integer> portList(
            Pod pod, Map<String, String> annotations, String annotation, List<String> warnings) {
        Set<Integer> ports = new LinkedHashSet<>();
        String text = annotations.get(annotation);
        if (text == null || text.isBlank()) {
            return ports;
        }
        for (String part : text.split(",", -1)) {
            String entry = part.strip();
            int port = entry.matches("[0-9]{1,5}") ? Integer.parseInt(entry) : -1;
            if (port < 1 || port > 65535) {
                warnings.add("pod " + ref(pod) + ": annotation " + annotation + ": '" + entry
                        + "' is not a port (expected: comma-separated numbers 1-65535); it is ignored");
            } else {
                ports.add(port);
            }
        }
        return ports;
    }

    private static @Nullable String label(@Nullable Map<String, String> labels, String key) {
        return labels == null ? null : labels.get(key);
    }

    private static String namespace(Pod pod) {
        return pod.getMetadata() == null || pod.getMetadata().getNamespace() == null
                ? ""
                : pod.getMetadata().getNamespace();
    }

    private static String name(Pod pod) {
        return pod.getMetadata() == null || pod.getMetadata().getName() == null
                ? ""
                : pod.getMetadata().getName();
    }

    private static String ref(Pod pod) {
        return namespace(pod) + "/" + name(pod);
    }

    private static String serviceAccount(Pod pod) {
        String sa = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
        return sa == null || sa.isEmpty() ? "default" : sa;
    }
}
