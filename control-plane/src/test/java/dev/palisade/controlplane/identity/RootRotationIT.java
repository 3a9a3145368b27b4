package dev.palisade.controlplane.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.identity.IdentityClient;
import dev.palisade.certs.identity.IssuedIdentity;
import dev.palisade.certs.renewal.RenewalSchedule;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.DynamicSslContext;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.PeerIdentity;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.SvidSslContextSource;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.testkit.net.TlsTestPeer;
import dev.palisade.testkit.time.FakeClock;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A full root rotation under traffic: two workloads renew their SVIDs from the identity service (real gRPC over TLS)
 * at half life while the clock runs through STABLE, PREPARED, SWITCHED and back to STABLE, past the old root's
 * expiry; after every step the client opens a fresh mTLS connection to the server and exchanges a line, and an
 * older connection keeps working. Not one request may fail.
 */
@Timeout(180)
class RootRotationIT {
    static final TrustDomain TD = TrustDomain.parse("demo.local");
    static final SpiffeId CONTROL_PLANE = SpiffeId.forWorkload(TD, "palisade-system", "palisade-control-plane");
    static final SpiffeId CHECKOUT = SpiffeId.forWorkload(TD, "shop", "checkout");
    static final SpiffeId PAYMENTS = SpiffeId.forWorkload(TD, "shop", "payments");
    static final Duration MAX_TTL = Duration.ofHours(1);
    static final Duration STEP = Duration.ofMinutes(5);
    static final TlsOptions TLS = TlsOptions.defaults();
    static final TlsOptions GRPC_TLS = TLS.withAlpn(List.of("h2"));

    final FakeClock clock = new FakeClock(Instant.now());

    /** A workload's identity: renewed over gRPC at half life, with TLS contexts that follow it. */
    final class Workload {
        final SpiffeId id;
        final String token;
        IssuedIdentity identity;
        SvidSslContextSource tls;
        Instant renewAt;

        Workload(SpiffeId id, String token, TrustBundleSet bootstrap, int port) throws Exception {
            this.id = id;
            this.token = token;
            this.identity = fetch(bootstrap, port);
            this.tls = new SvidSslContextSource(
                    identity.svid(),
                    identity.bundles(),
                    TLS,
                    PeerAuthorizer.memberOf(TD),
                    PeerAuthorizer.memberOf(TD),
                    clock);
            scheduleRenewal();
        }

        private IssuedIdentity fetch(TrustBundleSet trusted, int port) throws Exception {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
                    .sslContext(SpiffeSslContexts.forAnonymousClient(
                            trusted, GRPC_TLS, PeerAuthorizer.exactly(CONTROL_PLANE), clock))
                    .build();
            try {
                return new IdentityClient(channel, KeyAlgorithm.EC_P256, clock, Duration.ofSeconds(10))
                        .request(id, token, Duration.ZERO);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }

        private void scheduleRenewal() {
            renewAt = RenewalSchedule.of(clock, () -> 0.5, 0.05)
                    .renewAt(identity.svid().notBefore(), identity.svid().notAfter());
        }

        boolean renewIfDue(int port) throws Exception {
            if (clock.instant().isBefore(renewAt)) {
                return false;
            }
            identity = fetch(identity.bundles(), port);
            tls.update(identity.svid(), identity.bundles());
            scheduleRenewal();
            return true;
        }
    }

    @Test
    void fullRotationUnderTrafficFailsNoRequest() throws Exception {
        CertificateAuthority initial =
                CertificateAuthority.createRoot(TD, KeyAlgorithm.EC_P256, Duration.ofDays(1), clock);
        X509Certificate oldRoot = initial.certificate();
        RootRotation rotation = new RootRotation(
                initial,
                clock,
                KeyAlgorithm.EC_P256,
                Duration.ofDays(1),
                MAX_TTL,
                Duration.ofHours(3),
                Duration.ofHours(6));
        List<RootRotation.Phase> phases = new ArrayList<>();
        phases.add(rotation.state().phase());
        rotation.addListener(s -> phases.add(s.phase()));

        // The control plane's own SVID follows the rotation too: issued from the current issuer, renewed at half life
        // and on every phase change, served through a DynamicSslContext.
        SelfIdentity self = new SelfIdentity(rotation);
        rotation.addListener(s -> self.renew());
        BootstrapTokens tokens = BootstrapTokens.parse(
                "checkout-token-0123456789 shop checkout\npayments-token-0123456789 shop payments\n", "tokens", TD);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(new DynamicSslContext(() -> self.tls.server()))
                .addService(new IdentityService(
                        tokens,
                        () -> rotation.state().issuer(),
                        () -> rotation.state().bundles(),
                        MAX_TTL,
                        MAX_TTL))
                .build()
                .start();
        int port = server.getPort();
        Workload payments = new Workload(
                PAYMENTS, "payments-token-0123456789", rotation.state().bundles(), port);
        Workload checkout = new Workload(
                CHECKOUT, "checkout-token-0123456789", rotation.state().bundles(), port);

        int requests = 0;
        int renewals = 0;
        try (TlsTestPeer paymentsServer = new TlsTestPeer(
                        () -> payments.tls.server(), s -> PeerIdentity.of(s).map(Object::toString));
                TlsTestPeer.Client longLived = paymentsServer.connect(checkout.tls.client())) {
            assertThat(longLived.handshake().success()).isTrue();
            assertThat(longLived.nextLine()).isEqualTo(CHECKOUT.toString());

            Instant end = oldRoot.getNotAfter().toInstant().plus(Duration.ofHours(2));
            while (clock.instant().isBefore(end)) {
                clock.advance(STEP);
                rotation.tick();
                self.renewIfDue();
                renewals += payments.renewIfDue(port) ? 1 : 0;
                renewals += checkout.renewIfDue(port) ? 1 : 0;

                try (TlsTestPeer.Client fresh = paymentsServer.connect(checkout.tls.client())) {
                    TlsTestPeer.Handshake h = fresh.handshake();
                    assertThat(h.success())
                            .as(
                                    "request at %s in phase %s: %s",
                                    clock.instant(), rotation.state().phase(), h.cause())
                            .isTrue();
                    assertThat(h.peerId()).contains(PAYMENTS.toString());
                    assertThat(fresh.nextLine()).isEqualTo(CHECKOUT.toString());
                    requests++;
                }
                longLived.send("step " + requests + "\n");
                assertThat(longLived.nextLine()).isEqualTo("step " + requests);
            }
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }

        assertThat(phases)
                .containsExactly(
                        RootRotation.Phase.STABLE,
                        RootRotation.Phase.PREPARED,
                        RootRotation.Phase.SWITCHED,
                        RootRotation.Phase.STABLE);
        X509Certificate newRoot = rotation.state().issuer().certificate();
        assertThat(newRoot).isNotEqualTo(oldRoot);
        assertThat(rotation.state().bundles().bundles().iterator().next().roots())
                .containsExactly(newRoot);
        assertThat(clock.instant()).isAfter(oldRoot.getNotAfter().toInstant());
        assertThat(payments.identity.svid().chain().get(0).getIssuerX500Principal())
                .isEqualTo(newRoot.getSubjectX500Principal());
        assertThat(requests).isGreaterThan(300);
        assertThat(renewals).isGreaterThan(100);
    }

    /** The control plane's own SVID, issued directly from the signing CA. */
    final class SelfIdentity {
        final RootRotation rotation;
        SvidSslContextSource tls;
        Instant renewAt = Instant.MIN;

        SelfIdentity(RootRotation rotation) throws Exception {
            this.rotation = rotation;
            X509Svid svid = issue();
            tls = new SvidSslContextSource(
                    svid,
                    rotation.state().bundles(),
                    GRPC_TLS,
                    PeerAuthorizer.anyVerified(),
                    PeerAuthorizer.anyVerified(),
                    clock,
                    false);
            renewAt = svid.notBefore()
                    .plus(Duration.between(svid.notBefore(), svid.notAfter()).dividedBy(2));
        }

        private X509Svid issue() throws Exception {
            KeyPair keys = KeyAlgorithm.EC_P256.generate();
            return X509Svid.of(
                    rotation.state().issuer().issue(CONTROL_PLANE, keys.getPublic(), MAX_TTL), keys.getPrivate());
        }

        void renewIfDue() {
            if (!clock.instant().isBefore(renewAt)) {
                renew();
            }
        }

        void renew() {
            try {
                X509Svid svid = issue();
                tls.update(svid, rotation.state().bundles());
                renewAt = svid.notBefore()
                        .plus(Duration.between(svid.notBefore(), svid.notAfter())
                                .dividedBy(2));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }
}
