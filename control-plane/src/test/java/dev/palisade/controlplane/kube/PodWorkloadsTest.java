package dev.palisade.controlplane.kube;

import static dev.palisade.controlplane.kube.KubeFixtures.injectedPod;
import static dev.palisade.controlplane.kube.KubeFixtures.port;
import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.controlplane.policy.PortProtocol;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.controlplane.policy.WorkloadPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PodWorkloadsTest {
    static final List<Namespace> NO_NAMESPACES = List.of();

    static Pod orders(String name, String ip) {
        return injectedPod("shop", name, "orders", ip, Map.of("app", "orders"), port("http", 8080))
                .build();
    }

    @Test
    void podsNotRunningWithoutAnAddressOnTheHostNetworkOrBeingDeletedAreLeftOut() {
        List<Pod> pods = List.of(
                new PodBuilder(orders("pending", "10.0.0.1"))
                        .editStatus()
                        .withPhase("Pending")
                        .endStatus()
                        .build(),
                new PodBuilder(orders("no-ip", "10.0.0.2"))
                        .editStatus()
                        .withPodIP(null)
                        .endStatus()
                        .build(),
                new PodBuilder(orders("host", "10.0.0.3"))
                        .editSpec()
                        .withHostNetwork(true)
                        .endSpec()
                        .build(),
                new PodBuilder(orders("leaving", "10.0.0.4"))
                        .editMetadata()
                        .withDeletionTimestamp("2026-01-01T00:00:00Z")
                        .endMetadata()
                        .build(),
                new PodBuilder(orders("failed", "10.0.0.5"))
                        .editStatus()
                        .withPhase("Failed")
                        .endStatus()
                        .build());
        assertThat(PodWorkloads.of(pods, NO_NAMESPACES).workloads()).isEmpty();
    }

    @Test
    void podsWithoutASidecarAreLeftOutAndWarnedAboutOnlyInAnInjectedNamespace() {
        Pod plain = new PodBuilder(orders("plain", "10.0.0.1"))
                .editMetadata()
                .withAnnotations(Map.of())
                .withLabels(Map.of("app", "orders"))
                .endMetadata()
                .build();
        Pod optedOut = new PodBuilder(plain)
                .editMetadata()
                .withName("opted-out")
                .addToLabels("palisade.dev/inject", "false")
                .endMetadata()
                .build();
        Pod elsewhere = new PodBuilder(plain)
                .editMetadata()
                .withNamespace("other")
                .endMetadata()
                .build();
        List<Namespace> namespaces = List.of(
                new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("shop")
                        .addToLabels("palisade.dev/inject", "enabled")
                        .endMetadata()
                        .build(),
                new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("other")
                        .endMetadata()
                        .build());

        PodWorkloads.Result result = PodWorkloads.of(List.of(plain, optedOut, elsewhere), namespaces);

        assertThat(result.workloads()).isEmpty();
        assertThat(result.warnings())
                .singleElement()
                .asString()
                .contains("shop/plain")
                .contains("without a sidecar")
                .contains("restart it");
    }

    @Test
    void excludedInboundPortsUdpPortsAndTheSidecarsOwnPortsAreNotWorkloadPorts() {
        Pod pod = injectedPod(
                        "shop",
                        "db-0",
                        "db",
                        "10.0.0.9",
                        Map.of("app", "db"),
                        port("http-admin", 8080),
                        port("metrics", 9102),
                        new ContainerPortBuilder()
                                .withName("dns")
                                .withContainerPort(53)
                                .withProtocol("UDP")
                                .build())
                .editMetadata()
                .addToAnnotations("palisade.dev/exclude-inbound-ports", "9102")
                .endMetadata()
                .build();

        Workload w = PodWorkloads.of(List.of(pod), NO_NAMESPACES).workloads().get(0);

        assertThat(w.ports()).containsExactly(new WorkloadPort("http-admin", 8080, PortProtocol.HTTP));
    }

    @Test
    void badEntryOfThePortAnnotationsIsWarnedAboutAndIgnored() {
        Pod pod = new PodBuilder(orders("orders-1", "10.0.0.1"))
                .editMetadata()
                .addToAnnotations("palisade.dev/opaque-ports", "5432, x, 70000")
                .endMetadata()
                .build();

        PodWorkloads.Result result = PodWorkloads.of(List.of(pod), NO_NAMESPACES);

        assertThat(result.workloads().get(0).ports())
                .containsExactly(
                        new WorkloadPort("tcp-5432", 5432, PortProtocol.TCP),
                        new WorkloadPort("http", 8080, PortProtocol.HTTP));
        assertThat(result.warnings())
                .hasSize(2)
                .allSatisfy(w -> assertThat(w).contains("shop/orders-1").contains("palisade.dev/opaque-ports"));
        assertThat(result.warnings().get(0)).contains("'x'");
        assertThat(result.warnings().get(1)).contains("'70000'");
    }

    @Test
    void podsOfOneServiceAccountWithDifferentLabelsAreWarnedAboutAndTheFirstByNameDecides() {
        Pod b = injectedPod("shop", "orders-b", "orders", "10.0.0.2", Map.of("app", "orders", "track", "canary"))
                .build();
        Pod a = orders("orders-a", "10.0.0.1");

        PodWorkloads.Result result = PodWorkloads.of(List.of(b, a), NO_NAMESPACES);

        assertThat(result.workloads()).singleElement().satisfies(w -> {
            assertThat(w.labels()).isEqualTo(Map.of("app", "orders", "palisade.dev/proxy", "enabled"));
            assertThat(w.address()).isEqualTo("10.0.0.1");
        });
        assertThat(result.warnings()).anySatisfy(w -> assertThat(w)
                .contains("shop/orders-a")
                .contains("orders-b")
                .contains("different labels"));
    }

    @Test
    void labelsThatDifferBetweenPodsOfOneControllerByDesignAreNeitherComparedNorSelectable() {
        Pod a = new PodBuilder(orders("orders-a", "10.0.0.1"))
                .editMetadata()
                .addToLabels("pod-template-hash", "aaaa")
                .endMetadata()
                .build();
        Pod b = new PodBuilder(orders("orders-b", "10.0.0.2"))
                .editMetadata()
                .addToLabels("pod-template-hash", "bbbb")
                .endMetadata()
                .build();

        PodWorkloads.Result result = PodWorkloads.of(List.of(a, b), NO_NAMESPACES);

        assertThat(result.warnings()).isEmpty();
        assertThat(result.workloads().get(0).labels()).doesNotContainKey("pod-template-hash");
    }

    @Test
    void podsGroupIntoOneWorkloadPerServiceAccountNamedAfterIt() {
        Pod defaultSa = new PodBuilder(orders("batch", "10.0.0.7"))
                .editSpec()
                .withServiceAccountName(null)
                .endSpec()
                .build();
        Pod payments = injectedPod("shop", "payments-1", "payments", "10.0.0.3", Map.of("app", "payments"))
                .build();
        Pod ordersInOtherNs = new PodBuilder(orders("orders-x", "10.1.0.1"))
                .editMetadata()
                .withNamespace("staging")
                .endMetadata()
                .build();

        List<Workload> workloads = PodWorkloads.of(
                        List.of(
                                orders("orders-2", "10.0.0.2"),
                                orders("orders-1", "10.0.0.1"),
                                payments,
                                defaultSa,
                                ordersInOtherNs),
                        NO_NAMESPACES)
                .workloads();

        assertThat(workloads)
                .extracting(w -> w.namespace() + "/" + w.name() + " sa=" + w.serviceAccount() + " " + w.address())
                .containsExactly(
                        "shop/default sa=default 10.0.0.7",
                        "shop/orders sa=orders 10.0.0.1",
                        "shop/payments sa=payments 10.0.0.3",
                        "staging/orders sa=orders 10.1.0.1");
    }

    @Test
    void unnamedPortsAreHttpAndTheOpaquePortsAnnotationMakesAPortTcpWhateverItsName() {
        Pod pod = injectedPod(
                        "shop",
                        "mixed",
                        "mixed",
                        "10.0.0.5",
                        Map.of(),
                        new ContainerPortBuilder().withContainerPort(8080).build(),
                        port("grpc-api", 9090),
                        port("http-legacy", 8443),
                        port("redis", 6379))
                .editMetadata()
                .addToAnnotations("palisade.dev/opaque-ports", "8443")
                .endMetadata()
                .build();

        assertThat(PodWorkloads.of(List.of(pod), NO_NAMESPACES)
                        .workloads()
                        .get(0)
                        .ports())
                .containsExactly(
                        new WorkloadPort("redis", 6379, PortProtocol.TCP),
                        new WorkloadPort("port-8080", 8080, PortProtocol.HTTP),
                        new WorkloadPort("http-legacy", 8443, PortProtocol.TCP),
                        new WorkloadPort("grpc-api", 9090, PortProtocol.GRPC));
    }

    @ParameterizedTest
    @CsvSource({
        "http, HTTP",
        "http-web, HTTP",
        "http2, HTTP2",
        "http2-internal, HTTP2",
        "grpc, GRPC",
        "grpc-orders, GRPC",
        "grpc-web, HTTP",
        "grpc-web-ui, HTTP",
        "tcp, TCP",
        "tcp-db, TCP",
        "tls, TCP",
        "https, TCP",
        "mongo, TCP",
        "mysql-primary, TCP",
        "redis, TCP",
        "metrics, HTTP",
        "httpx, HTTP",
        "tcpish, HTTP",
    })
    void portProtocolFollowsIstiosPortNaming(String name, PortProtocol expected) {
        assertThat(PodWorkloads.protocolOf(name)).isEqualTo(expected);
    }
}
