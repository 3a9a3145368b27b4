package dev.palisade.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.controlplane.config.AdminToken;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The admin server on 127.0.0.1 with real sockets and raw HTTP/1.1 (so that paths such as {@code /%61pi/flows} and
 * {@code //api/flows} reach the server exactly as written): the token guards {@code /config} and {@code /api/...},
 * {@code /ready}, {@code /live} and {@code /metrics} stay open, and no refused request runs an endpoint.
 */
@Timeout(30)
class AdminServerIT {
    static final String TOKEN = "it-admin-token-0123456789abcdef";
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    final AtomicInteger endpointCalls = new AtomicInteger();
    AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @AfterAll
    static void shutdown() {
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ---- negative cases ---------------------------------------------------------------------------------------------

    @Test
    void withATokenMissingOrWrongCredentialsAre401AndRunNoEndpoint() throws Exception {
        start(AdminAccess.of(AdminToken.parse(TOKEN, "test")));
        for (String path :
                new String[] {"/api/flows", "/config", "/%61pi/flows", "//api/flows", "/metrics/../config"}) {
            String none = get(path);
            assertThat(none).as(path).startsWith("HTTP/1.1 401 ");
            assertThat(none).contains("www-authenticate: Bearer realm=\"palisade\"", "missing Authorization header");
            String wrong = get(path, "Authorization: Bearer wrong-token-0123456789abcdef");
            assertThat(wrong).as(path).startsWith("HTTP/1.1 401 ").contains("wrong admin token");
            assertThat(wrong).doesNotContain("wrong-token-0123456789abcdef");
            assertThat(get(path, "Authorization: Basic " + TOKEN)).startsWith("HTTP/1.1 401 ");
        }
        // Writes are refused before the method check, and would be 405 after it.
        assertThat(request("POST", "/config", "")).startsWith("HTTP/1.1 401 ");
        assertThat(endpointCalls).hasValue(0);
    }

    @Test
    void theAdminApiStaysReadOnlyForTheTokenHolder() throws Exception {
        start(AdminAccess.of(AdminToken.parse(TOKEN, "test")));
        for (String method : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
            assertThat(request(method, "/api/flows", "Authorization: Bearer " + TOKEN))
                    .as(method)
                    .startsWith("HTTP/1.1 405 ");
            assertThat(request(method, "/metrics", "")).as(method).startsWith("HTTP/1.1 405 ");
        }
        assertThat(endpointCalls).hasValue(0);
    }

    // ---- positive cases ---------------------------------------------------------------------------------------------

    @Test
    void withTheRightTokenTheApiAnswersAndProbesAndMetricsStayOpen() throws Exception {
        start(AdminAccess.of(AdminToken.parse(TOKEN, "test")));
        assertThat(get("/api/flows", "Authorization: Bearer " + TOKEN))
                .startsWith("HTTP/1.1 200 ")
                .endsWith("{\"flows\":[]}");
        assertThat(get("/config", "Authorization: bearer " + TOKEN))
                .startsWith("HTTP/1.1 200 ")
                .endsWith("{\"config\":true}");
        // The encoded path is the flows API to the router too, and gets it with the token.
        assertThat(get("/%61pi/flows", "Authorization: Bearer " + TOKEN)).endsWith("{\"flows\":[]}");
        assertThat(get("/nothing", "Authorization: Bearer " + TOKEN)).startsWith("HTTP/1.1 404 ");
        assertThat(request("HEAD", "/config", "Authorization: Bearer " + TOKEN)).startsWith("HTTP/1.1 200 ");
        assertThat(get("/metrics")).startsWith("HTTP/1.1 200 ").contains("palisade_xds_nacks_total");
        assertThat(get("/metrics", "Authorization: Bearer wrong")).startsWith("HTTP/1.1 200 ");
        assertThat(get("/live")).startsWith("HTTP/1.1 200 ");
        assertThat(get("/ready?verbose")).startsWith("HTTP/1.1 200 ");
        assertThat(endpointCalls).hasValue(4);
    }

    @Test
    void withoutATokenLoopbackClientsReadTheApi() throws Exception {
        start(AdminAccess.loopbackOnly());
        assertThat(get("/api/flows")).startsWith("HTTP/1.1 200 ").endsWith("{\"flows\":[]}");
        assertThat(get("/config")).startsWith("HTTP/1.1 200 ");
        assertThat(get("/nothing")).startsWith("HTTP/1.1 404 ");
        assertThat(request("POST", "/api/flows", "")).startsWith("HTTP/1.1 405 ");
    }

    @Test
    void aSlowApiCallHoldsNeitherTheProbesNorTheOrderOfItsConnection() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        server = AdminServer.start(
                GROUP,
                new InetSocketAddress("127.0.0.1", 0),
                () -> true,
                new ControlPlaneMetrics(),
                Map.of("/api/slow", new AdminServer.Endpoint("application/json", () -> {
                    entered.countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return "{\"slow\":true}";
                })),
                AdminAccess.loopbackOnly());
        try (Socket pipelined =
                new Socket(server.address().getAddress(), server.address().getPort())) {
            pipelined.setSoTimeout(10_000);
            // Two requests in one write: the slow API call, then a probe behind it on the same connection.
            pipelined
                    .getOutputStream()
                    .write(("GET /api/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                    + "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            pipelined.getOutputStream().flush();
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

            // While it runs, the event loop answers everyone else at once.
            long start = System.nanoTime();
            assertThat(get("/ready")).startsWith("HTTP/1.1 200 ").endsWith("ready\n");
            assertThat(get("/metrics")).startsWith("HTTP/1.1 200 ");
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));

            release.countDown();
            String both = new String(pipelined.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(both.indexOf("{\"slow\":true}"))
                    .as("the slow answer first, then the probe behind it: %s", both)
                    .isPositive()
                    .isLessThan(both.indexOf("live\n"));
        } finally {
            release.countDown();
        }
    }

    private void start(AdminAccess access) throws InterruptedException {
        Map<String, AdminServer.Endpoint> endpoints = Map.of(
                "/api/flows", new AdminServer.Endpoint("application/json", () -> called("{\"flows\":[]}")),
                "/config", new AdminServer.Endpoint("application/json", () -> called("{\"config\":true}")));
        server = AdminServer.start(
                GROUP, new InetSocketAddress("127.0.0.1", 0), () -> true, new ControlPlaneMetrics(), endpoints, access);
    }

    private String called(String body) {
        endpointCalls.incrementAndGet();
        return body;
    }

    private String get(String path, String... headers) throws IOException {
        return request("GET", path, String.join("\r\n", headers));
    }

    /** One request on a fresh connection, {@code Connection: close}; the whole response (Netty's header names are lower case). */
    private String request(String method, String path, String headers) throws IOException {
        try (Socket socket =
                new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout(10_000);
            String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + (headers.isEmpty() ? "" : headers + "\r\n")
                    + (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")
                            ? "Content-Length: 0\r\n"
                            : "")
                    + "\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
