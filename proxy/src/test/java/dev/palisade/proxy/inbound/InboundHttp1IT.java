package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.tls.TlsProvider;
import dev.palisade.proxy.authz.AuthzResponse;
import dev.palisade.proxy.authz.RejectReason;
import dev.palisade.proxy.config.AppProtocol;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.PeerMode;
import dev.palisade.proxy.flow.FlowEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP/1.1 through the inbound listener, with real TLS, a real app and the real app connection pool. Negative cases
 * first: malformed requests, smuggled identity headers, slowloris, {@code h2c} upgrades; then what must work: allowed
 * and denied requests, streamed bodies, keep-alive to the app, policy updates on open connections, and one flow event
 * per request.
 */
@Timeout(60)
class InboundHttp1IT {

    static final InboundLimits LIMITS = new InboundLimits(
            1024, // request line
            4096, // header bytes
            20, // header fields
            100,
            200,
            Duration.ofSeconds(10),
            Duration.ofSeconds(5),
            Duration.ofSeconds(1), // header read: slowloris
            Duration.ofMinutes(1),
            16384,
            Duration.ofSeconds(2));

    static EchoApp strictApp;
    static EchoApp permissiveApp;

    InboundHarness harness;
    InboundServer strict;
    InboundServer permissive;

    @BeforeAll
    static void startApps() throws IOException {
        strictApp = EchoApp.start();
        permissiveApp = EchoApp.start();
    }

    @AfterAll
    static void stopApps() {
        strictApp.close();
        permissiveApp.close();
    }

    @BeforeEach
    void startSidecar() {
        harness = new InboundHarness(configV1(), LIMITS, TlsProvider.AUTO);
        strict = harness.listen(strictApp.port());
        permissive = harness.listen(permissiveApp.port());
    }

    @AfterEach
    void stopSidecar() {
        harness.close();
        strictApp.seen.clear();
        permissiveApp.seen.clear();
    }

    static dev.palisade.proxy.config.ProxyConfig configV1() {
        return InboundHarness.config(
                "v1",
                Map.of(
                        strictApp.port(),
                        new InboundPort(strictApp.port(), AppProtocol.HTTP, PeerMode.STRICT, Policies.httpV1()),
                        permissiveApp.port(),
                        new InboundPort(
                                permissiveApp.port(), AppProtocol.HTTP, PeerMode.PERMISSIVE, Policies.httpV1())));
    }

    RawClient mtls() throws IOException {
        return RawClient.tls(strict.localAddress(), TestPki.clientContext(TestPki.CLIENT), "http/1.1");
    }

    RawClient plaintext() throws IOException {
        return RawClient.plaintext(permissive.localAddress());
    }

    // ---- malformed requests

    static Stream<Arguments> malformedRequests() {
        String host = "Host: payments.shop\r\n";
        return Stream.of(
                Arguments.of("bare LF", "GET /x HTTP/1.1\nHost: payments.shop\n\n", 400, null),
                Arguments.of(
                        "Content-Length and Transfer-Encoding",
                        "POST /x HTTP/1.1\r\n" + host
                                + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                        400,
                        null),
                Arguments.of(
                        "two Content-Lengths",
                        "POST /x HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
                        400,
                        null),
                Arguments.of(
                        "Transfer-Encoding gzip, chunked",
                        "POST /x HTTP/1.1\r\n" + host
                                + "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                        501,
                        null),
                Arguments.of(
                        "space before the colon",
                        "GET /x HTTP/1.1\r\n" + host + "Transfer-Encoding : chunked\r\n\r\n",
                        400,
                        null),
                Arguments.of(
                        "bad Content-Length",
                        "POST /x HTTP/1.1\r\n" + host + "Content-Length: +5\r\n\r\nhello",
                        400,
                        null),
                Arguments.of(
                        "duplicate Host",
                        "GET /x HTTP/1.1\r\n" + host + "Host: admin.shop\r\n\r\n",
                        400,
                        RejectReason.DUPLICATE_HOST),
                Arguments.of(
                        "encoded slash",
                        "GET /public%2F..%2Fadmin HTTP/1.1\r\n" + host + "\r\n",
                        400,
                        RejectReason.ENCODED_SLASH),
                Arguments.of(
                        "lower-case method", "get /x HTTP/1.1\r\n" + host + "\r\n", 400, RejectReason.INVALID_METHOD),
                Arguments.of("no Host", "GET /x HTTP/1.1\r\n\r\n", 400, RejectReason.MISSING_AUTHORITY),
                Arguments.of(
                        "absolute-form naming another host",
                        "GET https://admin.shop/x HTTP/1.1\r\n" + host + "\r\n",
                        400,
                        RejectReason.AUTHORITY_MISMATCH),
                Arguments.of("fragment", "GET /x#y HTTP/1.1\r\n" + host + "\r\n", 400, RejectReason.FRAGMENT),
                Arguments.of(
                        "headers over the size limit",
                        "GET /x HTTP/1.1\r\n" + host + "X-Big: " + "a".repeat(5000) + "\r\n\r\n",
                        431,
                        null),
                Arguments.of(
                        "too many header fields",
                        "GET /x HTTP/1.1\r\n" + host + "X-Many: 1\r\n".repeat(25) + "\r\n",
                        431,
                        null),
                Arguments.of(
                        "request line over the limit",
                        "GET /" + "a".repeat(2000) + " HTTP/1.1\r\n" + host + "\r\n",
                        414,
                        null),
                Arguments.of("HTTP/2.0 in an HTTP/1 request line", "GET /x HTTP/2.0\r\n" + host + "\r\n", 505, null),
                Arguments.of("garbage", "\u0001\u0002garbage\r\n\r\n", 400, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedRequests")
    void malformedRequestIsRefusedAndTheConnectionClosed(String name, String raw, int status, RejectReason reason)
            throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response = client.send(raw).read();
            assertThat(response.status()).isEqualTo(status);
            assertThat(response.header("connection")).containsExactly("close");
            assertThat(client.isClosedByServer(5000)).isTrue();
        }
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.status()).isEqualTo(status);
        assertThat(flow.decision()).as("no policy saw it").isNull();
        if (reason != null) {
            assertThat(flow.rejection()).isNotNull();
            assertThat(flow.rejection().reason()).isEqualTo(reason);
        }
        assertThat(strictApp.seen).as("the app never sees a malformed request").isEmpty();
        harness.assertNoMoreFlows();
    }

    /**
     * Framing and syntax abuse from the request-smuggling history of HTTP/1.1 proxies (Envoy, Netty, HAProxy, Node CVEs)
     * and RFC 9112's MUSTs: each is refused with a 4xx/5xx and a close, never reaches the app, and a request on
     * another connection opened before it is still answered.
     */
    static Stream<Arguments> smugglingCorpus() {
        String host = "Host: payments.shop\r\n";
        String post = "POST /orders HTTP/1.1\r\n" + host;
        String chunkedBody = "5\r\nhello\r\n0\r\n\r\n";
        return Stream.of(
                Arguments.of(
                        "Transfer-Encoding twice",
                        post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody),
                Arguments.of(
                        "Transfer-Encoding chunked, chunked",
                        post + "Transfer-Encoding: chunked, chunked\r\n\r\n" + chunkedBody),
                Arguments.of("Transfer-Encoding xchunked", post + "Transfer-Encoding: xchunked\r\n\r\n" + chunkedBody),
                Arguments.of(
                        "Transfer-Encoding chunked, identity",
                        post + "Transfer-Encoding: chunked, identity\r\n\r\n" + chunkedBody),
                Arguments.of("Transfer-Encoding quoted", post + "Transfer-Encoding: \"chunked\"\r\n\r\n" + chunkedBody),
                Arguments.of("Transfer-Encoding empty", post + "Transfer-Encoding: \r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of(
                        "Transfer-Encoding in HTTP/1.0",
                        "POST /orders HTTP/1.0\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n" + chunkedBody),
                Arguments.of(
                        "Transfer-Encoding with a vertical tab",
                        post + "Transfer-Encoding:\u000bchunked\r\n\r\n" + chunkedBody),
                Arguments.of("Content-Length hex", post + "Content-Length: 0x5\r\n\r\nhello"),
                Arguments.of("Content-Length with inner space", post + "Content-Length: 5 5\r\n\r\nhello"),
                Arguments.of("Content-Length negative", post + "Content-Length: -1\r\n\r\nhello"),
                Arguments.of("Content-Length overflow", post + "Content-Length: 99999999999999999999\r\n\r\nhello"),
                Arguments.of("Content-Length list of differing values", post + "Content-Length: 5, 6\r\n\r\nhello!"),
                Arguments.of("whitespace before the first field", "GET /orders HTTP/1.1\r\n " + host + "\r\n"),
                Arguments.of("NUL in a field value", "GET /orders HTTP/1.1\r\n" + host + "X-A: a\u0000b\r\n\r\n"),
                Arguments.of("bare CR in a field value", "GET /orders HTTP/1.1\r\n" + host + "X-A: a\rb\r\n\r\n"),
                Arguments.of("space in a field name", "GET /orders HTTP/1.1\r\n" + host + "X A: b\r\n\r\n"),
                Arguments.of("separator in a field name", "GET /orders HTTP/1.1\r\n" + host + "X(A): b\r\n\r\n"),
                Arguments.of("empty field name", "GET /orders HTTP/1.1\r\n" + host + ": b\r\n\r\n"),
                Arguments.of(
                        "field line without a colon (Netty CVE-2019-20444)",
                        "GET /orders HTTP/1.1\r\n" + host + "X-A\r\n\r\n"),
                Arguments.of(
                        "control character in a field name (Netty CVE-2021-43797)",
                        "GET /orders HTTP/1.1\r\n" + host + "X-\u0001A: b\r\n\r\n"),
                Arguments.of(
                        "tab before the colon",
                        "GET /orders HTTP/1.1\r\n" + host + "Transfer-Encoding\t: chunked\r\n\r\n"),
                Arguments.of("trailing words in the request line", "GET /orders HTTP/1.1 x\r\n" + host + "\r\n"),
                Arguments.of("lower-case protocol", "GET /orders http/1.1\r\n" + host + "\r\n"),
                Arguments.of("protocol HTTP/1.10", "GET /orders HTTP/1.10\r\n" + host + "\r\n"),
                Arguments.of("raw non-ASCII in the target", "GET /caf\u00e9 HTTP/1.1\r\n" + host + "\r\n"),
                Arguments.of("Host with user info", "GET /orders HTTP/1.1\r\nHost: admin.shop@payments.shop\r\n\r\n"),
                Arguments.of("Host with a space", "GET /orders HTTP/1.1\r\nHost: payments.shop admin.shop\r\n\r\n"),
                Arguments.of("Host empty", "GET /orders HTTP/1.1\r\nHost: \r\n\r\n"),
                Arguments.of(
                        "chunk size overflow",
                        post + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nhello\r\n0\r\n\r\n"),
                Arguments.of(
                        "chunk size negative", post + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size 0x", post + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of(
                        "chunk without its CRLF", post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
                Arguments.of(
                        "chunk extension with a bare LF",
                        post + "Transfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("CONNECT", "CONNECT payments.shop:443 HTTP/1.1\r\nHost: payments.shop:443\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smugglingCorpus")
    void smugglingAttemptIsRefusedClosedAndDisturbsNoOtherConnection(String name, String raw) throws Exception {
        try (RawClient bystander = mtls();
                RawClient client = mtls()) {
            RawClient.Response response =
                    client.send(raw.getBytes(StandardCharsets.ISO_8859_1)).read();
            assertThat(response.status()).as("status").isBetween(400, 599);
            assertThat(client.isClosedByServer(5000)).as("closed").isTrue();
            assertThat(bystander.get("/orders/after").status())
                    .as("the other connection")
                    .isEqualTo(200);
        }
        assertThat(strictApp.seen).as("the app never sees a refused request").allMatch(request -> request.uri()
                .equals("/orders/after"));
    }

    /**
     * What RFC 9112 lets a recipient parse leniently (§3: whitespace between the request line's words; §5.2: obs-fold
     * replaced by SP) is accepted, and the app sees it re-serialised cleanly: one request line with single spaces,
     * one field line per field, no CR or LF inside a value. Nothing ambiguous is passed on.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "two spaces in the request line | GET  /orders/lenient HTTP/1.1\\r\\nHost: payments.shop\\r\\nX-A: a b",
                "tab in the request line        | GET\\t/orders/lenient HTTP/1.1\\r\\nHost: payments.shop\\r\\nX-A: a b",
                "obs-fold continuation line     | GET /orders/lenient HTTP/1.1\\r\\nHost: payments.shop\\r\\nX-A: a\\r\\n b",
            })
    void leniencyTheRfcAllowsReachesTheAppNormalised(String name, String head) throws Exception {
        String raw = head.replace("\\r\\n", "\r\n").replace("\\t", "\t") + "\r\n\r\n";
        try (RawClient client = mtls()) {
            assertThat(client.send(raw).read().status()).isEqualTo(200);
        }
        EchoApp.Seen seen = strictApp.next();
        assertThat(seen.method()).isEqualTo("GET");
        assertThat(seen.uri()).isEqualTo("/orders/lenient");
        assertThat(seen.headers())
                .filteredOn(h -> h.getKey().equalsIgnoreCase("x-a"))
                .extracting(Map.Entry::getValue)
                .containsExactly("a b");
    }

    // ---- the identity header

    static Stream<Arguments> smuggledIdentities() {
        return Stream.of(
                Arguments.of("as is", "X-Palisade-Peer-Identity: spiffe://cluster.local/ns/shop/sa/admin\r\n"),
                Arguments.of("lower case", "x-palisade-peer-identity: spiffe://cluster.local/ns/shop/sa/admin\r\n"),
                Arguments.of("upper case", "X-PALISADE-PEER-IDENTITY: spiffe://cluster.local/ns/shop/sa/admin\r\n"),
                Arguments.of(
                        "repeated",
                        "x-palisade-peer-identity: spiffe://a/b\r\nX-Palisade-Peer-Identity: spiffe://c/d\r\n"),
                Arguments.of(
                        "named in Connection",
                        "Connection: keep-alive, X-Palisade-Peer-Identity\r\n"
                                + "X-Palisade-Peer-Identity: spiffe://cluster.local/ns/shop/sa/admin\r\n"),
                Arguments.of("empty", "X-Palisade-Peer-Identity:\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smuggledIdentities")
    void appSeesOnlyTheVerifiedIdentity(String name, String smuggled) throws Exception {
        try (RawClient client = mtls()) {
            client.send("GET /orders HTTP/1.1\r\nHost: payments.shop\r\n" + smuggled + "\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        assertThat(strictApp.next().header("x-palisade-peer-identity")).containsExactly(TestPki.CHECKOUT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smuggledIdentities")
    void plaintextPeerCannotClaimAnIdentity(String name, String smuggled) throws Exception {
        try (RawClient client = plaintext()) {
            client.send("GET /public/x HTTP/1.1\r\nHost: payments.shop\r\n" + smuggled + "\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        assertThat(permissiveApp.next().header("x-palisade-peer-identity")).isEmpty();
        assertThat(harness.nextFlow().source()).isNull();
    }

    @Test
    void identityInRequestTrailersIsDropped() throws Exception {
        try (RawApp raw = new RawApp()) {
            harness.config.set(InboundHarness.config(
                    "v1",
                    Map.of(
                            raw.port(),
                            new InboundPort(raw.port(), AppProtocol.HTTP, PeerMode.STRICT, Policies.httpV1()))));
            InetSocketAddress address = harness.listen(raw.port()).localAddress();
            try (RawClient client = RawClient.tls(address, TestPki.clientContext(TestPki.CLIENT))) {
                client.send("POST /orders HTTP/1.1\r\nHost: payments.shop\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n0\r\nX-Palisade-Peer-Identity: spiffe://cluster.local/ns/shop/sa/admin\r\n"
                        + "X-Checksum: abc\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            String forwarded = raw.next();
            assertThat(forwarded).startsWith("POST /orders HTTP/1.1\r\n");
            assertThat(forwarded).contains("x-palisade-peer-identity: " + TestPki.CHECKOUT + "\r\n");
            assertThat(forwarded).doesNotContain("sa/admin");
            assertThat(forwarded).endsWith("5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n");
        }
    }

    @Test
    void policyCannotBeSatisfiedWithASmuggledIdentity() throws Exception {
        // /orders is allowed to checkout only; a plaintext peer claiming to be checkout is still nobody.
        try (RawClient client = plaintext()) {
            RawClient.Response response = client.get("/orders", "X-Palisade-Peer-Identity: " + TestPki.CHECKOUT);
            assertThat(response.status()).isEqualTo(403);
        }
        assertThat(permissiveApp.seen).isEmpty();
    }

    // ---- slow and odd peers

    @Test
    void slowlorisIsClosedAtTheHeaderReadTimeoutWhileOthersAreServed() throws Exception {
        byte[] request = "GET /public/x HTTP/1.1\r\nHost: payments.shop\r\nX-Slow: 1\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Long> slowClosedAfter = CompletableFuture.supplyAsync(() -> {
            long start = System.nanoTime();
            try (RawClient slow = plaintext()) {
                for (byte b : request) {
                    slow.send(new byte[] {b});
                    TimeUnit.MILLISECONDS.sleep(150);
                }
                return -1L; // never closed
            } catch (IOException e) {
                return System.nanoTime() - start;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -2L;
            }
        });
        try (RawClient fine = plaintext()) {
            for (int i = 0; i < 5; i++) {
                assertThat(fine.get("/public/fine").status()).isEqualTo(200);
                TimeUnit.MILLISECONDS.sleep(300);
            }
        }
        long closedAfterNanos = slowClosedAfter.get(20, TimeUnit.SECONDS);
        assertThat(closedAfterNanos).as("the slow peer was cut off").isPositive();
        assertThat(Duration.ofNanos(closedAfterNanos)).isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
        assertThat(harness.observer.refusals).contains("header_read_timeout");
        assertThat(permissiveApp.seen).allSatisfy(s -> assertThat(s.uri()).isEqualTo("/public/fine"));
    }

    @Test
    void h2cUpgradeIsNeverForwarded() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response = client.get(
                    "/orders",
                    "Connection: Upgrade, HTTP2-Settings",
                    "Upgrade: h2c",
                    "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA");
            assertThat(response.status()).isEqualTo(200);
            assertThat(client.get("/orders").status()).as("still HTTP/1.1").isEqualTo(200);
        }
        EchoApp.Seen seen = strictApp.next();
        assertThat(seen.header("upgrade")).isEmpty();
        assertThat(seen.header("http2-settings")).isEmpty();
        assertThat(seen.header("connection")).isEmpty();
    }

    @Test
    void hopByHopFieldsAndThoseNamedInConnectionAreStripped() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response = client.get(
                    "/orders",
                    "Connection: x-internal",
                    "X-Internal: secret",
                    "Keep-Alive: timeout=5",
                    "TE: trailers",
                    "Proxy-Authorization: Basic eA==",
                    "X-Kept: yes");
            assertThat(response.status()).isEqualTo(200);
        }
        EchoApp.Seen seen = strictApp.next();
        assertThat(seen.header("x-internal")).isEmpty();
        assertThat(seen.header("keep-alive")).isEmpty();
        assertThat(seen.header("te")).isEmpty();
        assertThat(seen.header("proxy-authorization")).isEmpty();
        assertThat(seen.header("x-kept")).containsExactly("yes");
    }

    // ---- what must work

    @Test
    void allowedRequestIsForwardedAsThePolicySawIt() throws Exception {
        FlowEvent flow;
        try (RawClient client = mtls()) {
            RawClient.Response response = client.send("GET /orders/./a/../b//c?q=%2f&x=1 HTTP/1.1\r\n"
                            + "Host: Payments.Shop.:443\r\nX-Request-Id: req-42\r\nUser-Agent: test\r\n\r\n")
                    .read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("x-app")).containsExactly("echo");
            flow = harness.nextFlow();
        }
        EchoApp.Seen seen = strictApp.next();
        assertThat(seen.method()).isEqualTo("GET");
        assertThat(seen.uri()).isEqualTo("/orders/b/c?q=%2f&x=1");
        assertThat(seen.header("host")).containsExactly("payments.shop");
        assertThat(seen.header("x-request-id")).containsExactly("req-42");
        assertThat(seen.header("user-agent")).containsExactly("test");

        assertThat(flow.direction()).isEqualTo(FlowEvent.Direction.INBOUND);
        assertThat(flow.protocol()).isEqualTo("HTTP/1.1");
        assertThat(flow.method()).isEqualTo("GET");
        assertThat(flow.authority()).isEqualTo("payments.shop");
        assertThat(flow.path()).isEqualTo("/orders/b/c?q=%2f&x=1");
        assertThat(flow.status()).isEqualTo(200);
        assertThat(flow.decision()).isNotNull();
        assertThat(flow.decision().allowed()).isTrue();
        assertThat(flow.decision().policy().toString()).contains("checkout");
        assertThat(flow.rejection()).isNull();
        assertThat(flow.requestId()).isEqualTo("req-42");
        assertThat(flow.source()).hasToString(TestPki.CHECKOUT);
        assertThat(flow.sourceAddress().getAddress().isLoopbackAddress()).isTrue();
        assertThat(flow.destinationAddress().getPort()).isEqualTo(strictApp.port());
        assertThat(flow.tlsVersion()).isEqualTo("TLSv1.3");
        assertThat(flow.bytesIn()).isZero();
        assertThat(flow.bytesOut()).isPositive();
        assertThat(flow.duration()).isPositive();
        harness.assertNoMoreFlows();
    }

    @Test
    void requestWithoutRequestIdGetsOne() throws Exception {
        try (RawClient client = mtls()) {
            assertThat(client.get("/orders", "X-Request-Id: has space").status())
                    .isEqualTo(200);
        }
        String id = strictApp.next().header("x-request-id").get(0);
        assertThat(id).matches("[0-9a-f-]{36}");
        assertThat(harness.nextFlow().requestId()).isEqualTo(id);
    }

    @Test
    void deniedRequestGetsTheAuthzAnswerAndTheConnectionStaysUsable() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response denied = client.get("/admin/users", "X-Request-Id: deny-1");
            AuthzResponse expected = AuthzResponse.denied("deny-1", false);
            assertThat(denied.status()).isEqualTo(403);
            assertThat(denied.body()).isEqualTo(expected.body());
            assertThat(denied.header("content-type"))
                    .containsExactly(expected.headers().get("content-type"));
            assertThat(denied.header("x-request-id")).containsExactly("deny-1");
            assertThat(client.get("/orders").status()).isEqualTo(200);
        }
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.status()).isEqualTo(403);
        assertThat(flow.decision().denied()).isTrue();
        assertThat(flow.decision().policy().toString()).contains("deny-admin");
        assertThat(harness.nextFlow().status()).isEqualTo(200);
        assertThat(strictApp.next().uri()).isEqualTo("/orders");
        assertThat(strictApp.seen).isEmpty();
    }

    @Test
    void deniedGrpcCallIsTrailersOnlyPermissionDenied() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response denied = client.send(
                            "POST /admin.Admin/Drop HTTP/1.1\r\nHost: payments.shop\r\n"
                                    + "Content-Type: application/grpc\r\nContent-Length: 5\r\n\r\n\u0000\u0000\u0000\u0000\u0000")
                    .read();
            assertThat(denied.status()).isEqualTo(200);
            assertThat(denied.header("grpc-status")).containsExactly("7");
            assertThat(denied.header("content-length")).containsExactly("0");
            assertThat(denied.body()).isEmpty();
        }
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.protocol()).isEqualTo("gRPC");
        assertThat(flow.grpcStatus()).isEqualTo(7);
        assertThat(flow.bytesIn()).isEqualTo(5);
    }

    @Test
    void largeChunkedBodyStreamsBothWaysIntact() throws Exception {
        byte[] body = new byte[8 * 1024 * 1024 + 123];
        new SecureRandom().nextBytes(body);
        String sent = sha256(body);
        try (RawClient client = mtls()) {
            client.send("POST /orders/echo HTTP/1.1\r\nHost: payments.shop\r\nTransfer-Encoding: chunked\r\n\r\n");
            // Written from another thread: the app echoes while it reads, so reading must go on at the same time.
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    for (int offset = 0; offset < body.length; offset += 65536) {
                        int n = Math.min(65536, body.length - offset);
                        client.send((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        byte[] chunk = new byte[n];
                        System.arraycopy(body, offset, chunk, 0, n);
                        client.send(chunk);
                        client.send("\r\n");
                    }
                    client.send("0\r\n\r\n");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            RawClient.Response response = client.read();
            writing.get(30, TimeUnit.SECONDS);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body().length).isEqualTo(body.length);
            assertThat(sha256(response.body())).isEqualTo(sent);
        }
        EchoApp.Seen seen = strictApp.next();
        assertThat(seen.bodyBytes()).isEqualTo(body.length);
        assertThat(seen.bodySha256()).isEqualTo(sent);
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.method()).isEqualTo("POST");
        assertThat(flow.bytesIn()).isEqualTo(body.length);
        assertThat(flow.bytesOut()).isEqualTo(body.length);
    }

    @Test
    void postWithContentLengthAndExpectContinue() throws Exception {
        try (RawClient client = mtls()) {
            client.send("POST /orders HTTP/1.1\r\nHost: payments.shop\r\nContent-Length: 11\r\n"
                    + "Expect: 100-continue\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(100);
            client.send("hello world");
            assertThat(client.read().status()).isEqualTo(200);
        }
        EchoApp.Seen seen = strictApp.next();
        assertThat(seen.bodyBytes()).isEqualTo(11);
        assertThat(seen.header("expect")).isEmpty();
    }

    @Test
    void keepAliveReusesTheAppConnection() throws Exception {
        try (RawClient client = mtls()) {
            for (int i = 0; i < 3; i++) {
                assertThat(client.get("/orders/" + i).status()).isEqualTo(200);
            }
        }
        int first = strictApp.next().clientPort();
        assertThat(strictApp.next().clientPort()).isEqualTo(first);
        assertThat(strictApp.next().clientPort()).isEqualTo(first);
        assertThat(harness.http1App.openConnections()).isEqualTo(1);
    }

    @Test
    void appConnectionThatSaysCloseIsNotReused() throws Exception {
        try (RawApp raw = new RawApp()) {
            harness.config.set(InboundHarness.config(
                    "v1",
                    Map.of(
                            raw.port(),
                            new InboundPort(raw.port(), AppProtocol.HTTP, PeerMode.STRICT, Policies.httpV1()))));
            InetSocketAddress address = harness.listen(raw.port()).localAddress();
            try (RawClient client = RawClient.tls(address, TestPki.clientContext(TestPki.CLIENT))) {
                assertThat(client.get("/close/1").status()).isEqualTo(200);
                assertThat(client.get("/close/2").status()).isEqualTo(200);
                assertThat(raw.accepted.get())
                        .as("Connection: close is honoured")
                        .isEqualTo(2);
                assertThat(client.get("/keep/1").status()).isEqualTo(200);
                assertThat(client.get("/keep/2").status()).isEqualTo(200);
                assertThat(raw.accepted.get()).as("keep-alive is reused").isEqualTo(3);
                RawClient.Response closing = client.get("/close/3");
                assertThat(closing.status()).isEqualTo(200);
                assertThat(closing.header("connection"))
                        .as("the app's Connection: close is hop-by-hop")
                        .isEmpty();
                assertThat(client.get("/keep/3").status()).isEqualTo(200);
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawClient client = mtls()) {
            client.send("GET /orders/1 HTTP/1.1\r\nHost: payments.shop\r\n\r\n"
                    + "GET /admin HTTP/1.1\r\nHost: payments.shop\r\n\r\n"
                    + "GET /orders/slow/3 HTTP/1.1\r\nHost: payments.shop\r\n\r\n"
                    + "GET /orders/4 HTTP/1.1\r\nHost: payments.shop\r\n\r\n");
            assertThat(client.read().bodyText()).startsWith("GET /orders/1\n");
            assertThat(client.read().status()).isEqualTo(403);
            assertThat(client.read().bodyText()).startsWith("GET /orders/slow/3\n");
            assertThat(client.read().bodyText()).startsWith("GET /orders/4\n");
        }
        for (int i = 0; i < 4; i++) {
            harness.nextFlow();
        }
        harness.assertNoMoreFlows();
    }

    @Test
    void policyUpdateAppliesToTheNextRequestOfAnOpenConnection() throws Exception {
        try (RawClient client = mtls()) {
            assertThat(client.get("/orders").status()).isEqualTo(200);
            assertThat(harness.nextFlow().decision().version()).isEqualTo("v1");

            harness.config.set(InboundHarness.config(
                    "v2",
                    Map.of(
                            strictApp.port(),
                            new InboundPort(
                                    strictApp.port(), AppProtocol.HTTP, PeerMode.STRICT, Policies.httpDenyAll("v2")))));

            assertThat(client.get("/orders").status()).isEqualTo(403);
            FlowEvent denied = harness.nextFlow();
            assertThat(denied.decision().denied()).isTrue();
            assertThat(denied.decision().version()).isEqualTo("v2");
        }
    }

    @Test
    void headRequestGetsHeadersOnly() throws Exception {
        try (RawClient client = mtls()) {
            client.send("HEAD /orders HTTP/1.1\r\nHost: payments.shop\r\n\r\n");
            RawClient.Response head = client.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(client.get("/orders").status())
                    .as("nothing left over from HEAD")
                    .isEqualTo(200);
        }
    }

    @Test
    void http10ClientIsAnsweredAndClosed() throws Exception {
        try (RawClient client = mtls()) {
            RawClient.Response response = client.send("GET /orders HTTP/1.0\r\nHost: payments.shop\r\n\r\n")
                    .read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(client.isClosedByServer(5000)).isTrue();
        }
        assertThat(harness.nextFlow().protocol()).isEqualTo("HTTP/1.0");
    }

    @Test
    void plaintextPeerIsAnUnauthenticatedPrincipal() throws Exception {
        try (RawClient client = plaintext()) {
            assertThat(client.get("/public/x").status()).isEqualTo(200);
            assertThat(client.get("/orders").status())
                    .as("allowed to checkout only")
                    .isEqualTo(403);
        }
        FlowEvent allowed = harness.nextFlow();
        assertThat(allowed.source()).isNull();
        assertThat(allowed.tlsVersion()).isNull();
        assertThat(permissiveApp.next().header("x-palisade-peer-identity")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "POST"})
    void unreachableAppIs503(String method) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        harness.config.set(InboundHarness.config(
                "v1",
                Map.of(closedPort, new InboundPort(closedPort, AppProtocol.HTTP, PeerMode.STRICT, Policies.httpV1()))));
        InetSocketAddress address = harness.listen(closedPort).localAddress();
        try (RawClient client = RawClient.tls(address, TestPki.clientContext(TestPki.CLIENT))) {
            RawClient.Response response = client.send(
                            method + " /orders HTTP/1.1\r\nHost: payments.shop\r\n" + "Content-Length: 2\r\n\r\nhi")
                    .read();
            assertThat(response.status()).isEqualTo(503);
        }
        FlowEvent flow = harness.nextFlow();
        assertThat(flow.status()).isEqualTo(503);
        assertThat(flow.decision().allowed()).isTrue();
        harness.assertNoMoreFlows();
    }

    @Test
    void drainFinishesInFlightRequestsAndClosesIdleConnections() throws Exception {
        try (RawClient idle = mtls();
                RawClient busy = mtls()) {
            assertThat(idle.get("/orders").status()).isEqualTo(200);
            busy.send("GET /orders/slow HTTP/1.1\r\nHost: payments.shop\r\n\r\n");
            TimeUnit.MILLISECONDS.sleep(200);
            CompletableFuture<Void> drained = strict.drain(Duration.ofSeconds(5));
            assertThat(idle.isClosedByServer(2000)).isTrue();
            RawClient.Response response = busy.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("connection")).containsExactly("close");
            drained.get(5, TimeUnit.SECONDS);
        }
        assertThat(strict.openConnections()).isZero();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
