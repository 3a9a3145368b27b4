package dev.palisade.controlplane.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.pem.Pem;
import dev.palisade.testkit.time.FakeClock;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook's serving certificate against fabric8's mock API server in CRUD mode (no real API server here). */
@EnableKubernetesMockClient(crud = true)
class WebhookCertificatesTest {
    static final String NS = "palisade-system";
    static final String SERVICE = "palisade-webhook";

    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void patchingAMissingConfigurationNamesIt() {
        WebhookCertificates certs = new WebhookCertificates(client, NS, SERVICE, new FakeClock(Instant.now()));
        WebhookCertificates.Material material = certs.ensure();
        assertThatThrownBy(() -> certs.patchCaBundle("palisade-injector", material))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("MutatingWebhookConfiguration palisade-injector not found");
    }

    @Test
    void aSecretWithAMissingKeyIsNamed() {
        client.secrets()
                .inNamespace(NS)
                .resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                        .withNewMetadata()
                        .withName(SERVICE + "-tls")
                        .withNamespace(NS)
                        .endMetadata()
                        .addToData("ca.crt", "")
                        .build())
                .create();
        WebhookCertificates certs = new WebhookCertificates(client, NS, SERVICE, new FakeClock(Instant.now()));
        assertThatThrownBy(certs::ensure)
                .hasMessageContaining("Secret palisade-system/palisade-webhook-tls")
                .hasMessageContaining("tls.crt");
    }

    @Test
    void theFirstReplicaCreatesAndTheSecondLoadsTheSameCertificate() throws Exception {
        FakeClock clock = new FakeClock(Instant.now());
        WebhookCertificates.Material first = new WebhookCertificates(client, NS, SERVICE, clock).ensure();
        WebhookCertificates.Material second = new WebhookCertificates(client, NS, SERVICE, clock).ensure();
        assertThat(second).isEqualTo(first);

        X509Certificate leaf =
                Pem.readCertificates(first.certificatePem(), "tls.crt").get(0);
        X509Certificate ca = Pem.readCertificates(first.caPem(), "ca.crt").get(0);
        leaf.verify(ca.getPublicKey());
        assertThat(leaf.getSubjectAlternativeNames().stream()
                        .map(san -> String.valueOf(san.get(1)))
                        .toList())
                .containsExactly(
                        "palisade-webhook.palisade-system.svc", "palisade-webhook.palisade-system.svc.cluster.local");
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(ca.getBasicConstraints()).isZero();
        // The key matches the certificate.
        assertThat(Pem.readPrivateKey(first.keyPem(), "tls.key").getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void aCertificateNearItsEndIsReplaced() {
        FakeClock clock = new FakeClock(Instant.now());
        WebhookCertificates.Material first = new WebhookCertificates(client, NS, SERVICE, clock).ensure();
        clock.advance(WebhookCertificates.LIFETIME
                .minus(WebhookCertificates.RENEW_BEFORE)
                .minus(Duration.ofDays(1)));
        assertThat(new WebhookCertificates(client, NS, SERVICE, clock).ensure()).isEqualTo(first);
        clock.advance(Duration.ofDays(2));
        WebhookCertificates.Material renewed = new WebhookCertificates(client, NS, SERVICE, clock).ensure();
        assertThat(renewed).isNotEqualTo(first);
        assertThat(new WebhookCertificates(client, NS, SERVICE, clock).ensure()).isEqualTo(renewed);
    }

    @Test
    void writesTheFilesAndSetsTheCaBundleOfEveryWebhook() throws Exception {
        client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .resource(new MutatingWebhookConfigurationBuilder()
                        .withNewMetadata()
                        .withName("palisade-injector")
                        .endMetadata()
                        .addNewWebhook()
                        .withName("namespaces.palisade.dev")
                        .withNewClientConfig()
                        .withNewService()
                        .withName(SERVICE)
                        .withNamespace(NS)
                        .endService()
                        .endClientConfig()
                        .endWebhook()
                        .addNewWebhook()
                        .withName("pods.palisade.dev")
                        .withNewClientConfig()
                        .withCaBundle("c3RhbGU=")
                        .endClientConfig()
                        .endWebhook()
                        .build())
                .create();
        WebhookCertificates certs = new WebhookCertificates(client, NS, SERVICE, new FakeClock(Instant.now()));
        WebhookCertificates.Material material = certs.ensure();
        WebhookCertificates.write(material, dir);
        assertThat(Files.readString(dir.resolve("tls.crt"))).isEqualTo(material.certificatePem());
        assertThat(Files.readString(dir.resolve("tls.key"))).isEqualTo(material.keyPem());
        assertThat(Files.readString(dir.resolve("ca.crt"))).isEqualTo(material.caPem());

        assertThat(certs.patchCaBundle("palisade-injector", material)).isEqualTo(2);
        MutatingWebhookConfiguration patched = client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName("palisade-injector")
                .get();
        List<String> bundles = patched.getWebhooks().stream()
                .map(w -> new String(
                        Base64.getDecoder().decode(w.getClientConfig().getCaBundle()), StandardCharsets.UTF_8))
                .toList();
        assertThat(bundles).containsOnly(material.caPem());
        // The service reference is kept.
        assertThat(patched.getWebhooks().get(0).getClientConfig().getService().getName())
                .isEqualTo(SERVICE);
        // Idempotent: nothing to change the second time.
        assertThat(certs.patchCaBundle("palisade-injector", material)).isZero();
    }
}
