package dev.palisade.controlplane.kube;

import static dev.palisade.controlplane.kube.KubeFixtures.acceptedCondition;
import static dev.palisade.controlplane.kube.KubeFixtures.authorizationPolicy;
import static dev.palisade.controlplane.kube.KubeFixtures.injectedPod;
import static dev.palisade.controlplane.kube.KubeFixtures.port;
import static dev.palisade.controlplane.kube.KubernetesPolicySource.AUTHORIZATION_POLICIES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.palisade.controlplane.config.MtlsMode;
import dev.palisade.controlplane.policy.AuthorizationPolicy;
import dev.palisade.controlplane.policy.PolicyAction;
import dev.palisade.controlplane.policy.PolicyLoadException;
import dev.palisade.controlplane.policy.PolicySet;
import dev.palisade.controlplane.policy.PolicySetListener;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Kubernetes policy source against fabric8's mock API server in CRUD mode. */
@EnableKubernetesMockClient(crud = true)
@Timeout(60)
class KubernetesPolicySourceTest {
    static final Duration DEBOUNCE = Duration.ofMillis(50);
    static final Map<String, Object> DENY_ADMIN = Map.of(
            "action",
            "DENY",
            "rules",
            List.of(Map.of("to", List.of(Map.of("operation", Map.of("paths", List.of("/admin*")))))));
    static final Map<String, Object> DENY_DEBUG = Map.of(
            "action",
            "DENY",
            "rules",
            List.of(Map.of("to", List.of(Map.of("operation", Map.of("paths", List.of("/debug*")))))));

    KubernetesMockServer server;
    KubernetesClient client;

    final Recorder recorder = new Recorder();
    KubernetesPolicySource source;

    /** Every listener call, in order. */
    static final class Recorder implements PolicySetListener {
        final LinkedBlockingQueue<Object> calls = new LinkedBlockingQueue<>();

        @Override
        public void onPolicySet(PolicySet set) {
            calls.add(set);
        }

        @Override
        public void onError(PolicyLoadException error) {
            calls.add(error);
        }

        /** Waits for a set that matches; fails after {@code within}. */
        PolicySet awaitSet(Predicate<PolicySet> matches, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (true) {
                Object o = calls.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertThat(o).as("a matching policy set within %s", within).isNotNull();
                if (o instanceof PolicySet set && matches.test(set)) {
                    return set;
                }
            }
        }

        PolicyLoadException awaitError(Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (true) {
                Object o = calls.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertThat(o).as("a reported error within %s", within).isNotNull();
                if (o instanceof PolicyLoadException e) {
                    return e;
                }
            }
        }

        List<Object> drain(Duration quiet) throws InterruptedException {
            List<Object> out = new ArrayList<>();
            Object o;
            while ((o = calls.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                out.add(o);
            }
            return out;
        }
    }

    @BeforeEach
    void crds() {
        KubeFixtures.installCrds(client);
        KubeFixtures.namespace(client, "shop", true);
    }

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
    }

    void start() {
        source = KubernetesPolicySource.start(client, recorder, DEBOUNCE, Duration.ofSeconds(20), Clock.systemUTC());
    }

    void create(GenericKubernetesResource r) {
        client.genericKubernetesResources(AUTHORIZATION_POLICIES)
                .inNamespace(r.getMetadata().getNamespace())
                .resource(r)
                .create();
    }

    void replaceSpec(String namespace, String name, Map<String, Object> spec) {
        client.genericKubernetesResources(AUTHORIZATION_POLICIES)
                .inNamespace(namespace)
                .withName(name)
                .edit(r -> {
                    r.setAdditionalProperty("spec", spec);
                    return r;
                });
    }

    static boolean hasPolicy(PolicySet set, String name, PolicyAction action, String path) {
        return set.authorizationPolicies().stream()
                .filter(p -> p.name().equals(name))
                .anyMatch(p -> p.action() == action && p.toString().contains(path));
    }

    @Test
    void unreachableApiServerIsReportedWithItsUrl() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String url = "https://127.0.0.1:" + closedPort + "/";
        try (KubernetesClient unreachable = new KubernetesClientBuilder()
                .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                        .withMasterUrl(url)
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build()) {
            assertThatThrownBy(() -> KubernetesPolicySource.start(
                            unreachable, recorder, DEBOUNCE, Duration.ofSeconds(10), Clock.systemUTC()))
                    .isInstanceOf(KubernetesClientException.class)
                    .hasMessageContaining("cannot list")
                    .hasMessageContaining("127.0.0.1:" + closedPort);
        }
        assertThat(recorder.calls).isEmpty();
    }

    @Test
    void invalidNewResourceIsLeftOutAndItsStatusNamesTheField() throws Exception {
        start();
        create(authorizationPolicy("shop", "broken", Map.of("action", "MAYBE")));

        PolicyLoadException error = recorder.awaitError(Duration.ofSeconds(5));

        assertThat(error.getMessage())
                .contains("AuthorizationPolicy shop/broken")
                .contains("spec.action");
        assertThat(source.lastGood().orElseThrow().authorizationPolicies()).isEmpty();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                        acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "broken"))
                .isNotNull()
                .containsEntry("status", "False")
                .containsEntry("reason", "Invalid")
                .hasEntrySatisfying("message", m -> assertThat((String) m).startsWith("spec.action: ")));
        assertThat(client.genericKubernetesResources(AUTHORIZATION_POLICIES)
                        .inNamespace("shop")
                        .withName("broken")
                        .get()
                        .getAdditionalProperties())
                .as("the status write keeps the spec")
                .containsEntry("spec", Map.of("action", "MAYBE"));
    }

    @Test
    void invalidUpdateKeepsTheLastValidVersionInForceUntilFixed() throws Exception {
        start();
        create(authorizationPolicy("shop", "deny", DENY_ADMIN));
        recorder.awaitSet(s -> hasPolicy(s, "deny", PolicyAction.DENY, "/admin"), Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "deny"))
                        .isNotNull()
                        .containsEntry("status", "True")
                        .containsEntry("reason", "Accepted"));
        String goodVersion = source.lastGood().orElseThrow().version();

        replaceSpec("shop", "deny", Map.of("action", "MAYBE", "rules", List.of()));

        assertThat(recorder.awaitError(Duration.ofSeconds(5)).getMessage()).contains("spec.action");
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "deny"))
                        .containsEntry("status", "False"));
        assertThat(source.lastGood().orElseThrow().version()).isEqualTo(goodVersion);
        assertThat(hasPolicy(source.lastGood().orElseThrow(), "deny", PolicyAction.DENY, "/admin"))
                .isTrue();

        replaceSpec("shop", "deny", DENY_DEBUG);

        recorder.awaitSet(s -> hasPolicy(s, "deny", PolicyAction.DENY, "/debug"), Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "deny"))
                        .containsEntry("status", "True"));
    }

    @Test
    void statusWritesAndUnrelatedChangesReportNothingNew() throws Exception {
        start();
        create(authorizationPolicy("shop", "deny", DENY_ADMIN));
        PolicySet set = recorder.awaitSet(s -> !s.authorizationPolicies().isEmpty(), Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "deny") != null);
        String rv = client.genericKubernetesResources(AUTHORIZATION_POLICIES)
                .inNamespace("shop")
                .withName("deny")
                .get()
                .getMetadata()
                .getResourceVersion();

        KubeFixtures.namespace(client, "unrelated", false);

        assertThat(recorder.drain(Duration.ofMillis(800)))
                .as("no new set, no error")
                .isEmpty();
        assertThat(client.genericKubernetesResources(AUTHORIZATION_POLICIES)
                        .inNamespace("shop")
                        .withName("deny")
                        .get()
                        .getMetadata()
                        .getResourceVersion())
                .as("the status is written once, not in a loop")
                .isEqualTo(rv);
        assertThat(source.lastGood().orElseThrow().version()).isEqualTo(set.version());
    }

    @Test
    void emptyClusterGivesAnEmptyFirstSet() throws Exception {
        start();
        PolicySet first = recorder.awaitSet(s -> true, Duration.ofSeconds(5));
        assertThat(first.objects()).isEmpty();
    }

    @Test
    void podsAndResourcesMakeTheSetAndItsVersionIsTheContents() throws Exception {
        start();
        String empty = recorder.awaitSet(s -> true, Duration.ofSeconds(5)).version();
        KubeFixtures.create(
                client,
                injectedPod("shop", "orders-1", "orders", "10.0.0.1", Map.of("app", "orders"), port("http", 8080))
                        .build());
        create(authorizationPolicy("shop", "deny", DENY_ADMIN));
        client.genericKubernetesResources(KubernetesPolicySource.PEER_AUTHENTICATIONS)
                .inNamespace("shop")
                .resource(KubeFixtures.peerAuthentication(
                        "shop", "permissive", Map.of("mtls", Map.of("mode", "PERMISSIVE"))))
                .create();

        PolicySet set = recorder.awaitSet(
                s -> s.workloads().size() == 1
                        && s.authorizationPolicies().size() == 1
                        && s.peerAuthentications().size() == 1,
                Duration.ofSeconds(5));
        assertThat(set.peerAuthentications().get(0).mode()).isEqualTo(MtlsMode.PERMISSIVE);
        assertThat(set.workload("shop", "orders")).hasValueSatisfying(w -> {
            assertThat(w.address()).isEqualTo("10.0.0.1");
            assertThat(w.labels()).containsEntry("app", "orders");
        });
        AuthorizationPolicy policy = set.authorizationPolicies().get(0);
        assertThat(policy.action()).isEqualTo(PolicyAction.DENY);

        client.genericKubernetesResources(AUTHORIZATION_POLICIES)
                .inNamespace("shop")
                .withName("deny")
                .delete();
        client.pods().inNamespace("shop").withName("orders-1").delete();
        client.genericKubernetesResources(KubernetesPolicySource.PEER_AUTHENTICATIONS)
                .inNamespace("shop")
                .withName("permissive")
                .delete();

        PolicySet emptyAgain = recorder.awaitSet(s -> s.objects().isEmpty(), Duration.ofSeconds(5));
        assertThat(emptyAgain.version())
                .as("the same content, the same version")
                .isEqualTo(empty);
    }

    @Test
    void burstOfChangesIsReportedAsFewSets() throws Exception {
        start();
        recorder.awaitSet(s -> true, Duration.ofSeconds(5));
        for (int i = 0; i < 20; i++) {
            create(authorizationPolicy("shop", "deny-" + i, DENY_ADMIN));
        }
        recorder.calls.clear();
        PolicySet all = source.lastGood().orElseThrow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (all.authorizationPolicies().size() < 20 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            all = source.lastGood().orElseThrow();
        }
        assertThat(all.authorizationPolicies()).hasSize(20);
        List<Object> later = recorder.drain(Duration.ofMillis(500));
        assertThat(later.stream().filter(PolicySet.class::isInstance).count())
                .as("sets reported for 20 creates")
                .isLessThanOrEqualTo(5);
    }
}
