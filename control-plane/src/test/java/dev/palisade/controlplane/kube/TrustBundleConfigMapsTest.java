package dev.palisade.controlplane.kube;

import static dev.palisade.controlplane.kube.KubeFixtures.injectedPod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.kube.TrustBundleConfigMaps.Outcome;
import dev.palisade.testkit.time.FakeClock;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code palisade-ca-root} ConfigMaps against fabric8's mock API server in CRUD mode, which stands in for a real
 * API server (it stores and lists objects and honours label selectors; it does not authorize).
 */
@EnableKubernetesMockClient(crud = true)
class TrustBundleConfigMapsTest {
    static final String OWN = "palisade-system";
    static final TrustDomain TD = TrustDomain.parse("cluster.local");

    static CertificateAuthority root;
    static CertificateAuthority nextRoot;

    KubernetesMockServer server;
    KubernetesClient client;
    TrustBundleConfigMaps configMaps;

    @BeforeAll
    static void roots() {
        FakeClock clock = new FakeClock(Instant.now());
        root = CertificateAuthority.createRoot(TD, KeyAlgorithm.EC_P256, Duration.ofDays(365), clock);
        nextRoot = CertificateAuthority.createRoot(TD, KeyAlgorithm.EC_P256, Duration.ofDays(365), clock);
    }

    @BeforeEach
    void cluster() {
        KubeFixtures.namespace(client, OWN, false);
        KubeFixtures.namespace(client, "shop", true);
        KubeFixtures.namespace(client, "plain", false);
        configMaps = new TrustBundleConfigMaps(client, OWN, TD);
    }

    static TrustBundleSet bundles(CertificateAuthority... cas) {
        TrustBundle bundle = cas[0].trustBundle();
        for (int i = 1; i < cas.length; i++) {
            bundle = bundle.withRoot(cas[i].certificate());
        }
        return TrustBundleSet.of(bundle);
    }

    ConfigMap configMap(String namespace) {
        return client.configMaps()
                .inNamespace(namespace)
                .withName(TrustBundleConfigMaps.NAME)
                .get();
    }

    List<X509Certificate> rootsIn(String namespace) {
        return Pem.readCertificates(configMap(namespace).getData().get("bundle.pem"), namespace);
    }

    // ---- what is left alone ----------------------------------------------------------------------------------------

    @Test
    void anUnlabelledNamespaceWithoutInjectedPodsGetsNone() {
        Map<String, Outcome> outcomes = configMaps.sync(bundles(root));

        assertThat(outcomes).doesNotContainKey("plain");
        assertThat(configMap("plain")).isNull();
    }

    @Test
    void aPodWithoutTheProxyLabelDoesNotBringItsNamespaceIn() {
        KubeFixtures.create(
                client,
                injectedPod("plain", "web-1", "web", "10.0.0.9", Map.of())
                        .editMetadata()
                        .removeFromLabels("palisade.dev/proxy")
                        .endMetadata()
                        .build());

        configMaps.sync(bundles(root));

        assertThat(configMap("plain")).isNull();
    }

    @Test
    void aForeignConfigMapWithoutThePartOfLabelIsLeftAlone() {
        ConfigMap foreign = client.configMaps()
                .inNamespace("shop")
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName(TrustBundleConfigMaps.NAME)
                        .withNamespace("shop")
                        .addToLabels("app.kubernetes.io/part-of", "someone-else")
                        .endMetadata()
                        .addToData("bundle.pem", "not ours")
                        .build())
                .create();

        assertThat(configMaps.sync(bundles(root))).containsEntry("shop", Outcome.FOREIGN);
        assertThat(configMaps.sync(bundles(root))).containsEntry("shop", Outcome.FOREIGN);

        ConfigMap after = configMap("shop");
        assertThat(after.getData()).isEqualTo(Map.of("bundle.pem", "not ours"));
        assertThat(after.getMetadata().getResourceVersion())
                .isEqualTo(foreign.getMetadata().getResourceVersion());
    }

    @Test
    void namespacesThatCannotBeListedFailTheSyncAndWriteNothing() {
        server.expect()
                .get()
                .withPath("/api/v1/namespaces?labelSelector=palisade.dev%2Finject%3Denabled")
                .andReturn(
                        403,
                        new StatusBuilder()
                                .withCode(403)
                                .withMessage("forbidden")
                                .build())
                .always();

        assertThatThrownBy(() -> configMaps.sync(bundles(root)))
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e ->
                        assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
        assertThat(configMap(OWN)).isNull();
    }

    @Test
    void aConflictOnUpdateIsLeftForTheNextRound() {
        configMaps.sync(bundles(root));
        server.expect()
                .put()
                .withPath("/api/v1/namespaces/shop/configmaps/palisade-ca-root")
                .andReturn(
                        409,
                        new StatusBuilder().withCode(409).withReason("Conflict").build())
                .once();

        assertThat(configMaps.sync(bundles(root, nextRoot))).containsEntry("shop", Outcome.CONFLICT);
        assertThat(rootsIn("shop")).containsExactly(root.certificate());

        assertThat(configMaps.sync(bundles(root, nextRoot))).containsEntry("shop", Outcome.UPDATED);
        assertThat(rootsIn("shop")).containsExactly(root.certificate(), nextRoot.certificate());
    }

    // ---- what is written -------------------------------------------------------------------------------------------

    @Test
    void labelledNamespacesAndTheOwnNamespaceGetTheBundleAndTrustDomain() {
        Map<String, Outcome> outcomes = configMaps.sync(bundles(root));

        assertThat(outcomes).isEqualTo(Map.of(OWN, Outcome.CREATED, "shop", Outcome.CREATED));
        for (String namespace : List.of(OWN, "shop")) {
            ConfigMap cm = configMap(namespace);
            assertThat(cm.getMetadata().getLabels()).containsEntry("app.kubernetes.io/part-of", "palisade");
            assertThat(cm.getData()).containsOnlyKeys("bundle.pem", "trust-domain");
            assertThat(cm.getData()).containsEntry("trust-domain", "cluster.local");
            assertThat(rootsIn(namespace)).containsExactly(root.certificate());
        }
        // A second round changes nothing.
        assertThat(configMaps.sync(bundles(root))).isEqualTo(Map.of(OWN, Outcome.UNCHANGED, "shop", Outcome.UNCHANGED));
    }

    @Test
    void aNamespaceWithAnInjectedPodGetsOneWithoutTheNamespaceLabel() {
        KubeFixtures.namespace(client, "opted-in", false);
        KubeFixtures.create(
                client,
                injectedPod("opted-in", "web-1", "web", "10.0.0.9", Map.of()).build());

        assertThat(configMaps.sync(bundles(root))).containsEntry("opted-in", Outcome.CREATED);
        assertThat(rootsIn("opted-in")).containsExactly(root.certificate());
    }

    @Test
    void anOutdatedConfigMapIsUpdated() {
        client.configMaps()
                .inNamespace("shop")
                .resource(new ConfigMapBuilder()
                        .withNewMetadata()
                        .withName(TrustBundleConfigMaps.NAME)
                        .withNamespace("shop")
                        .addToLabels("app.kubernetes.io/part-of", "palisade")
                        .addToLabels("kept", "yes")
                        .endMetadata()
                        .addToData("bundle.pem", Pem.writeCertificates(List.of(nextRoot.certificate())))
                        .addToData("trust-domain", "old.example")
                        .addToData("stray", "x")
                        .build())
                .create();

        assertThat(configMaps.sync(bundles(root))).containsEntry("shop", Outcome.UPDATED);

        ConfigMap cm = configMap("shop");
        assertThat(cm.getData()).containsOnlyKeys("bundle.pem", "trust-domain");
        assertThat(cm.getData()).containsEntry("trust-domain", "cluster.local");
        assertThat(rootsIn("shop")).containsExactly(root.certificate());
        assertThat(cm.getMetadata().getLabels()).containsEntry("kept", "yes");
    }

    @Test
    void aBundleChangeReachesEveryConfigMap() {
        configMaps.sync(bundles(root));

        // A rotation's PREPARED phase: both roots.
        assertThat(configMaps.sync(bundles(root, nextRoot)))
                .isEqualTo(Map.of(OWN, Outcome.UPDATED, "shop", Outcome.UPDATED));
        assertThat(rootsIn(OWN)).containsExactly(root.certificate(), nextRoot.certificate());
        assertThat(rootsIn("shop")).containsExactly(root.certificate(), nextRoot.certificate());

        // Back to STABLE with the new root only.
        configMaps.sync(bundles(nextRoot));
        assertThat(rootsIn("shop")).containsExactly(nextRoot.certificate());
    }

    @Test
    void everyRootOfEveryBundleIsWrittenTheMeshsOwnFirst() {
        TrustDomain other = TrustDomain.parse("aaa.example");
        CertificateAuthority otherRoot = CertificateAuthority.createRoot(
                other, KeyAlgorithm.EC_P256, Duration.ofDays(365), new FakeClock(Instant.now()));

        configMaps.sync(TrustBundleSet.of(otherRoot.trustBundle(), root.trustBundle()));

        assertThat(rootsIn("shop")).containsExactly(root.certificate(), otherRoot.certificate());
        assertThat(configMap("shop").getData()).containsEntry("trust-domain", "cluster.local");
    }
}
