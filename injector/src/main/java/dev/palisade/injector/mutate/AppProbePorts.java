package dev.palisade.injector.mutate;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The ports the kubelet probes in the app's containers.
 *
 * <p>The kubelet probes from the node, in plaintext, so a captured probe would reach the proxy's inbound port, which
 * refuses plaintext in STRICT mode and the pod would never become ready. Palisade excludes these ports from inbound
 * capture (Linkerd's default) rather than rewriting the probes to go through the proxy (Istio's): nothing about the
 * app's probes changes, and the price — that the probe port is reachable without mTLS — is stated in the README.
 */
final class AppProbePorts {

    private AppProbePorts() {}

    /**
     * The HTTP, TCP and gRPC probe ports of the regular containers and of the pod's own sidecars (init containers with
     * {@code restartPolicy: Always}); named ports are resolved against the container's ports. What cannot be resolved
     * is reported in {@code notes}.
     */
    static SortedSet<Integer> collect(PodSpec spec, List<String> notes) {
        SortedSet<Integer> ports = new TreeSet<>();
        List<Container> probed = new ArrayList<>(nullToEmpty(spec.getContainers()));
        for (Container c : nullToEmpty(spec.getInitContainers())) {
            if ("Always".equals(c.getRestartPolicy())) {
                probed.add(c);
            }
        }
        for (Container c : probed) {
            for (Probe probe : new Probe[] {c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe()}) {
                if (probe == null) {
                    continue;
                }
                if (probe.getHttpGet() != null) {
                    add(ports, c, probe.getHttpGet().getPort(), notes);
                }
                if (probe.getTcpSocket() != null) {
                    add(ports, c, probe.getTcpSocket().getPort(), notes);
                }
                if (probe.getGrpc() != null && probe.getGrpc().getPort() != null) {
                    add(ports, c, new IntOrString(probe.getGrpc().getPort()), notes);
                }
            }
        }
        return ports;
    }

    private static void add(SortedSet<Integer> ports, Container c, @Nullable IntOrString port, List<String> notes) {
        if (port == null) {
            return;
        }
        Integer number = port.getIntVal();
        if (number == null && port.getStrVal() != null) {
            number = resolve(c, port.getStrVal());
            if (number == null) {
                notes.add(String.format(
                        Locale.ROOT,
                        "probe port '%s' of container '%s' is not among its named ports: not excluded from capture",
                        port.getStrVal(),
                        c.getName()));
                return;
            }
        }
        if (number != null && number >= 1 && number <= 65535) {
            ports.add(number);
        }
    }

    private static @Nullable Integer resolve(Container c, String name) {
        for (ContainerPort p : nullToEmpty(c.getPorts())) {
            if (Objects.equals(name, p.getName())) {
                return p.getContainerPort();
            }
        }
        return null;
    }

    private static <T> List<T> nullToEmpty(@Nullable List<T> list) {
        return list == null ? List.of() : list;
    }
}
