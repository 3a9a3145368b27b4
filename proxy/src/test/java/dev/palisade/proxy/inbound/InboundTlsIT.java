package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.tls.TlsProvider;
import dev.palisade.proxy.config.AppProtocol;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.PeerMode;
import dev.palisade.proxy.flow.FlowEvent;
import dev.palisade.testkit.pki.TestCertificate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Who gets through the inbound listener's front door, on both TLS providers of the server: a peer with a valid SVID
 * does; no certificate, an untrusted one, an expired one, plaintext on a STRICT port, a port the workload does not
 * declare, an oversized ClientHello and a stalled handshake are refused before any byte reaches the app, each with its
 * observer label.
 */
@Timeout(60)
class InboundTlsIT {

    static final InboundLimits LIMITS = new InboundLimits(
            8192,
            65536,
            100,
            100,
            200,
            Duration.ofSeconds(10),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofMinutes(1),
            16384,
            Duration.ofSeconds(2));

    static EchoApp app;

    @BeforeAll
    static void startApp() throws IOException {
        app = EchoApp.start();
    }

    @AfterAll
    static void stopApp() {
        app.close();
    }

    private InboundHarness harness;

    private InboundHarness harness(TlsProvider provider) {
        harness = new InboundHarness(
                InboundHarness.config(
                        "v1",
                        Map.of(
                                app.port(),
                                new InboundPort(app.port(), AppProtocol.HTTP, PeerMode.STRICT, Policies.httpV1()))),
                LIMITS,
                provider);
        return harness;
    }

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
        app.seen.clear();
    }

    private void assertRefused(InboundHarness h, SSLContext client, String reason) throws Exception {
        InetSocketAddress address = h.listen(app.port()).localAddress();
        // TLS 1.3: the client may finish its side of the handshake before the server's alert arrives.
        assertThatThrownBy(() -> {
                    try (RawClient c = RawClient.tls(address, client)) {
                        c.get("/public/x");
                    }
                })
                .isInstanceOf(IOException.class);
        assertThat(h.observer.nextRefusal()).isEqualTo(reason);
        assertThat(app.seen).isEmpty();
        h.assertNoMoreFlows();
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void peerWithValidSvidIsServedAndIdentified(TlsProvider provider) throws Exception {
        InboundHarness h = harness(provider);
        InetSocketAddress address = h.listen(app.port()).localAddress();
        try (RawClient c = RawClient.tls(address, TestPki.clientContext(TestPki.CLIENT), "http/1.1")) {
            RawClient.Response response = c.get("/orders/1");
            assertThat(response.status()).isEqualTo(200);
        }
        EchoApp.Seen seen = app.next();
        assertThat(seen.header("x-palisade-peer-identity")).containsExactly(TestPki.CHECKOUT);
        FlowEvent flow = h.nextFlow();
        assertThat(flow.source()).hasToString(TestPki.CHECKOUT);
        assertThat(flow.destination()).hasToString(TestPki.PAYMENTS);
        assertThat(flow.tlsVersion()).isEqualTo("TLSv1.3");
        assertThat(flow.cipher()).startsWith("TLS_");
        assertThat(h.observer.refusals).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void clientWithoutCertificateIsRefused(TlsProvider provider) throws Exception {
        assertRefused(harness(provider), TestPki.anonymousClientContext(), "no_client_certificate");
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void clientWithUntrustedCertificateIsRefused(TlsProvider provider) throws Exception {
        TestCertificate foreign = TestCertificate.leaf(TestPki.CHECKOUT, TestPki.STRANGER);
        assertRefused(harness(provider), TestPki.rawClientContext(foreign), "untrusted_certificate");
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void clientWithExpiredCertificateIsRefused(TlsProvider provider) throws Exception {
        TestCertificate expired = TestCertificate.builder()
                .uri(TestPki.CHECKOUT)
                .issuedBy(TestPki.ROOT)
                .expired()
                .build();
        assertRefused(harness(provider), TestPki.rawClientContext(expired), "expired_certificate");
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void certificateWithoutSpiffeIdIsRefused(TlsProvider provider) throws Exception {
        TestCertificate dnsOnly = TestCertificate.builder()
                .dnsName("checkout.shop.svc")
                .issuedBy(TestPki.ROOT)
                .build();
        assertRefused(harness(provider), TestPki.rawClientContext(dnsOnly), "invalid_svid");
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL"})
    void plaintextOnStrictPortIsRefusedBeforeAnyByteIsParsed(TlsProvider provider) throws Exception {
        InboundHarness h = harness(provider);
        try (RawClient c = RawClient.plaintext(h.listen(app.port()).localAddress())) {
            c.send("GET /public/x HTTP/1.1\r\nHost: payments.shop\r\n\r\n");
            assertThat(c.isClosedByServer(5000)).isTrue();
        }
        assertThat(h.observer.nextRefusal()).isEqualTo("plaintext_refused");
        assertThat(app.seen).isEmpty();
        h.assertNoMoreFlows();
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL"})
    void portTheWorkloadDoesNotDeclareIsRefused(TlsProvider provider) throws Exception {
        InboundHarness h = harness(provider);
        InetSocketAddress address =
                h.listen(app.port() == 65535 ? 65534 : app.port() + 1).localAddress();
        try (RawClient c = RawClient.plaintext(address)) {
            assertThat(c.isClosedByServer(5000)).isTrue();
        }
        assertThat(h.observer.nextRefusal()).isEqualTo("unknown_port");
        assertThat(h.observer.opened.get()).isEqualTo(1);
        h.assertNoMoreFlows();
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL"})
    void clientHelloLargerThanTheLimitIsRefusedWithoutBufferingIt(TlsProvider provider) throws Exception {
        InboundHarness h = harness(provider);
        try (RawClient c = RawClient.plaintext(h.listen(app.port()).localAddress())) {
            // A handshake record announcing 65,535 bytes: refused on its header, nothing more is read.
            c.send(new byte[] {0x16, 0x03, 0x01, (byte) 0xff, (byte) 0xff, 0x01});
            assertThat(c.isClosedByServer(5000)).isTrue();
        }
        assertThat(h.observer.nextRefusal()).isEqualTo("protocol");
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void stalledHandshakeIsClosedAtTheDeadline(TlsProvider provider) throws Exception {
        InboundHarness h = harness(provider);
        long start = System.nanoTime();
        try (RawClient c = RawClient.plaintext(h.listen(app.port()).localAddress())) {
            c.send(new byte[] {0x16, 0x03, 0x01, 0x00});
            assertThat(c.isClosedByServer(5000)).isTrue();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
        assertThat(h.observer.nextRefusal()).isEqualTo("handshake_timeout");
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL"})
    void silentPeerIsClosedAtTheDeadline(TlsProvider provider) throws Exception {
        InboundHarness h = harness(provider);
        try (RawClient c = RawClient.plaintext(h.listen(app.port()).localAddress())) {
            assertThat(c.isClosedByServer(5000)).isTrue();
        }
        assertThat(h.observer.nextRefusal()).isEqualTo("handshake_timeout");
        TimeUnit.MILLISECONDS.sleep(100);
        assertThat(h.observer.closed.get()).isEqualTo(1);
    }
}
