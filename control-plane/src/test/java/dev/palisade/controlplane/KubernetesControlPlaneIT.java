package dev.palisade.controlplane;

import static dev.palisade.controlplane.kube.KubeFixtures.acceptedCondition;
import static dev.palisade.controlplane.kube.KubeFixtures.injectedPod;
import static dev.palisade.controlplane.kube.KubeFixtures.port;
import static dev.palisade.controlplane.kube.KubernetesPolicySource.AUTHORIZATION_POLICIES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.identity.IdentityClient;
import dev.palisade.certs.identity.IssuedIdentity;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.x509.SvidVerifier;
import dev.palisade.controlplane.config.KubernetesConfig;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.kube.KubeFixtures;
import dev.palisade.controlplane.kube.ScriptedTokenReviews;
import dev.palisade.controlplane.kube.TrustBundleConfigMaps;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Kubernetes-mode control plane end to end against fabric8's mock API server in CRUD mode: the CA Secret, the
 * {@code palisade-ca-root} ConfigMap a sidecar bootstraps from, identity through TokenReview (scripted: the mock cannot authenticate tokens), and AuthorizationPolicy resources and Pods
 * reaching a connected sidecar over real gRPC + TLS on loopback.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(120)
class KubernetesControlPlaneIT {
    static final TrustDomain TD = TrustDomain.parse("cluster.local");
    static final SpiffeId ORDERS = SpiffeId.forWorkload(TD, "shop", "orders");
    static final SpiffeId PAYMENTS = SpiffeId.forWorkload(TD, "shop", "payments");
    static final String ORDERS_TOKEN = ScriptedTokenReviews.tokenOf("shop", "orders");
    static final String PAYMENTS_TOKEN = ScriptedTokenReviews.tokenOf("shop", "payments");

    KubernetesMockServer server;
    KubernetesClient client;

    final List<ControlPlane> started = new ArrayList<>();

    @BeforeEach
    void cluster() {
        ScriptedTokenReviews.install(server);
        KubeFixtures.installCrds(client);
        KubeFixtures.namespace(client, "palisade-system", false);
        KubeFixtures.namespace(client, "shop", true);
        KubeFixtures.create(
                client,
                injectedPod("shop", "orders-1", "orders", "10.0.0.1", Map.of("app", "orders"), port("http", 8080))
                        .build());
        KubeFixtures.create(
                client,
                injectedPod("shop", "payments-1", "payments", "10.0.0.2", Map.of("app", "payments"), port("grpc", 9090))
                        .build());
    }

    @AfterEach
    void stop() {
        started.forEach(ControlPlane::close);
    }

    ControlPlane start() throws Exception {
        KubernetesConfig config = KubernetesConfig.builder(MeshConfig.defaults(TD))
                .grpcAddress(new InetSocketAddress("127.0.0.1", 0))
                .adminAddress(new InetSocketAddress("127.0.0.1", 0))
                .syncTimeout(Duration.ofSeconds(20))
                .build();
        ControlPlane cp = ControlPlane.startKubernetes(config, client, Clock.systemUTC());
        started.add(cp);
        await().atMost(Duration.ofSeconds(10)).until(cp::isReady);
        return cp;
    }

    /** What a sidecar is given at start: the bundle of the ConfigMap palisade-ca-root in its namespace. */
    TrustBundleSet bootstrapBundle() {
        ConfigMap roots = client.configMaps()
                .inNamespace("shop")
                .withName(TrustBundleConfigMaps.NAME)
                .get();
        assertThat(roots).as("ConfigMap shop/palisade-ca-root").isNotNull();
        assertThat(roots.getData()).containsEntry("trust-domain", TD.name());
        return TrustBundleSet.of(
                TrustBundle.parsePem(TD, roots.getData().get("bundle.pem"), "ConfigMap palisade-ca-root bundle.pem"));
    }

    /** The CA Secret's bundle.pem. */
    String secretBundlePem() {
        Secret secret = client.secrets()
                .inNamespace("palisade-system")
                .withName(KubernetesConfig.DEFAULT_CA_SECRET)
                .get();
        return new String(Base64.getDecoder().decode(secret.getData().get("bundle.pem")), StandardCharsets.UTF_8);
    }

    IssuedIdentity sign(ControlPlane cp, SpiffeId id, String token) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cp.grpcPort())
                .sslContext(SpiffeSslContexts.forAnonymousClient(
                        bootstrapBundle(), AdsClient.GRPC_TLS, PeerAuthorizer.exactly(cp.selfId())))
                .build();
        try {
            return new IdentityClient(channel, KeyAlgorithm.EC_P256, Clock.systemUTC(), Duration.ofSeconds(10))
                    .request(id, token, Duration.ZERO);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static Status.Code codeOf(Throwable t) {
        assertThat(t).isInstanceOf(StatusRuntimeException.class);
        return ((StatusRuntimeException) t).getStatus().getCode();
    }

    void apply(String name, Map<String, Object> spec) {
        var resources =
                client.genericKubernetesResources(AUTHORIZATION_POLICIES).inNamespace("shop");
        GenericKubernetesResource existing = resources.withName(name).get();
        if (existing == null) {
            resources
                    .resource(KubeFixtures.authorizationPolicy("shop", name, spec))
                    .create();
        } else {
            resources.withName(name).edit(r -> {
                r.setAdditionalProperty("spec", spec);
                return r;
            });
        }
    }

    static Map<String, Object> allowFrom(SpiffeId... principals) {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (SpiffeId p : principals) {
            rules.add(Map.of("from", List.of(Map.of("source", Map.of("principals", List.of(p.toString()))))));
        }
        return Map.of("selector", Map.of("matchLabels", Map.of("app", "orders")), "action", "ALLOW", "rules", rules);
    }

    @Test
    void tokenForAnotherAudienceIsUnauthenticated() throws Exception {
        ControlPlane cp = start();
        assertThatThrownBy(() -> sign(cp, ORDERS, "api-audience-token"))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.UNAUTHENTICATED))
                .hasMessageContaining("audience 'palisade'");
        assertThatThrownBy(() -> sign(cp, ORDERS, "forged"))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    void csrForAnotherServiceAccountIsPermissionDenied() throws Exception {
        ControlPlane cp = start();
        assertThatThrownBy(() -> sign(cp, PAYMENTS, ORDERS_TOKEN))
                .satisfies(t -> assertThat(codeOf(t)).isEqualTo(Status.Code.PERMISSION_DENIED))
                .hasMessageContaining(PAYMENTS.toString())
                .hasMessageContaining(ORDERS.toString());
    }

    @Test
    void sidecarWithItsServiceAccountTokenGetsItsSvid() throws Exception {
        ControlPlane cp = start();
        IssuedIdentity orders = sign(cp, ORDERS, ORDERS_TOKEN);
        assertThat(orders.svid().id()).isEqualTo(ORDERS);
        // IdentityClient has verified the chain against the bundle it received; check it against the ConfigMap's too.
        assertThat(SvidVerifier.of(bootstrapBundle()).verify(orders.svid().chain()))
                .isEqualTo(ORDERS);
    }

    @Test
    void caRootConfigMapIsWrittenBeforeStartReturnsAndFollowsARotation() throws Exception {
        KubernetesConfig config = KubernetesConfig.builder(MeshConfig.defaults(TD))
                .grpcAddress(new InetSocketAddress("127.0.0.1", 0))
                .adminAddress(new InetSocketAddress("127.0.0.1", 0))
                .syncTimeout(Duration.ofSeconds(20))
                .build();
        ControlPlane cp = ControlPlane.startKubernetes(config, client, Clock.systemUTC());
        started.add(cp);
        // Written before the ports served: the namespace labelled for injection and the control plane's own.
        for (String namespace : List.of("shop", "palisade-system")) {
            ConfigMap roots = client.configMaps()
                    .inNamespace(namespace)
                    .withName(TrustBundleConfigMaps.NAME)
                    .get();
            assertThat(roots).as(namespace).isNotNull();
            assertThat(roots.getData().get("bundle.pem")).isEqualTo(secretBundlePem());
        }
        assertThat(bootstrapBundle()).isEqualTo(cp.rotation().state().bundles());

        cp.rotation().start(); // PREPARED: a second root joins the bundle, and the listener rewrites the ConfigMaps
        TrustBundleSet rotated = cp.rotation().state().bundles();
        assertThat(rotated.bundleFor(TD).orElseThrow().roots()).hasSize(2);
        assertThat(bootstrapBundle()).isEqualTo(rotated);
    }

    @Test
    void twoControlPlanesOnOneClusterShareOneCaSecret() throws Exception {
        ControlPlane first = start();
        ControlPlane second = start();
        assertThat(client.secrets().inNamespace("palisade-system").list().getItems())
                .extracting(s -> s.getMetadata().getName())
                .containsExactly(KubernetesConfig.DEFAULT_CA_SECRET);
        assertThat(second.rotation().state().issuer().certificate())
                .isEqualTo(first.rotation().state().issuer().certificate());
        // A certificate from one replica is trusted by a sidecar that bootstrapped from the other's bundle.
        assertThat(sign(second, ORDERS, ORDERS_TOKEN).bundles())
                .isEqualTo(sign(first, ORDERS, ORDERS_TOKEN).bundles());
    }

    @Test
    void invalidResourceIsLeftOutWithItsStatusAndTheLastGoodPolicyStays() throws Exception {
        ControlPlane cp = start();
        IssuedIdentity orders = sign(cp, ORDERS, ORDERS_TOKEN);
        apply("orders-allow", allowFrom(PAYMENTS));
        try (AdsClient ads = new AdsClient(cp.grpcPort(), cp.selfId(), orders)) {
            ads.request(AdsClient.LISTENER, "", "");
            DiscoveryResponse good = awaitListenerWith(ads, "ns[shop]-policy[orders-allow]-rule[0]");
            // The status is written after the set has been published (snapshots first, then the version).
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                            acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "orders-allow"))
                    .isNotNull()
                    .containsEntry("status", "True"));
            String version = cp.policyVersion();

            apply("orders-allow", Map.of("action", "MAYBE", "rules", List.of()));
            apply(
                    "broken",
                    Map.of(
                            "action",
                            "ALLOW",
                            "rules",
                            List.of(Map.of("to", List.of(Map.of("operation", Map.of("paths", List.of("/a/*/b"))))))));

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                            acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "orders-allow"))
                    .isNotNull()
                    .containsEntry("status", "False")
                    .containsEntry("reason", "Invalid")
                    .hasEntrySatisfying("message", m -> assertThat((String) m).contains("spec.action")));
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "broken"))
                            .isNotNull()
                            .containsEntry("status", "False")
                            .hasEntrySatisfying("message", m -> assertThat((String) m)
                                    .contains("spec.rules[0].to[0].operation.paths[0]")));
            assertThat(ads.responses.poll(1500, TimeUnit.MILLISECONDS))
                    .as("bad resources push nothing")
                    .isNull();
            assertThat(cp.policyVersion()).isEqualTo(version);
            assertThat(AdsClient.rbacPolicyNames(good)).contains("ns[shop]-policy[orders-allow]-rule[0]");

            // Fixed: accepted again, and the new version reaches the sidecar.
            apply("orders-allow", allowFrom(PAYMENTS, ORDERS));
            awaitListenerWith(ads, "ns[shop]-policy[orders-allow]-rule[1]");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                            acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "orders-allow"))
                    .containsEntry("status", "True"));
        }
    }

    @Test
    void authorizationPolicyCreateUpdateAndDeleteReachTheSidecarWithinASecond() throws Exception {
        ControlPlane cp = start();
        IssuedIdentity orders = sign(cp, ORDERS, ORDERS_TOKEN);
        try (AdsClient ads = new AdsClient(cp.grpcPort(), cp.selfId(), orders)) {
            ads.request(AdsClient.LISTENER, "", "");
            DiscoveryResponse before = ads.next(AdsClient.LISTENER, Duration.ofSeconds(5));
            assertThat(AdsClient.rbacPolicyNames(before)).noneMatch(n -> n.contains("orders-allow"));

            long created = System.nanoTime();
            apply("orders-allow", allowFrom(PAYMENTS));
            DiscoveryResponse first = awaitListenerWith(ads, "ns[shop]-policy[orders-allow]-rule[0]");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - created))
                    .as("create to sidecar")
                    .isLessThan(1000);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                            acceptedCondition(client, AUTHORIZATION_POLICIES, "shop", "orders-allow"))
                    .isNotNull()
                    .containsEntry("status", "True"));

            long updated = System.nanoTime();
            apply("orders-allow", allowFrom(PAYMENTS, ORDERS));
            DiscoveryResponse second = awaitListenerWith(ads, "ns[shop]-policy[orders-allow]-rule[1]");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - updated))
                    .as("update to sidecar")
                    .isLessThan(1000);
            assertThat(second.getVersionInfo()).isNotEqualTo(first.getVersionInfo());

            client.genericKubernetesResources(AUTHORIZATION_POLICIES)
                    .inNamespace("shop")
                    .withName("orders-allow")
                    .delete();
            DiscoveryResponse third = ads.next(AdsClient.LISTENER, Duration.ofSeconds(5));
            assertThat(AdsClient.rbacPolicyNames(third)).noneMatch(n -> n.contains("orders-allow"));
            assertThat(third.getVersionInfo()).isNotEqualTo(second.getVersionInfo());
        }
    }

    @Test
    void serviceAccountWithoutPoliciesStillGetsAListener() throws Exception {
        ControlPlane cp = start();
        apply("orders-allow", allowFrom(PAYMENTS)); // selects app=orders only
        IssuedIdentity payments = sign(cp, PAYMENTS, PAYMENTS_TOKEN);
        try (AdsClient ads = new AdsClient(cp.grpcPort(), cp.selfId(), payments)) {
            ads.request(AdsClient.LISTENER, "", "");
            DiscoveryResponse r = ads.next(AdsClient.LISTENER, Duration.ofSeconds(5));
            Listener listener = r.getResources(0).unpack(Listener.class);
            assertThat(listener.getFilterChainsList()).isNotEmpty();
            assertThat(EnvoyAnyWalker.unpackAll(listener)).isNotEmpty();
            assertThat(AdsClient.rbacPolicyNames(r)).noneMatch(n -> n.contains("orders-allow"));
        }
    }

    /** The next Listener responses until one carries {@code policyName}; each is ACKed. */
    static DiscoveryResponse awaitListenerWith(AdsClient ads, String policyName) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            DiscoveryResponse r =
                    ads.next(AdsClient.LISTENER, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (AdsClient.rbacPolicyNames(r).contains(policyName)) {
                return r;
            }
        }
    }
}
