package dev.palisade.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.DryRunResult;
import dev.palisade.proxy.authz.PolicyRef;
import dev.palisade.proxy.authz.RejectReason;
import dev.palisade.proxy.authz.Rejection;
import dev.palisade.proxy.flow.FlowEvent;
import dev.palisade.proxy.inbound.InboundObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The admin and health servers on loopback, through a real HTTP client and, for malformed requests, a raw socket. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class AdminServerIT {
    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    private static EventLoopGroup group;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicBoolean ready = new AtomicBoolean();
    private final CountDownLatch quit = new CountDownLatch(1);
    private final AtomicInteger quits = new AtomicInteger();
    private final ProxyMetrics metrics = new ProxyMetrics(new MetricSources(
            () -> Optional.of(NOW.plus(Duration.ofHours(12))),
            () -> Optional.of("listener-7/cluster-3"),
            () -> Optional.of(NOW.minusSeconds(30)),
            () -> 42,
            Clock.fixed(NOW, ZoneOffset.UTC)));
    private AdminServer admin;
    private HealthServer health;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUpGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void tearDownGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void close() {
        if (admin != null) {
            admin.close();
        }
        if (health != null) {
            health.close();
        }
    }

    // --- refused first ---

    @Test
    void quitIsNotFoundWithoutATokenFile() throws Exception {
        admin = startAdmin(Optional.empty());

        assertThat(post("/quit", "Bearer anything").statusCode()).isEqualTo(404);
        assertThat(quits.get()).isZero();
    }

    @Test
    void quitRefusesAWrongOrMissingToken() throws Exception {
        admin = startAdmin(Optional.of(tokenFile("s3cret-token\n")));

        assertThat(post("/quit", null).statusCode()).isEqualTo(401);
        assertThat(post("/quit", "Bearer s3cret-tokeN").statusCode()).isEqualTo(401);
        assertThat(post("/quit", "Bearer s3cret-token-and-more").statusCode()).isEqualTo(401);
        assertThat(post("/quit", "Basic s3cret-token").statusCode()).isEqualTo(401);
        assertThat(get(admin, "/quit").statusCode()).isEqualTo(405);
        assertThat(quits.get()).isZero();
        assertThat(get(admin, "/live").statusCode()).isEqualTo(200);
    }

    @Test
    void refusesAnEmptyTokenFileAtStart() throws Exception {
        Path empty = tokenFile("  \n");
        assertThatThrownBy(() -> startAdmin(Optional.of(empty)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void answersUnknownPathsAndOtherMethods() throws Exception {
        admin = startAdmin(Optional.empty());
        health = HealthServer.start(group, new InetSocketAddress("127.0.0.1", 0), ready::get);

        assertThat(get(admin, "/admin").statusCode()).isEqualTo(404);
        assertThat(get(admin, "/ready/").statusCode()).isEqualTo(404);
        assertThat(get(health, "/metrics").statusCode()).isEqualTo(404);
        assertThat(get(health, "/config").statusCode()).isEqualTo(404);
        assertThat(get(health, "/quit").statusCode()).isEqualTo(404);
        assertThat(post(health, "/ready").statusCode()).isEqualTo(405);
        HttpResponse<String> put = send(
                admin,
                HttpRequest.newBuilder(uri(admin, "/config"))
                        .PUT(HttpRequest.BodyPublishers.ofString("{}"))
                        .build());
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("allow")).contains("GET");
    }

    @Test
    void answersMalformedRequestsWith400AndCloses() throws Exception {
        admin = startAdmin(Optional.empty());
        health = HealthServer.start(group, new InetSocketAddress("127.0.0.1", 0), ready::get);

        for (InetSocketAddress address : new InetSocketAddress[] {admin.localAddress(), health.localAddress()}) {
            String answer = raw(address, "GET /ready HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 400 ").contains("connection: close");
            assertThat(raw(address, "\u0001\u0002garbage\r\n\r\n")).startsWith("HTTP/1.1 400 ");
        }
        assertThat(get(admin, "/live").statusCode()).isEqualTo(200);
    }

    // --- served ---

    @Test
    void quitWithTheRightTokenAnswers202AndQuitsOnce() throws Exception {
        admin = startAdmin(Optional.of(tokenFile("s3cret-token\n")));

        assertThat(post("/quit", "Bearer s3cret-token").statusCode()).isEqualTo(202);
        assertThat(quit.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(post("/quit", "bearer s3cret-token").statusCode()).isEqualTo(202);
        assertThat(quits.get()).isEqualTo(1);
    }

    @Test
    void readyFollowsTheSupplierOnBothServers() throws Exception {
        admin = startAdmin(Optional.empty());
        health = HealthServer.start(group, new InetSocketAddress("127.0.0.1", 0), ready::get);

        assertThat(get(health, "/ready").statusCode()).isEqualTo(503);
        assertThat(get(admin, "/ready").statusCode()).isEqualTo(503);
        assertThat(get(health, "/live").statusCode()).isEqualTo(200);
        ready.set(true);
        assertThat(get(health, "/ready").statusCode()).isEqualTo(200);
        assertThat(get(admin, "/ready?verbose=1").statusCode()).isEqualTo(200);
    }

    @Test
    void servesConfigAndCertsAsJson() throws Exception {
        admin = startAdmin(Optional.empty());

        HttpResponse<String> config = get(admin, "/config");
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.headers().firstValue("content-type")).contains("application/json");
        assertThat(config.body()).isEqualTo("{\"version\":\"v7\"}");
        assertThat(get(admin, "/certs").body()).isEqualTo("{\"spiffeId\":\"spiffe://cluster.local/ns/a/sa/b\"}");
    }

    @Test
    void servesMetricsInThePrometheusTextFormat() throws Exception {
        admin = startAdmin(Optional.empty());
        InboundObserver inbound = metrics.observer(FlowEvent.Direction.INBOUND);
        inbound.connectionOpened();
        inbound.connectionOpened();
        inbound.connectionClosed();
        inbound.refused("untrusted_certificate");
        inbound.tlsHandshake(false);
        inbound.tlsHandshake(true);
        inbound.tlsHandshake(true);
        metrics.observer(FlowEvent.Direction.OUTBOUND).refused("outside_mesh");
        metrics.metricsSink().record(flow(FlowEvent.Direction.INBOUND, 200));
        metrics.metricsSink().record(flow(FlowEvent.Direction.INBOUND, 503));
        metrics.metricsSink().record(flow(FlowEvent.Direction.OUTBOUND, 0));
        // Each label set's data point is looked up once and reused: a second request counts on the same series.
        AuthzDecision allowed = new AuthzDecision(
                true,
                AuthzDecision.Reason.ALLOW_POLICY,
                PolicyRef.MESH_DEFAULT,
                List.of(),
                DryRunResult.NOT_CONFIGURED,
                "v1");
        AuthzDecision denied = new AuthzDecision(
                false,
                AuthzDecision.Reason.MESH_DEFAULT,
                PolicyRef.MESH_DEFAULT,
                List.of(),
                DryRunResult.NOT_CONFIGURED,
                "v1");
        for (int i = 0; i < 2; i++) {
            metrics.metricsSink().record(flow(FlowEvent.Direction.INBOUND, 101, allowed, null));
            metrics.metricsSink().record(flow(FlowEvent.Direction.INBOUND, 403, denied, null));
        }
        metrics.metricsSink()
                .record(flow(FlowEvent.Direction.INBOUND, 400, null, new Rejection(RejectReason.FRAGMENT, "#")));
        metrics.metricsSink().record(flow(FlowEvent.Direction.INBOUND, 600, allowed, null));

        HttpResponse<String> response = get(admin, "/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
        String text = response.body();
        // Every line is a comment or "name{labels} value".
        for (String line : text.split("\n")) {
            assertThat(line).matches("# (HELP|TYPE) .*|[a-z_]+(\\{.*\\})? -?[0-9.eE+-]+|[a-z_]+(\\{.*\\})? [+-]Inf");
        }
        assertThat(text)
                .contains("palisade_requests_total{decision=\"none\",direction=\"inbound\",status_class=\"2xx\"} 1")
                .contains("palisade_requests_total{decision=\"none\",direction=\"inbound\",status_class=\"5xx\"} 1")
                .contains("palisade_requests_total{decision=\"none\",direction=\"outbound\",status_class=\"none\"} 1")
                .contains("palisade_requests_total{decision=\"allow\",direction=\"inbound\",status_class=\"1xx\"} 2")
                .contains("palisade_requests_total{decision=\"deny\",direction=\"inbound\",status_class=\"4xx\"} 2")
                .contains("palisade_requests_total{decision=\"rejected\",direction=\"inbound\",status_class=\"4xx\"} 1")
                .contains("palisade_requests_total{decision=\"allow\",direction=\"inbound\",status_class=\"none\"} 1")
                .doesNotContain("status_class=\"3xx\"")
                .contains("palisade_request_duration_seconds_bucket{direction=\"inbound\",le=\"0.025\"} 8")
                .contains("palisade_request_duration_seconds_count{direction=\"outbound\"} 1")
                .contains("palisade_active_connections{direction=\"inbound\"} 1")
                .contains(
                        "palisade_tls_handshake_failures_total{direction=\"inbound\",reason=\"untrusted_certificate\"} 1")
                .contains("palisade_connections_refused_total{direction=\"outbound\",reason=\"outside_mesh\"} 1")
                .contains("palisade_tls_handshakes_total{direction=\"inbound\",session=\"full\"} 1")
                .contains("palisade_tls_handshakes_total{direction=\"inbound\",session=\"resumed\"} 2")
                .doesNotContain("palisade_tls_handshake_failures_total{direction=\"outbound\"")
                .contains("palisade_certificate_expiry_seconds 43200")
                .contains("palisade_xds_config_info{version=\"listener-7/cluster-3\"} 1")
                .contains("palisade_xds_last_update_timestamp_seconds 1.79")
                .contains("palisade_flow_log_queue_depth 42");
    }

    // --- fixtures ---

    private AdminServer startAdmin(Optional<Path> tokenFile) throws InterruptedException {
        AdminEndpoints endpoints = new AdminEndpoints(
                ready::get,
                metrics.registry(),
                () -> "{\"version\":\"v7\"}",
                () -> "{\"spiffeId\":\"spiffe://cluster.local/ns/a/sa/b\"}",
                () -> {
                    quits.incrementAndGet();
                    quit.countDown();
                });
        return AdminServer.start(group, new InetSocketAddress("127.0.0.1", 0), endpoints, tokenFile);
    }

    private static FlowEvent flow(FlowEvent.Direction direction, int status) {
        return flow(direction, status, null, null);
    }

    private static FlowEvent flow(
            FlowEvent.Direction direction, int status, AuthzDecision decision, Rejection rejection) {
        return new FlowEvent(
                NOW,
                Duration.ofMillis(12),
                direction,
                null,
                null,
                null,
                null,
                status == 0 ? "TCP" : "HTTP/1.1",
                null,
                null,
                null,
                status,
                null,
                10,
                20,
                decision,
                rejection,
                null,
                null,
                null);
    }

    private Path tokenFile(String content) throws IOException {
        Path file = dir.resolve("quit-token");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    private HttpResponse<String> post(String path, String authorization) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(uri(admin.localAddress(), path)).POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return send(b.build());
    }

    private HttpResponse<String> post(HealthServer server, String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(server.localAddress(), path))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    }

    private HttpResponse<String> get(AdminServer server, String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(server.localAddress(), path)).build());
    }

    private HttpResponse<String> get(HealthServer server, String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(server.localAddress(), path)).build());
    }

    private HttpResponse<String> send(AdminServer server, HttpRequest request) throws Exception {
        return send(request);
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static URI uri(AdminServer server, String path) {
        return uri(server.localAddress(), path);
    }

    private static URI uri(InetSocketAddress address, String path) {
        return URI.create("http://127.0.0.1:" + address.getPort() + path);
    }

    /** Sends {@code request} as is and returns everything until the server closes. */
    private static String raw(InetSocketAddress address, String request) throws IOException {
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
