package dev.palisade.certs.tls;

import static dev.palisade.certs.tls.MutualTlsIT.CLIENT_ID;
import static dev.palisade.certs.tls.MutualTlsIT.SERVER_ID;
import static dev.palisade.certs.tls.MutualTlsIT.TD;
import static dev.palisade.certs.tls.MutualTlsIT.assertRefusedFor;
import static dev.palisade.certs.tls.MutualTlsIT.bundles;
import static dev.palisade.certs.tls.MutualTlsIT.issue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.x509.SvidRule;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.testkit.net.TlsTestPeer;
import dev.palisade.testkit.time.FakeClock;
import io.netty.handler.ssl.SslContext;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS 1.3 session resumption between two BoringSSL peers, over real loopback sockets: a resumed handshake presents
 * no certificates, so the trust manager's resumption check is all that stands between an old session and a peer whose
 * certificate expired or whose identity is no longer accepted. The refusals come first; then resumption itself, and
 * that a rebuilt context (a rotated SVID or bundle) never resumes a session of the old one (Envoy CVE-2022-21654).
 *
 * <p>Each negative test would pass its second handshake without {@link SpiffeTrustManager}'s resumption methods: the
 * positive test shows that the same second connection is resumed, and a resumed handshake runs no certificate
 * verification of its own.
 */
@Timeout(60)
class SessionResumptionIT {
    private static final TlsOptions BORINGSSL = TlsOptions.defaults().withProvider(TlsProvider.OPENSSL);

    /** The client of every case: BoringSSL, expecting the server's SPIFFE ID. */
    private static SslContext client() throws Exception {
        return SpiffeSslContexts.forClient(issue(CLIENT_ID), bundles, BORINGSSL, PeerAuthorizer.exactly(SERVER_ID));
    }

    /** Connects, waits for the server's greeting (which also delivers the session ticket), and closes. */
    private static void fullHandshakeAndTicket(TlsTestPeer peer, SslContext client) throws Exception {
        try (TlsTestPeer.Client first = peer.connect(client)) {
            TlsTestPeer.Handshake h = first.handshake();
            assertThat(h.success()).as("first handshake: %s", h.cause()).isTrue();
            assertThat(TlsSessions.isResumed(first.ssl.engine())).isFalse();
            assertThat(first.nextLine()).isEqualTo(CLIENT_ID.toString());
            assertThat(peer.nextServerHandshake().success()).isTrue();
        }
    }

    /** Connects again: the server's resumption check refuses the session for {@code rule}, and never greets. */
    private static void assertServerRefusesResumption(TlsTestPeer peer, SslContext client, SvidRule rule)
            throws Exception {
        try (TlsTestPeer.Client resumed = peer.connect(client)) {
            TlsTestPeer.Handshake atServer = peer.nextServerHandshake();
            assertThat(atServer.success()).isFalse();
            assertRefusedFor(atServer.cause(), rule);
            assertResumptionRefused(atServer.cause());
            resumed.closed.get(10, TimeUnit.SECONDS);
            assertThat(resumed.lines)
                    .as("the server must never greet a refused peer")
                    .isEmpty();
        }
    }

    /**
     * The refusal came from the resumption check, not from a full handshake (which the same clock or authorizer would
     * also refuse): these tests are about resumed sessions only while the second connection really does resume.
     */
    private static void assertResumptionRefused(Throwable failure) {
        assertThat(failure).hasStackTraceContaining("resumed session refused");
    }

    /**
     * BoringSSL server contexts, and JDK ones too: without tcnative a sidecar's server contexts use the JDK provider,
     * and BoringSSL peers still offer them tickets.
     */
    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void serverRefusesAResumedSessionWhoseClientCertificateHasExpired(TlsProvider serverProvider) throws Exception {
        FakeClock serverClock = new FakeClock(Instant.now());
        SslContext server = SpiffeSslContexts.forServer(
                issue(SERVER_ID),
                bundles,
                TlsOptions.defaults().withProvider(serverProvider),
                PeerAuthorizer.anyVerified(),
                serverClock);
        SslContext client = client(); // its SVID is valid for one hour
        try (TlsTestPeer peer = new TlsTestPeer(server, MutualTlsIT::peerId)) {
            fullHandshakeAndTicket(peer, client);

            // Well inside the session's 300 s on the wall clock, but the client's leaf is past its notAfter + skew.
            serverClock.advance(Duration.ofHours(2));
            assertServerRefusesResumption(peer, client, SvidRule.EXPIRED);
        }
    }

    @Test
    void serverRefusesAResumedSessionOfAPeerItNoLongerAccepts() throws Exception {
        AtomicBoolean accepting = new AtomicBoolean(true);
        SslContext server = SpiffeSslContexts.forServer(
                issue(SERVER_ID), bundles, BORINGSSL, id -> accepting.get(), Clock.systemUTC());
        SslContext client = client();
        try (TlsTestPeer peer = new TlsTestPeer(server, MutualTlsIT::peerId)) {
            fullHandshakeAndTicket(peer, client);

            accepting.set(false);
            assertServerRefusesResumption(peer, client, SvidRule.UNEXPECTED_SPIFFE_ID);
        }
    }

    @Test
    void clientRefusesAResumedSessionWhoseServerCertificateHasExpired() throws Exception {
        SslContext server = SpiffeSslContexts.forServer(issue(SERVER_ID), bundles, BORINGSSL);
        FakeClock clientClock = new FakeClock(Instant.now());
        SslContext client = SpiffeSslContexts.forClient(
                issue(CLIENT_ID), bundles, BORINGSSL, PeerAuthorizer.exactly(SERVER_ID), clientClock);
        try (TlsTestPeer peer = new TlsTestPeer(server, MutualTlsIT::peerId)) {
            fullHandshakeAndTicket(peer, client);

            clientClock.advance(Duration.ofHours(2));
            try (TlsTestPeer.Client resumed = peer.connect(client)) {
                TlsTestPeer.Handshake atClient = resumed.handshake();
                assertThat(atClient.success()).isFalse();
                assertRefusedFor(atClient.cause(), SvidRule.EXPIRED);
                assertResumptionRefused(atClient.cause());
            }
        }
    }

    @Test
    void resumesWithinOneContextAndNeverAcrossARebuiltOne() throws Exception {
        X509Svid first = issue(SERVER_ID);
        SvidSslContextSource source = new SvidSslContextSource(
                first,
                bundles,
                BORINGSSL,
                PeerAuthorizer.anyVerified(),
                PeerAuthorizer.memberOf(TD),
                Clock.systemUTC());
        SslContext client = client();
        try (TlsTestPeer peer = new TlsTestPeer(source::server, MutualTlsIT::peerId)) {
            fullHandshakeAndTicket(peer, client);

            try (TlsTestPeer.Client resumed = peer.connect(client)) {
                TlsTestPeer.Handshake atClient = resumed.handshake();
                assertThat(atClient.success()).isTrue();
                assertThat(TlsSessions.isResumed(resumed.ssl.engine()))
                        .as("the second connection with the same contexts resumes")
                        .isTrue();
                // Both identities survive resumption: the server greets the client by its SPIFFE ID (what the inbound
                // sidecar authorizes), and the client still sees the server's.
                assertThat(atClient.peerId()).contains(SERVER_ID.toString());
                assertThat(resumed.nextLine()).isEqualTo(CLIENT_ID.toString());
                assertThat(peer.nextServerHandshake().peerId()).contains(CLIENT_ID.toString());
            }

            X509Svid second = issue(SERVER_ID);
            source.update(second, bundles);
            try (TlsTestPeer.Client afterRotation = peer.connect(client)) {
                assertThat(afterRotation.handshake().success()).isTrue();
                assertThat(TlsSessions.isResumed(afterRotation.ssl.engine()))
                        .as("a context built after a rotation has its own ticket keys: a full handshake")
                        .isFalse();
                X509Certificate served = (X509Certificate)
                        afterRotation.ssl.engine().getSession().getPeerCertificates()[0];
                assertThat(served).isEqualTo(second.leaf());
                assertThat(afterRotation.nextLine()).isEqualTo(CLIENT_ID.toString());
            }
        }
    }
}
