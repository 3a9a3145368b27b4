package dev.palisade.proxy.inbound.h2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.proxy.inbound.InboundConnection;
import dev.palisade.proxy.inbound.InboundLimits;
import dev.palisade.proxy.inbound.h2.RawH2Client.Data;
import dev.palisade.proxy.inbound.h2.RawH2Client.Frame;
import dev.palisade.proxy.inbound.h2.RawH2Client.GoAway;
import dev.palisade.proxy.inbound.h2.RawH2Client.Headers;
import dev.palisade.proxy.inbound.h2.RawH2Client.PingAck;
import dev.palisade.proxy.inbound.h2.RawH2Client.Reset;
import dev.palisade.proxy.inbound.h2.RawH2Client.Settings;
import dev.palisade.testkit.pki.TestCertificate;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The inbound HTTP/2 path end to end on loopback: a peer over real mTLS (ALPN h2) → {@link Http2Inbound} → a relay
 * exchange handler → {@link Http2AppStreams} → a real grpc-java server. Peers are grpc-java itself and {@link
 * RawH2Client}, which writes the frames a misbehaving peer would.
 */
@Timeout(120)
class Http2InboundIT {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final int MAX_STREAMS = 3;
    static final int MAX_RESETS = 10;
    static final int MAX_FIELDS = 20;
    static final int MAX_HEADER_BYTES = 4096;
    static final InboundLimits LIMITS = new InboundLimits(
            8192,
            MAX_HEADER_BYTES,
            MAX_FIELDS,
            MAX_STREAMS,
            MAX_RESETS,
            Duration.ofSeconds(30),
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            Duration.ofMinutes(5),
            16384,
            Duration.ofSeconds(5));

    static EventLoopGroup group;
    static GrpcTestApp app;
    static Http2AppStreams appStreams;
    static Channel sidecar;
    static SslContext clientSsl;
    static ManagedChannel grpc;
    static final ConcurrentLinkedQueue<HttpHeaders> seen = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        app = new GrpcTestApp();
        appStreams = new Http2AppStreams(LIMITS, NioSocketChannel.class);

        TestCertificate root = TestCertificate.root("h2 test root");
        TrustBundleSet bundles =
                TrustBundleSet.of(TrustBundle.of(TrustDomain.parse("example.org"), List.of(root.certificate())));
        TestCertificate serverLeaf = TestCertificate.leaf("spiffe://example.org/ns/shop/sa/payments", root);
        TestCertificate clientLeaf = TestCertificate.leaf("spiffe://example.org/ns/shop/sa/checkout", root);
        TlsOptions tls = TlsOptions.defaults().withAlpn(List.of("h2"));
        SslContext serverSsl =
                SpiffeSslContexts.forServer(X509Svid.of(serverLeaf.chain(), serverLeaf.privateKey()), bundles, tls);
        clientSsl = SpiffeSslContexts.forClient(
                X509Svid.of(clientLeaf.chain(), clientLeaf.privateKey()), bundles, tls, PeerAuthorizer.anyVerified());

        Http2Inbound http2 = new Http2Inbound(LIMITS);
        InetSocketAddress appAddress = app.address();
        sidecar = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(serverSsl.newHandler(ch.alloc()))
                                .addLast(new ApplicationProtocolNegotiationHandler("none") {
                                    @Override
                                    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                                        if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                                            ctx.close();
                                            return;
                                        }
                                        http2.configure(
                                                ctx.pipeline(),
                                                connection(ch),
                                                () -> new RelayExchangeHandler(appStreams, appAddress, seen));
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0)
                .sync()
                .channel();
        grpc = NettyChannelBuilder.forAddress(sidecarAddress())
                .sslContext(clientSsl)
                .overrideAuthority("payments.shop")
                .build();
    }

    static InboundConnection connection(SocketChannel ch) {
        return new InboundConnection(
                8080,
                SpiffeId.parse("spiffe://example.org/ns/shop/sa/checkout"),
                SpiffeId.parse("spiffe://example.org/ns/shop/sa/payments"),
                ch.remoteAddress(),
                ch.localAddress(),
                null,
                "TLSv1.3",
                null);
    }

    static InetSocketAddress sidecarAddress() {
        return (InetSocketAddress) sidecar.localAddress();
    }

    @AfterAll
    static void stop() throws Exception {
        if (grpc != null) {
            grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (sidecar != null) {
            sidecar.close().sync();
        }
        if (appStreams != null) {
            appStreams.close();
        }
        if (app != null) {
            app.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @BeforeEach
    void clearSeen() {
        seen.clear();
    }

    RawH2Client raw() throws Exception {
        RawH2Client client = RawH2Client.connect(group, clientSsl, sidecarAddress(), true);
        assertThat(client.await(Settings.class, s -> true, WAIT)).isNotNull();
        return client;
    }

    /** The connection still answers: a PING comes back, and a request on {@code streamId} gets its 200. */
    static void assertStillServes(RawH2Client client, int streamId) throws InterruptedException {
        client.ping(42);
        assertThat(client.await(PingAck.class, p -> p.data() == 42, WAIT)).isNotNull();
        client.headers(streamId, RawH2Client.get("/local"), true);
        Headers answer = client.await(Headers.class, h -> h.streamId() == streamId, WAIT);
        assertThat(answer).isNotNull();
        assertThat(answer.headers().status()).hasToString("200");
    }

    /** Another connection is unaffected: a gRPC call through the sidecar still works. */
    static void assertOtherConnectionsServe() {
        byte[] echoed = GrpcTestApp.unary(grpc, GrpcTestApp.UNARY, bytes("still here"));
        assertThat(new String(echoed, StandardCharsets.UTF_8)).isEqualTo("still here");
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- malformed and abusive peers first ----

    @Test
    void invalidPrefaceClosesTheConnection() throws Exception {
        try (RawH2Client client = RawH2Client.connect(group, clientSsl, sidecarAddress(), false)) {
            client.raw("GET / HTTP/1.1\r\nHost: payments\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.awaitClosed(WAIT)).isTrue();
        }
        assertThat(seen).isEmpty();
        assertOtherConnectionsServe();
    }

    @ParameterizedTest
    @CsvSource({
        "connection, keep-alive",
        "keep-alive, timeout=5",
        "proxy-connection, keep-alive",
        "transfer-encoding, chunked",
        "upgrade, h2c",
        "te, gzip",
        "http2-settings, AAMAAABkAARAAAAAAAIAAAAA"
    })
    void connectionSpecificFieldIsRefusedWithStreamError(String name, String value) throws Exception {
        try (RawH2Client client = raw()) {
            client.headers(1, RawH2Client.get("/local").add(name, value), true);
            Reset reset = client.await(Reset.class, r -> r.streamId() == 1, WAIT);
            assertThat(reset).as("%s", client.history()).isNotNull();
            assertThat(reset.errorCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
            assertStillServes(client, 3);
        }
        assertThat(seen).hasSize(1).allSatisfy(h -> assertThat(h.contains(name)).isFalse());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\r\nx-injected: 1", "a\nb", "a\rb", "a\0b"})
    void headerValueWithCrLfOrNulIsRefused(String value) throws Exception {
        try (RawH2Client client = raw()) {
            client.headers(1, RawH2Client.get("/local").add("x-note", value), true);
            Reset reset = client.await(Reset.class, r -> r.streamId() == 1, WAIT);
            assertThat(reset).as("%s", client.history()).isNotNull();
            assertThat(reset.errorCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
            assertStillServes(client, 3);
        }
        assertThat(seen).hasSize(1).allSatisfy(h -> assertThat(h.contains("x-note"))
                .isFalse());
    }

    @Test
    void bodyLongerThanContentLengthIsRefused() throws Exception {
        try (RawH2Client client = raw()) {
            client.headers(1, RawH2Client.get("/local").method("POST").add("content-length", "5"), false);
            client.data(1, bytes("0123456789"), true);
            Reset reset = client.await(Reset.class, r -> r.streamId() == 1, WAIT);
            assertThat(reset).as("%s", client.history()).isNotNull();
            assertThat(reset.errorCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
            assertStillServes(client, 3);
        }
    }

    @Test
    void tooManyHeaderFieldsAreAnswered431() throws Exception {
        try (RawH2Client client = raw()) {
            Http2Headers tooMany = RawH2Client.get("/local");
            for (int i = 0; i <= MAX_FIELDS; i++) {
                tooMany.add("x-field-" + i, "v");
            }
            client.headers(1, tooMany, true);
            Headers answer = client.await(Headers.class, h -> h.streamId() == 1, WAIT);
            assertThat(answer).isNotNull();
            assertThat(answer.headers().status()).hasToString("431");
            assertThat(answer.endStream()).isTrue();

            Http2Headers enough = RawH2Client.get("/local");
            for (int i = 0; i < MAX_FIELDS; i++) {
                enough.add("x-field-" + i, "v");
            }
            client.headers(3, enough, true);
            Headers ok = client.await(Headers.class, h -> h.streamId() == 3, WAIT);
            assertThat(ok).isNotNull();
            assertThat(ok.headers().status()).hasToString("200");
        }
        assertThat(seen).hasSize(1);
    }

    @Test
    void headerBlockAboveMaxHeaderBytesIsAnswered431() throws Exception {
        try (RawH2Client client = raw()) {
            client.headers(1, RawH2Client.get("/local").add("x-big", "v".repeat(MAX_HEADER_BYTES)), true);
            Headers answer = client.await(Headers.class, h -> h.streamId() == 1, WAIT);
            assertThat(answer).isNotNull();
            assertThat(answer.headers().status()).hasToString("431");
            assertStillServes(client, 3);
        }
        assertThat(seen).hasSize(1);
    }

    @Test
    void streamsBeyondMaxConcurrentStreamsAreRefused() throws Exception {
        try (RawH2Client client = RawH2Client.connect(group, clientSsl, sidecarAddress(), true)) {
            Settings settings = client.await(Settings.class, s -> true, WAIT);
            assertThat(settings).isNotNull();
            assertThat(settings.settings().maxConcurrentStreams()).isEqualTo(MAX_STREAMS);
            assertThat(settings.settings().maxHeaderListSize()).isEqualTo(MAX_HEADER_BYTES);

            for (int i = 0; i < MAX_STREAMS; i++) {
                client.headers(1 + 2 * i, RawH2Client.grpcRequest("/test.Echo/Hold"), false);
            }
            int beyond = 1 + 2 * MAX_STREAMS;
            client.headers(beyond, RawH2Client.grpcRequest("/test.Echo/Hold"), false);
            Reset refused = client.await(Reset.class, r -> r.streamId() == beyond, WAIT);
            assertThat(refused).isNotNull();
            assertThat(refused.errorCode()).isEqualTo(Http2Error.REFUSED_STREAM.code());

            // The held streams were not touched, and freeing one makes room again.
            assertThat(client.drain()).noneMatch(f -> f instanceof Reset r && r.streamId() < beyond);
            client.reset(1, Http2Error.CANCEL.code());
            assertStillServes(client, beyond + 2);
        }
        assertOtherConnectionsServe();
    }

    @Test
    void rapidResetGetsGoAwayEnhanceYourCalmAndOtherConnectionsKeepWorking() throws Exception {
        try (RawH2Client client = raw()) {
            int stream = 1;
            // Up to the limit: still served.
            for (int i = 0; i < MAX_RESETS; i++, stream += 2) {
                client.headers(stream, RawH2Client.grpcRequest("/test.Echo/Hold"), false);
                client.reset(stream, Http2Error.CANCEL.code());
            }
            client.ping(7);
            assertThat(client.await(PingAck.class, p -> p.data() == 7, WAIT)).isNotNull();

            // One more: GOAWAY ENHANCE_YOUR_CALM, then the connection is closed. (The client stops writing here: a
            // client that keeps writing into a closed socket may get a TCP RST that discards the unread GOAWAY.)
            client.headers(stream, RawH2Client.grpcRequest("/test.Echo/Hold"), false);
            client.reset(stream, Http2Error.CANCEL.code());
            GoAway goAway = client.await(GoAway.class, g -> true, WAIT);
            assertThat(goAway).as("%s", client.history()).isNotNull();
            assertThat(goAway.errorCode()).as("%s", goAway).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
            assertThat(client.awaitClosed(WAIT)).isTrue();
        }
        assertOtherConnectionsServe();
    }

    /**
     * Malformed requests of RFC 9113 §8.1.1/§8.2/§8.3, written as HPACK literals exactly as given (order, case and
     * duplicates are the attacker's, not an encoder's): each is refused — a RST_STREAM or a GOAWAY — and never reaches
     * the app; when only the stream was refused, the same connection still serves; other connections always do.
     */
    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> malformedHeaderBlocks() {
        String[] base = {":method", "GET", ":scheme", "https", ":path", "/local", ":authority", "app.test"};
        String[] post = {":method", "POST", ":scheme", "https", ":path", "/local", ":authority", "app.test"};
        return java.util.stream.Stream.of(
                args("upper-case field name", concat(base, "X-Note", "a")),
                args(
                        "pseudo-header after a regular field",
                        ":method",
                        "GET",
                        ":scheme",
                        "https",
                        "x-note",
                        "a",
                        ":path",
                        "/local",
                        ":authority",
                        "app.test"),
                args(":path twice", concat(base, ":path", "/admin")),
                args(
                        ":method twice",
                        ":method",
                        "GET",
                        ":method",
                        "DELETE",
                        ":scheme",
                        "https",
                        ":path",
                        "/local",
                        ":authority",
                        "app.test"),
                args("no :path", ":method", "GET", ":scheme", "https", ":authority", "app.test"),
                args("no :method", ":scheme", "https", ":path", "/local", ":authority", "app.test"),
                args("no :scheme", ":method", "GET", ":path", "/local", ":authority", "app.test"),
                args("empty :path", ":method", "GET", ":scheme", "https", ":path", "", ":authority", "app.test"),
                args("unknown pseudo-header", concat(base, ":foo", "bar")),
                args("response pseudo-header in a request", concat(base, ":status", "200")),
                args("space in a field name", concat(base, "x note", "a")),
                args("colon inside a field name", concat(base, "x:note", "a")),
                args("empty field name", concat(base, "", "a")),
                args("value with a leading space", concat(base, "x-note", " a")),
                args("value with a trailing tab", concat(base, "x-note", "a\t")),
                args("content-length not a number", concat(post, "content-length", "abc")),
                args("two differing content-lengths", concat(post, "content-length", "1", "content-length", "2")),
                args("CONNECT, which the sidecar does not tunnel", ":method", "CONNECT", ":authority", "app.test:443"),
                args("content-length with no body", concat(post, "content-length", "10")));
    }

    static org.junit.jupiter.params.provider.Arguments args(String name, String... fields) {
        return org.junit.jupiter.params.provider.Arguments.of(name, fields);
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A HEADERS frame (END_HEADERS | END_STREAM) whose block is "literal without indexing, new name" per field. */
    static byte[] literalHeaders(int streamId, String... fields) {
        java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < fields.length; i += 2) {
            block.writeBytes(literalBlock(fields[i], fields[i + 1]));
        }
        return frame(0x1, 0x5, streamId, block.toByteArray());
    }

    /** One frame as written on the wire: 24-bit length, type, flags, stream id, payload (RFC 9113 §4.1). */
    static byte[] frame(int type, int flags, int streamId, byte[] payload) {
        java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(9 + payload.length);
        frame.put((byte) (payload.length >>> 16))
                .put((byte) (payload.length >>> 8))
                .put((byte) payload.length);
        frame.put((byte) type).put((byte) flags).putInt(streamId).put(payload);
        return frame.array();
    }

    private static void hpackString(java.io.ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        if (bytes.length >= 127) {
            throw new IllegalArgumentException("the test's HPACK writer takes strings under 127 bytes");
        }
        out.write(bytes.length); // H = 0: no Huffman coding
        out.write(bytes, 0, bytes.length);
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("malformedHeaderBlocks")
    void malformedRequestIsRefusedAndNeverReachesTheApp(String name, String[] fields) throws Exception {
        try (RawH2Client client = raw()) {
            client.raw(literalHeaders(1, fields));
            Frame refusal = client.await(
                    Frame.class,
                    f -> (f instanceof Reset r && r.streamId() == 1)
                            || f instanceof GoAway
                            || (f instanceof Headers h && h.streamId() == 1),
                    WAIT);
            if (refusal == null) {
                assertThat(client.awaitClosed(Duration.ofMillis(1)))
                        .as("refused with a RST_STREAM, a GOAWAY, a 4xx/5xx or a close: %s", client.history())
                        .isTrue();
            }
            if (refusal instanceof Headers answer) {
                assertThat(answer.headers().status().toString())
                        .as("%s", client.history())
                        .matches("[45]\\d\\d");
            }
            if (refusal instanceof Reset || refusal instanceof Headers) {
                assertStillServes(client, 3);
                assertThat(seen)
                        .as("only the follow-up request reached the app")
                        .hasSize(1);
            } else {
                assertThat(seen).as("nothing reached the app").isEmpty();
            }
        }
        assertOtherConnectionsServe();
    }

    /**
     * CONTINUATION flood (CVE-2024-27316 and its Netty twin): a header block that never ends, sent as a HEADERS frame
     * without END_HEADERS and CONTINUATION frames far past SETTINGS_MAX_HEADER_LIST_SIZE, is cut off — the connection
     * is refused before the block is ever complete, and other connections keep serving.
     */
    @Test
    void continuationFloodIsCutOffAtTheHeaderListLimit() throws Exception {
        try (RawH2Client client = raw()) {
            byte[] first = literalHeaders(1, ":method", "GET", ":scheme", "https", ":path", "/local");
            first[4] = 0x1; // END_STREAM only: the block goes on in CONTINUATION frames
            client.raw(first);
            byte[] field = literalBlock("x-flood", "v".repeat(100));
            int frames = 0;
            for (; frames < 2_000 && client.await(GoAway.class, g -> true, Duration.ZERO) == null; frames++) {
                byte[] continuation = frame(0x9, 0, 1, field);
                try {
                    client.raw(continuation);
                } catch (Exception closed) { // SSLException sneaks out of syncUninterruptibly
                    break; // the server closed the connection under our feet: the outcome the test wants
                }
            }
            assertThat(client.awaitClosed(WAIT))
                    .as(
                            "closed after %d CONTINUATION frames of %d bytes (limit %d): %s",
                            frames, field.length, MAX_HEADER_BYTES, client.history())
                    .isTrue();
            assertThat(frames * field.length)
                    .as("cut off near the limit, not after the flood")
                    .isLessThan(64 * 1024);
        }
        assertThat(seen).isEmpty();
        assertOtherConnectionsServe();
    }

    /** One field as an HPACK literal without indexing (new name), no Huffman coding. */
    static byte[] literalBlock(String name, String value) {
        java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
        block.write(0x00);
        hpackString(block, name);
        hpackString(block, value);
        return block.toByteArray();
    }

    @Test
    void netty2ExtensionFieldsNeverReachTheExchangeHandler() throws Exception {
        try (RawH2Client client = raw()) {
            client.headers(1, RawH2Client.get("/local").add("x-http2-path", "/admin"), true);
            assertThat(client.await(Headers.class, h -> h.streamId() == 1, WAIT))
                    .isNotNull();
        }
        assertThat(seen).singleElement().satisfies(h -> {
            assertThat(h.get("x-test-uri")).isEqualTo("/local");
            assertThat(h.names())
                    .noneMatch(n -> n.toLowerCase(java.util.Locale.ROOT).startsWith("x-http2-"));
            assertThat(h.get("host")).isEqualTo("app.test");
        });
    }

    // ---- gRPC through the sidecar ----

    @Test
    void deniedGrpcCallIsPermissionDeniedAndNeverReachesTheApp() {
        assertThatThrownBy(() -> GrpcTestApp.unary(grpc, GrpcTestApp.DENIED, bytes("x")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("RBAC: access denied");
                });
        assertThat(app.deniedCalls).hasValue(0);
    }

    @Test
    void deniedAnswerIsOneTrailersOnlyHeadersFrame() throws Exception {
        try (RawH2Client client = raw()) {
            client.headers(1, RawH2Client.grpcRequest("/test.Echo/Denied"), true);
            Headers answer = client.await(Headers.class, h -> h.streamId() == 1, WAIT);
            assertThat(answer).isNotNull();
            assertThat(answer.endStream()).isTrue();
            assertThat(answer.headers().status()).hasToString("200");
            assertThat(answer.headers().get("grpc-status")).hasToString("7");
            assertThat(answer.headers().get("content-type")).hasToString("application/grpc");
            client.ping(9);
            assertThat(client.await(PingAck.class, p -> p.data() == 9, WAIT)).isNotNull();
            List<Frame> rest = new ArrayList<>(client.drain());
            assertThat(rest).noneMatch(f -> f instanceof Data d && d.streamId() == 1);
            assertThat(rest).noneMatch(f -> f instanceof Headers h && h.streamId() == 1);
        }
    }

    @Test
    void grpcUnaryThroughTlsHttp2ReachesTheAppAndBack() {
        int before = app.calls.get();
        byte[] echoed = GrpcTestApp.unary(grpc, GrpcTestApp.UNARY, bytes("hello"));
        assertThat(new String(echoed, StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(app.calls.get()).isEqualTo(before + 1);
        assertThat(seen).singleElement().satisfies(h -> {
            assertThat(h.get("x-test-uri")).isEqualTo("/test.Echo/Unary");
            assertThat(h.get("content-type")).isEqualTo("application/grpc");
            assertThat(h.get("te")).isEqualTo("trailers");
        });
    }

    @Test
    void grpcServerStreamingDeliversEveryMessageAndTheStatus() {
        Iterator<byte[]> responses = GrpcTestApp.serverStreaming(grpc, bytes("tick"));
        List<String> got = new ArrayList<>();
        responses.forEachRemaining(b -> got.add(new String(b, StandardCharsets.UTF_8)));
        assertThat(got).hasSize(GrpcTestApp.STREAM_COUNT).containsOnly("tick");
    }

    @Test
    void appStatusAndTrailersPassThroughIntact() {
        assertThatThrownBy(() -> GrpcTestApp.unary(grpc, GrpcTestApp.FAIL, bytes("x")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).isEqualTo("no such thing");
                    Metadata trailers = e.getTrailers();
                    assertThat(trailers).isNotNull();
                    assertThat(trailers.get(GrpcTestApp.TRAILER)).isEqualTo("from-app");
                });
    }
}
