package dev.palisade.controlplane.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.identity.RootRotation;
import dev.palisade.testkit.time.FakeClock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Control-plane replicas share one rotation through the CA Secret: whoever moves first wins, the others adopt its
 * new root and phase, so trust never splits between replicas. fabric8's mock API server, CRUD mode.
 */
@EnableKubernetesMockClient(crud = true)
class RotationAcrossReplicasTest {
    static final TrustDomain TD = TrustDomain.parse("cluster.local");
    static final Duration MAX_TTL = Duration.ofHours(1);

    KubernetesMockServer server;
    KubernetesClient client;
    final FakeClock clock = new FakeClock(Instant.now());

    RootRotation replica() {
        CaSecretStore store = new CaSecretStore(client, "palisade-system", "palisade-ca", clock);
        RootRotation rotation = new RootRotation(
                store.loadOrCreate(TD, KeyAlgorithm.EC_P256, Duration.ofDays(1)),
                clock,
                KeyAlgorithm.EC_P256,
                Duration.ofDays(1),
                MAX_TTL,
                Duration.ofHours(3),
                Duration.ofHours(6));
        rotation.attachStore(store);
        return rotation;
    }

    static List<X509Certificate> roots(RootRotation r) {
        return r.state().bundles().bundles().iterator().next().roots();
    }

    @Test
    void replicasFollowOneRotationWhoeverMovesFirst() {
        RootRotation a = replica();
        RootRotation b = replica();
        X509Certificate oldRoot = a.state().issuer().certificate();
        assertThat(b.state().issuer().certificate()).isEqualTo(oldRoot);

        a.start();
        assertThat(a.state().phase()).isEqualTo(RootRotation.Phase.PREPARED);
        b.tick();
        assertThat(b.state().phase()).isEqualTo(RootRotation.Phase.PREPARED);
        assertThat(roots(b)).hasSize(2).containsExactlyElementsOf(roots(a));
        assertThat(b.state().issuer().certificate()).isEqualTo(oldRoot);

        // A replica that missed the start, asked to start on its own, adopts the rotation under way instead.
        RootRotation c = replica();
        c.start();
        assertThat(roots(c)).containsExactlyElementsOf(roots(a));

        // The phase ends; B moves first, A (stale) loses the write and adopts B's switch.
        clock.advance(MAX_TTL.plusMinutes(2));
        b.tick();
        assertThat(b.state().phase()).isEqualTo(RootRotation.Phase.SWITCHED);
        a.tick();
        assertThat(a.state().phase()).isEqualTo(RootRotation.Phase.SWITCHED);
        assertThat(a.state().issuer().certificate())
                .isEqualTo(b.state().issuer().certificate());
        X509Certificate newRoot = b.state().issuer().certificate();
        assertThat(newRoot).isNotEqualTo(oldRoot);
        assertThat(roots(a)).containsExactly(oldRoot, newRoot);

        // A restarted replica mid-rotation signs with the new root and trusts both.
        RootRotation restarted = replica();
        assertThat(restarted.state().phase()).isEqualTo(RootRotation.Phase.SWITCHED);
        assertThat(restarted.state().issuer().certificate()).isEqualTo(newRoot);
        assertThat(roots(restarted)).containsExactly(oldRoot, newRoot);

        clock.advance(MAX_TTL.plusMinutes(2));
        a.tick();
        b.tick();
        c.tick();
        for (RootRotation r : List.of(a, b, c)) {
            assertThat(r.state().phase()).isEqualTo(RootRotation.Phase.STABLE);
            assertThat(roots(r)).containsExactly(newRoot);
        }
        assertThat(client.secrets().inNamespace("palisade-system").list().getItems())
                .hasSize(1);
    }
}
