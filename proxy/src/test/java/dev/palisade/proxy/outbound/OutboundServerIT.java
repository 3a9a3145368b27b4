package dev.palisade.proxy.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.SvidSslContextSource;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.proxy.capture.OriginalDestinationAddress;
import dev.palisade.proxy.config.Destination;
import dev.palisade.proxy.config.ProxyConfig;
import dev.palisade.proxy.config.ProxyConfigHolder;
import dev.palisade.proxy.flow.FlowEvent;
import dev.palisade.proxy.inbound.InboundObserver;
import dev.palisade.testkit.pki.TestCertificate;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The outbound listener end to end on loopback: a blocking app socket, the listener, real mTLS (BoringSSL when
 * available) to an echo server that requires the client's SVID. Captured mode is driven through the package-private
 * factory with a fixed original destination, since a real REDIRECT needs a network namespace
 * ({@code TransparentCaptureIT}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class OutboundServerIT {
    private static final TrustDomain TD = TrustDomain.parse("cluster.local");
    private static final String CHECKOUT = "spiffe://cluster.local/ns/shop/sa/checkout";
    private static final String PAYMENTS = "spiffe://cluster.local/ns/shop/sa/payments";
    private static final String H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    private static EventLoopGroup group;
    private static TestCertificate root;
    private static TrustBundleSet bundles;
    private static OutboundTls tls;
    private static SslContext payments;

    private final LinkedBlockingQueue<FlowEvent> flows = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<String> refusals = new LinkedBlockingQueue<>();
    private final AtomicInteger open = new AtomicInteger();
    private final LinkedBlockingQueue<Boolean> handshakesResumed = new LinkedBlockingQueue<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        root = TestCertificate.root("outbound-test-root");
        bundles = TrustBundleSet.of(TrustBundle.of(TD, List.of(root.certificate())));
        TestCertificate checkout = TestCertificate.leaf(CHECKOUT, root);
        SvidSslContextSource source = new SvidSslContextSource(
                X509Svid.of(checkout.chain(), checkout.privateKey()),
                bundles,
                TlsOptions.defaults(),
                PeerAuthorizer.anyVerified(),
                PeerAuthorizer.anyVerified(),
                Clock.systemUTC());
        tls = new OutboundTls(source, TlsOptions.defaults());
        payments = serverContext(TestCertificate.leaf(PAYMENTS, root));
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    // --- refused first ---

    @Test
    void closesWithoutRelayingAByteWhenTheServerIsNotTheExpectedIdentity() throws Exception {
        EchoServer echo = echo(payments);
        String spec = "bad=0:127.0.0.1:" + echo.address().getPort() + ":spiffe://cluster.local/ns/shop/sa/other";
        String good = "good=0:127.0.0.1:" + echo.address().getPort() + ":" + PAYMENTS;
        OutboundServer server = explicit(List.of(ExplicitUpstream.parse(spec), ExplicitUpstream.parse(good)));

        int received = AppClient.sendAndAwaitClose(server.localAddress("bad"), bytes("GET / HTTP/1.1\r\n\r\n"));

        assertThat(received).isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("peer_mismatch");
        FlowEvent event = nextFlow();
        assertThat(event.destination()).isNull();
        assertThat(event.bytesOut()).isZero();
        assertThat(echo.bytesReceived.get()).isZero();
        // The other upstream of the same listener is unaffected.
        assertThat(AppClient.exchange(server.localAddress("good"), bytes("ping")))
                .isEqualTo(bytes("ping"));
    }

    @Test
    void closesWhenTheServerCertificateIsNotFromTheTrustBundle() throws Exception {
        TestCertificate otherRoot = TestCertificate.root("someone-else");
        EchoServer echo = echo(serverContext(TestCertificate.leaf(PAYMENTS, otherRoot), otherRoot));
        OutboundServer server = explicit(List.of(upstream("p", echo, PAYMENTS)));

        assertThat(AppClient.sendAndAwaitClose(server.localAddress("p"), bytes("hello")))
                .isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("untrusted_certificate");
        assertThat(echo.bytesReceived.get()).isZero();
        assertThat(nextFlow().tlsVersion()).isNull();
    }

    @Test
    void closesWhenTheServerCertificateExpired() throws Exception {
        TestCertificate expired =
                TestCertificate.builder().uri(PAYMENTS).issuedBy(root).expired().build();
        EchoServer echo = echo(serverContext(expired));
        OutboundServer server = explicit(List.of(upstream("p", echo, PAYMENTS)));

        assertThat(AppClient.sendAndAwaitClose(server.localAddress("p"), bytes("hello")))
                .isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("expired_certificate");
        assertThat(echo.bytesReceived.get()).isZero();
    }

    @Test
    void withoutAnExpectedIdAcceptsOnlyTheOwnTrustDomain() throws Exception {
        TrustDomain foreign = TrustDomain.parse("partner.example");
        TestCertificate partnerRoot = TestCertificate.root("partner-root");
        TrustBundleSet both = TrustBundleSet.of(
                TrustBundle.of(TD, List.of(root.certificate())),
                TrustBundle.of(foreign, List.of(partnerRoot.certificate())));
        TestCertificate partner = TestCertificate.leaf("spiffe://partner.example/ns/x/sa/y", partnerRoot);
        EchoServer echo = echo(
                SpiffeSslContexts.forServer(X509Svid.of(partner.chain(), partner.privateKey()), both, serverOptions()));
        TestCertificate checkout = TestCertificate.leaf(CHECKOUT, root);
        OutboundTls federated = new OutboundTls(
                new SvidSslContextSource(
                        X509Svid.of(checkout.chain(), checkout.privateKey()),
                        both,
                        TlsOptions.defaults(),
                        PeerAuthorizer.anyVerified(),
                        PeerAuthorizer.anyVerified(),
                        Clock.systemUTC()),
                TlsOptions.defaults());
        OutboundServer server = track(OutboundServer.explicit(
                group,
                InetAddress.getLoopbackAddress(),
                List.of(ExplicitUpstream.parse("p=0:127.0.0.1:" + echo.address().getPort())),
                services(federated, OutboundSettings.defaults(), null)));

        assertThat(AppClient.sendAndAwaitClose(server.localAddress("p"), bytes("hello")))
                .isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("peer_mismatch");
    }

    @Test
    void capturedRefusesOutsideTheMeshWhenDenied() throws Exception {
        EchoServer plain = echo(null);
        OutboundServer server = captured(
                plain.address(),
                OutboundSettings.defaults().withOutsideMesh(OutsideMeshPolicy.DENY),
                new ProxyConfig("v1", Map.of(), Map.of()));

        assertThat(AppClient.sendAndAwaitClose(server.localAddress(), bytes("hello")))
                .isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("outside_mesh");
        assertThat(plain.connections.get()).isZero();
    }

    @Test
    void capturedRefusesTheSidecarsOwnPorts() throws Exception {
        OutboundServer server = captured(
                new InetSocketAddress("127.0.0.1", 15006),
                OutboundSettings.defaults(),
                new ProxyConfig("v1", Map.of(), Map.of()));

        assertThat(AppClient.sendAndAwaitClose(server.localAddress(), bytes("hello")))
                .isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("reserved_port");
    }

    @Test
    void capturedRefusesEverythingBeforeTheFirstConfig() throws Exception {
        EchoServer plain = echo(null);
        OutboundServer server = captured(plain.address(), OutboundSettings.defaults(), null);

        assertThat(AppClient.sendAndAwaitClose(server.localAddress(), bytes("hello")))
                .isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("no_config");
        assertThat(plain.connections.get()).isZero();
    }

    @Test
    void capturedRefusesAConnectionThatWasNotRedirected() throws Exception {
        OutboundServer server = track(OutboundServer.captured(
                group,
                new InetSocketAddress("127.0.0.1", 0),
                services(tls, OutboundSettings.defaults(), new ProxyConfig("v1", Map.of(), Map.of())),
                ch -> Optional.empty()));

        assertThat(AppClient.sendAndAwaitClose(server.localAddress(), bytes("hello")))
                .isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("not_redirected");
    }

    @Test
    void capturedModeNeedsEpollAndRefusesADirectConnectionOnIt() throws Exception {
        OutboundServices services =
                services(tls, OutboundSettings.defaults(), new ProxyConfig("v1", Map.of(), Map.of()));
        assertThatThrownBy(() -> OutboundServer.captured(group, new InetSocketAddress("127.0.0.1", 0), services))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("epoll");
        assumeTrue(Epoll.isAvailable(), "epoll unavailable");
        EventLoopGroup epoll = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (OutboundServer server = OutboundServer.captured(epoll, new InetSocketAddress("127.0.0.1", 0), services)) {
            // Connected to 15001 directly: SO_ORIGINAL_DST names the listener itself, so it was not redirected.
            assertThat(AppClient.sendAndAwaitClose(server.localAddress(), bytes("hello")))
                    .isEqualTo(-1);
            assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("not_redirected");
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    // --- relayed ---

    @Test
    void capturedPassesPlainTcpOutsideTheMeshWhenAllowed() throws Exception {
        EchoServer plain = echo(null);
        OutboundServer server =
                captured(plain.address(), OutboundSettings.defaults(), new ProxyConfig("v1", Map.of(), Map.of()));

        assertThat(AppClient.exchange(server.localAddress(), bytes("plain hello")))
                .isEqualTo(bytes("plain hello"));
        FlowEvent event = nextFlow();
        assertThat(event.tlsVersion()).isNull();
        assertThat(event.destination()).isNull();
        assertThat(event.destinationAddress()).isEqualTo(plain.address());
        assertThat(refusals).isEmpty();
    }

    @Test
    void capturedMeshDestinationGetsMutualTlsWithItsExpectedIdentity() throws Exception {
        EchoServer echo = echo(payments);
        Destination destination =
                new Destination("outbound|8080||payments.shop", echo.address(), SpiffeId.parse(PAYMENTS));
        OutboundServer server = captured(
                echo.address(),
                OutboundSettings.defaults().withOutsideMesh(OutsideMeshPolicy.DENY),
                new ProxyConfig("v1", Map.of(), Map.of(echo.address(), destination)));

        assertThat(AppClient.exchange(server.localAddress(), bytes("meshed"))).isEqualTo(bytes("meshed"));
        assertThat(echo.handshakes.poll(5, TimeUnit.SECONDS).peerId()).isEqualTo(CHECKOUT);
        assertThat(nextFlow().destination()).isEqualTo(SpiffeId.parse(PAYMENTS));
    }

    @Test
    void capturedMeshDestinationWithAnotherIdentityIsRefused() throws Exception {
        EchoServer echo = echo(payments);
        Destination destination = new Destination(
                "outbound|8080||ledger.shop",
                echo.address(),
                SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/ledger"));
        OutboundServer server = captured(
                echo.address(),
                OutboundSettings.defaults(),
                new ProxyConfig("v1", Map.of(), Map.of(echo.address(), destination)));

        assertThat(AppClient.sendAndAwaitClose(server.localAddress(), bytes("hello")))
                .isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("peer_mismatch");
        assertThat(echo.bytesReceived.get()).isZero();
    }

    @Test
    void aResumedSessionIsStillRefusedWhenTheServerIsNotTheExpectedIdentity() throws Exception {
        EchoServer echo = echo(payments);
        String good = "good=0:127.0.0.1:" + echo.address().getPort() + ":" + PAYMENTS;
        String bad = "bad=0:127.0.0.1:" + echo.address().getPort() + ":spiffe://cluster.local/ns/shop/sa/other";
        OutboundServer server = explicit(List.of(ExplicitUpstream.parse(good), ExplicitUpstream.parse(bad)));
        assertThat(AppClient.exchange(server.localAddress("good"), bytes("ping")))
                .isEqualTo(bytes("ping"));
        assertThat(echo.handshakes.poll(5, TimeUnit.SECONDS).resumed()).isFalse();

        // Same address, same client context: the session resumes, and the peer's identity is checked all the same.
        int received = AppClient.sendAndAwaitClose(server.localAddress("bad"), bytes("GET / HTTP/1.1\r\n\r\n"));

        assertThat(received).isEqualTo(-1);
        assertThat(refusals.poll(5, TimeUnit.SECONDS)).isEqualTo("peer_mismatch");
        EchoServer.Handshake second = echo.handshakes.poll(5, TimeUnit.SECONDS);
        assertThat(second).isNotNull();
        assertThat(second.resumed()).as("the refused connection did resume").isTrue();
        assertThat(echo.bytesReceived.get()).isEqualTo(4);
    }

    /**
     * On epoll, the transport a deployed sidecar runs: an app that half-closes right after its request (the FIN
     * arrives while the upstream handshake is still running) still gets the whole answer. Netty 4.2.18 removes a
     * socket from epoll once it waits for no event at all (input ended, reading paused) but keeps treating it as
     * registered, so turning reading back on failed with ENOENT and the relay closed both sides, answer unsent.
     */
    @Test
    void onEpollAnAppThatHalfClosesAfterItsRequestStillGetsTheAnswer() throws Exception {
        assumeTrue(Epoll.isAvailable(), "epoll unavailable");
        EchoServer echo = echo(payments);
        EventLoopGroup epoll = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        try (OutboundServer server = OutboundServer.explicit(
                epoll,
                InetAddress.getLoopbackAddress(),
                List.of(upstream("p", echo, PAYMENTS)),
                services(tls, OutboundSettings.defaults(), null))) {
            for (int i = 0; i < 50; i++) {
                assertThat(AppClient.exchange(server.localAddress("p"), bytes("ping " + i)))
                        .as("exchange %d", i)
                        .isEqualTo(bytes("ping " + i));
            }
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * On epoll: an answer larger than the app's socket buffers, to an app that half-closed after its request. After
     * the FIN the socket waits for no event, and Netty 4.2.18 takes it out of epoll; the write that then needs to wait
     * for room must still get it.
     */
    @Test
    void onEpollAHalfClosedAppStillGetsAnAnswerLargerThanItsSocketBuffers() throws Exception {
        assumeTrue(Epoll.isAvailable(), "epoll unavailable");
        EchoServer echo = echo(payments);
        EventLoopGroup epoll = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        byte[] payload = new byte[4 * 1024 * 1024 + 17];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31 + (i >>> 11));
        }
        try (OutboundServer server = OutboundServer.explicit(
                epoll,
                InetAddress.getLoopbackAddress(),
                List.of(upstream("p", echo, PAYMENTS)),
                services(tls, OutboundSettings.defaults(), null))) {
            byte[] received = AppClient.exchange(server.localAddress("p"), payload);
            assertThat(received).hasSize(payload.length);
            assertThat(received).isEqualTo(payload);
        } finally {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void theNextConnectionToAnUpstreamResumesItsTlsSession() throws Exception {
        EchoServer echo = echo(payments);
        OutboundServer server = explicit(List.of(upstream("p", echo, PAYMENTS)));

        for (int i = 0; i < 3; i++) {
            assertThat(AppClient.exchange(server.localAddress("p"), bytes("ping " + i)))
                    .isEqualTo(bytes("ping " + i));
        }

        List<Boolean> atServer = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            EchoServer.Handshake h = echo.handshakes.poll(5, TimeUnit.SECONDS);
            assertThat(h).isNotNull();
            assertThat(h.peerId())
                    .as("the client's SVID, from the resumed session too")
                    .isEqualTo(CHECKOUT);
            atServer.add(h.resumed());
        }
        assertThat(atServer).containsExactly(false, true, true);
        assertThat(List.of(
                        handshakesResumed.poll(5, TimeUnit.SECONDS),
                        handshakesResumed.poll(5, TimeUnit.SECONDS),
                        handshakesResumed.poll(5, TimeUnit.SECONDS)))
                .as("the observer's count (palisade_tls_handshakes_total)")
                .containsExactly(false, true, true);
    }

    @Test
    void relaysMebibytesBothWaysAndTheServerSeesTheClientSvid() throws Exception {
        EchoServer echo = echo(payments);
        OutboundServer server = explicit(List.of(upstream("p", echo, PAYMENTS)));
        byte[] payload = new byte[4 * 1024 * 1024 + 17];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31 + (i >>> 11));
        }

        byte[] received = AppClient.exchange(server.localAddress("p"), payload);

        assertThat(received).hasSize(payload.length);
        assertThat(received).isEqualTo(payload);
        EchoServer.Handshake handshake = echo.handshakes.poll(5, TimeUnit.SECONDS);
        assertThat(handshake).isNotNull();
        assertThat(handshake.peerId()).isEqualTo(CHECKOUT);
        assertThat(handshake.alpn()).isEqualTo("http/1.1");
        assertThat(refusals).isEmpty();
    }

    @Test
    void offersH2WhenTheAppSendsTheHttp2Preface() throws Exception {
        EchoServer echo = echo(payments);
        OutboundServer server = explicit(List.of(upstream("p", echo, PAYMENTS)));

        byte[] sent = bytes(H2_PREFACE + "\0\0\0\4\0\0\0\0\0");
        assertThat(AppClient.exchange(server.localAddress("p"), sent)).isEqualTo(sent);
        assertThat(echo.handshakes.poll(5, TimeUnit.SECONDS).alpn()).isEqualTo("h2");
    }

    @Test
    void offersHttp11ForAnythingElseAndForASilentApp() throws Exception {
        EchoServer echo = echo(payments);
        OutboundServer server = explicit(List.of(upstream("p", echo, PAYMENTS)));

        assertThat(AppClient.exchange(server.localAddress("p"), bytes("PRI * HTTP/1.1\r\n")))
                .isEqualTo(bytes("PRI * HTTP/1.1\r\n"));
        assertThat(echo.handshakes.poll(5, TimeUnit.SECONDS).alpn()).isEqualTo("http/1.1");
        // Nothing sent: the peek times out, the connection is made, and the half-close reaches the server.
        assertThat(AppClient.exchange(server.localAddress("p"), new byte[0])).isEmpty();
        assertThat(echo.handshakes.poll(5, TimeUnit.SECONDS).alpn()).isEqualTo("http/1.1");
    }

    @Test
    void recordsOneFlowEventPerConnection() throws Exception {
        EchoServer echo = echo(payments);
        OutboundServer server = explicit(List.of(upstream("p", echo, PAYMENTS)));

        for (int i = 0; i < 3; i++) {
            AppClient.exchange(server.localAddress("p"), bytes("request " + i));
        }

        for (int i = 0; i < 3; i++) {
            FlowEvent event = nextFlow();
            assertThat(event.direction()).isEqualTo(FlowEvent.Direction.OUTBOUND);
            assertThat(event.protocol()).isEqualTo("TCP");
            assertThat(event.destination()).isEqualTo(SpiffeId.parse(PAYMENTS));
            assertThat(event.destinationAddress().getPort())
                    .isEqualTo(echo.address().getPort());
            assertThat(event.sourceAddress().getAddress().isLoopbackAddress()).isTrue();
            assertThat(event.bytesIn()).isEqualTo(9);
            assertThat(event.bytesOut()).isEqualTo(9);
            assertThat(event.tlsVersion()).isEqualTo("TLSv1.3");
            assertThat(event.cipher()).startsWith("TLS_");
            assertThat(event.decision()).isNull();
        }
        assertThat(flows.poll(200, TimeUnit.MILLISECONDS)).isNull();
        assertThat(open.get()).isZero();
    }

    // --- fixtures ---

    private FlowEvent nextFlow() throws InterruptedException {
        FlowEvent event = flows.poll(5, TimeUnit.SECONDS);
        assertThat(event).as("a flow event within 5 s").isNotNull();
        return event;
    }

    private OutboundServer explicit(List<ExplicitUpstream> upstreams) throws InterruptedException {
        return track(OutboundServer.explicit(
                group, InetAddress.getLoopbackAddress(), upstreams, services(tls, OutboundSettings.defaults(), null)));
    }

    private OutboundServer captured(
            InetSocketAddress originalDestination, OutboundSettings settings, @Nullable ProxyConfig config)
            throws InterruptedException {
        OriginalDestinationAddress original = new OriginalDestinationAddress(originalDestination);
        return track(OutboundServer.captured(
                group,
                new InetSocketAddress("127.0.0.1", 0),
                services(tls, settings, config),
                ch -> Optional.of(original)));
    }

    private OutboundServices services(OutboundTls clientTls, OutboundSettings settings, @Nullable ProxyConfig config) {
        InboundObserver observer = new InboundObserver() {
            @Override
            public void connectionOpened() {
                open.incrementAndGet();
            }

            @Override
            public void connectionClosed() {
                open.decrementAndGet();
            }

            @Override
            public void refused(String reason) {
                refusals.add(reason);
            }

            @Override
            public void tlsHandshake(boolean resumed) {
                handshakesResumed.add(resumed);
            }
        };
        ProxyConfigHolder holder = config == null ? new ProxyConfigHolder() : new ProxyConfigHolder(config);
        return new OutboundServices(holder, clientTls, settings, flows::add, observer);
    }

    private EchoServer echo(@Nullable SslContext context) throws InterruptedException {
        return track(new EchoServer(group, context));
    }

    private <T extends AutoCloseable> T track(T closeable) {
        closeables.add(0, closeable);
        return closeable;
    }

    private static ExplicitUpstream upstream(String name, EchoServer echo, String expected) {
        return ExplicitUpstream.parse(name + "=0:127.0.0.1:" + echo.address().getPort() + ":" + expected);
    }

    private static SslContext serverContext(TestCertificate leaf) throws Exception {
        return serverContext(leaf, root);
    }

    private static SslContext serverContext(TestCertificate leaf, TestCertificate trusted) throws Exception {
        TrustBundleSet serverBundles =
                TrustBundleSet.of(TrustBundle.of(TD, List.of(trusted.certificate(), root.certificate())));
        return SpiffeSslContexts.forServer(
                X509Svid.of(leaf.chain(), leaf.privateKey()), serverBundles, serverOptions());
    }

    private static TlsOptions serverOptions() {
        return TlsOptions.defaults().withAlpn(List.of("h2", "http/1.1"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
