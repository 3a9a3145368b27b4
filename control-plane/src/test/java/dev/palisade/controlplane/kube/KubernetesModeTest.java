package dev.palisade.controlplane.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.identity.CredentialException;
import dev.palisade.controlplane.identity.Entitlement;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes mode against fabric8's mock API server in CRUD mode (the API server is the one component that cannot run
 * here). TokenReview has no CRUD meaning, so its answers are scripted per token ({@link ScriptedTokenReviews}).
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesModeTest {
    static final TrustDomain TD = TrustDomain.parse("cluster.local");

    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void scriptTokenReviews() {
        ScriptedTokenReviews.install(server);
    }

    @Test
    void unknownTokenIsRefusedWithTheApiServersReason() {
        TokenReviewCredentials credentials = new TokenReviewCredentials(client, TD);
        assertThatThrownBy(() -> credentials.verify("forged"))
                .isInstanceOf(CredentialException.class)
                .hasMessageContaining("invalid bearer token")
                .hasMessageNotContaining("forged");
        assertThatThrownBy(() -> credentials.verify("")).isInstanceOf(CredentialException.class);
    }

    @Test
    void tokenForAnotherAudienceIsRefused() {
        assertThatThrownBy(() -> new TokenReviewCredentials(client, TD).verify("api-audience-token"))
                .isInstanceOf(CredentialException.class)
                .hasMessageContaining("audience 'palisade'");
    }

    @Test
    void authenticatedUserThatIsNotAServiceAccountIsRefused() {
        assertThatThrownBy(() -> new TokenReviewCredentials(client, TD).verify("human-token"))
                .isInstanceOf(CredentialException.class)
                .hasMessageContaining("not a ServiceAccount");
    }

    @Test
    void serviceAccountTokenEntitlesItsWorkloadIdentity() throws Exception {
        Entitlement e = new TokenReviewCredentials(client, TD).verify(ScriptedTokenReviews.tokenOf("shop", "orders"));
        assertThat(e.id()).hasToString("spiffe://cluster.local/ns/shop/sa/orders");
        assertThat(e.subject()).isEqualTo("system:serviceaccount:shop:orders");
    }

    @Test
    void caSecretIsCreatedOnceAndReusedByTheNextStart() {
        CaSecretStore store = new CaSecretStore(client, "palisade-system", "palisade-ca", Clock.systemUTC());
        CertificateAuthority first = store.loadOrCreate(TD, KeyAlgorithm.EC_P256, Duration.ofDays(10));
        CertificateAuthority second = store.loadOrCreate(TD, KeyAlgorithm.EC_P256, Duration.ofDays(10));
        assertThat(second.certificate()).isEqualTo(first.certificate());
        assertThat(second.privateKey().getEncoded())
                .isEqualTo(first.privateKey().getEncoded());
        assertThat(client.secrets().inNamespace("palisade-system").list().getItems())
                .hasSize(1);
    }

    @Test
    void replicaThatLosesTheCreateRaceUsesTheWinnersCa() {
        CaSecretStore winner = new CaSecretStore(client, "palisade-system", "race-ca", Clock.systemUTC());
        CertificateAuthority winnersCa = winner.loadOrCreate(TD, KeyAlgorithm.EC_P256, Duration.ofDays(10));
        // The loser looked before the winner's create landed: its first GET finds nothing, its create conflicts.
        server.expect()
                .get()
                .withPath("/api/v1/namespaces/palisade-system/secrets/race-ca")
                .andReturn(404, null)
                .once();
        CaSecretStore loser = new CaSecretStore(client, "palisade-system", "race-ca", Clock.systemUTC());
        CertificateAuthority losersCa = loser.loadOrCreate(TD, KeyAlgorithm.EC_P256, Duration.ofDays(10));
        assertThat(losersCa.certificate()).isEqualTo(winnersCa.certificate());
    }

    @Test
    void replicasStartingTogetherEndWithOneCa() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<CertificateAuthority>> replicas = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                replicas.add(() -> new CaSecretStore(client, "palisade-system", "together-ca", Clock.systemUTC())
                        .loadOrCreate(TD, KeyAlgorithm.EC_P256, Duration.ofDays(10)));
            }
            List<Future<CertificateAuthority>> results = pool.invokeAll(replicas);
            CertificateAuthority first = results.get(0).get();
            for (Future<CertificateAuthority> r : results) {
                assertThat(r.get().certificate()).isEqualTo(first.certificate());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void caSecretForAnotherTrustDomainIsRefused() {
        new CaSecretStore(client, "palisade-system", "td-ca", Clock.systemUTC())
                .loadOrCreate(TD, KeyAlgorithm.EC_P256, Duration.ofDays(10));
        assertThatThrownBy(() -> new CaSecretStore(client, "palisade-system", "td-ca", Clock.systemUTC())
                        .loadOrCreate(TrustDomain.parse("other.local"), KeyAlgorithm.EC_P256, Duration.ofDays(10)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("trust domain 'cluster.local'");
    }
}
