package dev.palisade.cli.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.cli.demo.DemoApp;
import dev.palisade.proxy.flow.FlowEvent;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's "must show", on loopback: app → sidecar → mTLS → sidecar → app for HTTP/1.1, HTTP/2 and gRPC (unary and
 * server-streaming), each with an allowed and a denied call, and the peer identity header arriving at the app; a
 * plaintext client refused by a STRICT sidecar. The mesh is the demo's ({@code examples/policies}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MeshEndToEndIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static LocalMesh mesh;
    static final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @BeforeAll
    static void start() throws Exception {
        mesh = LocalMesh.start(dir, Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    static HttpResponse<String> get(String from, String to, String path, Map<String, String> headers) throws Exception {
        InetSocketAddress upstream = mesh.upstream(from, to);
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://" + upstream.getHostString() + ":" + upstream.getPort() + path))
                .timeout(Duration.ofSeconds(10));
        headers.forEach(request::header);
        return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---- refusals first -------------------------------------------------------------------------------------------

    @Test
    void aPlaintextClientIsRefusedByAStrictSidecar() throws Exception {
        InetSocketAddress orders = mesh.inbound("orders");
        try (Socket socket = new Socket(orders.getAddress(), orders.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /orders HTTP/1.1\r\nHost: orders\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            // Closed without a byte of response: nothing reached the app.
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void http1DeniedByTheOrdersPolicyAnswers403() throws Exception {
        HttpResponse<String> admin = get("frontend", "orders", "/admin/users", Map.of());
        assertThat(admin.statusCode()).isEqualTo(403);
        HttpResponse<String> other = get("frontend", "orders", "/payments", Map.of());
        assertThat(other.statusCode()).isEqualTo(403);
    }

    @Test
    void anEncodedSlashIsRejectedBeforeAnyRule() throws Exception {
        HttpResponse<String> encoded = get("frontend", "orders", "/orders%2F..%2Fadmin", Map.of());
        assertThat(encoded.statusCode()).isEqualTo(400);
    }

    @Test
    void grpcFromFrontendToPaymentsIsPermissionDenied() throws Exception {
        ManagedChannel channel = plaintextChannel(mesh.upstream("frontend", "payments"));
        try {
            assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(
                            channel,
                            DemoApp.CHARGE,
                            io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                            "order-1".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void http2DeniedByPolicyAnswers403() throws Exception {
        InetSocketAddress upstream = mesh.upstream("frontend", "orders");
        try (H2cClient client = new H2cClient(upstream)) {
            H2cClient.Response denied = client.get("orders.shop", "/admin", Map.of());
            assertThat(denied.status()).isEqualTo(403);
        }
    }

    // ---- allowed ----------------------------------------------------------------------------------------------------

    @Test
    void http1AllowedReachesTheAppWithThePeerIdentityAndNoSmuggledCopy() throws Exception {
        HttpResponse<String> response = get(
                "frontend",
                "orders",
                "/orders/42",
                Map.of("X-Palisade-Peer-Identity", "spiffe://demo.local/ns/shop/sa/payments"));
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("app").asText()).isEqualTo("orders");
        assertThat(body.path("uri").asText()).isEqualTo("/orders/42");
        assertThat(body.path("peer").asText()).isEqualTo(LocalMesh.FRONTEND.toString());
        assertThat(body.path("peerHeaderCount").asInt()).isEqualTo(1);
    }

    @Test
    void http2AllowedReachesTheHttp1AppWithThePeerIdentity() throws Exception {
        InetSocketAddress upstream = mesh.upstream("frontend", "orders");
        try (H2cClient client = new H2cClient(upstream)) {
            H2cClient.Response response = client.get("orders.shop", "/orders", Map.of());
            assertThat(response.status()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("peer").asText()).isEqualTo(LocalMesh.FRONTEND.toString());
            assertThat(body.path("method").asText()).isEqualTo("GET");
        }
    }

    @Test
    void grpcUnaryAndServerStreamingFromOrdersToPayments() throws Exception {
        int before = mesh.flows.get("payments").size();
        ManagedChannel channel = plaintextChannel(mesh.upstream("orders", "payments"));
        try {
            byte[] charged = ClientCalls.blockingUnaryCall(
                    channel,
                    DemoApp.CHARGE,
                    io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                    "order-7".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(charged, StandardCharsets.UTF_8))
                    .isEqualTo("charged order-7 for " + LocalMesh.ORDERS);

            Iterator<byte[]> updates = ClientCalls.blockingServerStreamingCall(
                    channel,
                    DemoApp.WATCH,
                    io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                    "order-7".getBytes(StandardCharsets.UTF_8));
            List<String> received = new ArrayList<>();
            updates.forEachRemaining(u -> received.add(new String(u, StandardCharsets.UTF_8)));
            assertThat(received)
                    .containsExactly(
                            "update 1 for " + LocalMesh.ORDERS,
                            "update 2 for " + LocalMesh.ORDERS,
                            "update 3 for " + LocalMesh.ORDERS);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        // One flow event per call, each with its decision and gRPC status. Only orders' events: the refused call
        // from frontend in another test may still be arriving.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<FlowEvent> events = List.of();
        while (System.nanoTime() < deadline) {
            events = mesh.flows.get("payments").stream() // a snapshot: the list is copy-on-write
                    .skip(before)
                    .filter(e -> LocalMesh.ORDERS.equals(e.source()))
                    .toList();
            if (events.size() >= 2) {
                break;
            }
            Thread.sleep(20);
        }
        assertThat(events)
                .extracting(FlowEvent::path, FlowEvent::status, FlowEvent::grpcStatus)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("/payments.v1.Payments/Charge", 200, 0),
                        org.assertj.core.groups.Tuple.tuple("/payments.v1.Payments/Watch", 200, 0));
        assertThat(events).allSatisfy(e -> assertThat(e.decision()).isNotNull());
    }

    @Test
    void everyInboundRequestLeavesOneFlowEventWithItsDecision() throws Exception {
        // Identified by request id: a previous test's event may still be arriving.
        String allowedId = "flow-allowed-" + System.nanoTime();
        String deniedId = "flow-denied-" + System.nanoTime();
        assertThat(get("frontend", "orders", "/orders", Map.of("x-request-id", allowedId))
                        .statusCode())
                .isEqualTo(200);
        assertThat(get("frontend", "orders", "/admin", Map.of("x-request-id", deniedId))
                        .statusCode())
                .isEqualTo(403);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<FlowEvent> events = List.of();
        while (System.nanoTime() < deadline) {
            events = mesh.flows.get("orders").stream()
                    .filter(e -> allowedId.equals(e.requestId()) || deniedId.equals(e.requestId()))
                    .toList();
            if (events.size() >= 2) {
                break;
            }
            Thread.sleep(20);
        }
        assertThat(events).hasSize(2);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.direction()).isEqualTo(FlowEvent.Direction.INBOUND);
            assertThat(e.source()).isEqualTo(LocalMesh.FRONTEND);
            assertThat(e.destination()).isEqualTo(LocalMesh.ORDERS);
            assertThat(e.tlsVersion()).isEqualTo("TLSv1.3");
        });
        assertThat(events).extracting(FlowEvent::status).containsExactlyInAnyOrder(200, 403);
        FlowEvent denied =
                events.stream().filter(e -> e.status() == 403).findFirst().orElseThrow();
        assertThat(denied.decision()).isNotNull();
        assertThat(denied.decision().denied()).isTrue();
        assertThat(denied.decision().policy().policy()).isEqualTo("deny-admin");
    }

    @Test
    void theAdminServerDescribesTheSidecarsConfigAndCertificate() throws Exception {
        InetSocketAddress admin = mesh.sidecar("frontend").adminAddress();
        String base = "http://" + admin.getHostString() + ":" + admin.getPort();
        HttpResponse<String> configResponse = http.send(
                HttpRequest.newBuilder(URI.create(base + "/config")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(configResponse.statusCode()).isEqualTo(200);
        JsonNode config = JSON.readTree(configResponse.body());
        assertThat(config.path("xdsReady").asBoolean()).isTrue();
        assertThat(config.path("version").asText()).isNotBlank();
        assertThat(config.path("nacks").asLong(-1)).isZero();
        assertThat(config.path("inbound")).isNotEmpty().allSatisfy(port -> {
            assertThat(port.path("port").asInt()).isPositive();
            assertThat(port.path("protocol").asText()).isNotBlank();
            assertThat(port.path("mode").asText()).isEqualTo("STRICT");
            assertThat(port.path("policies").isArray()).isTrue();
        });
        List<String> peers = new ArrayList<>();
        config.path("outbound").forEach(d -> peers.add(d.path("expectedPeer").asText()));
        assertThat(peers).contains(LocalMesh.ORDERS.toString());
        assertThat(config.path("outsideMesh").asText()).isNotBlank();
        assertThat(config.has("flowLog"))
                .as("this mesh's sidecars write no flow log")
                .isFalse();

        JsonNode certs = JSON.readTree(http.send(
                        HttpRequest.newBuilder(URI.create(base + "/certs")).build(),
                        HttpResponse.BodyHandlers.ofString())
                .body());
        assertThat(certs.path("svid").path("spiffeId").asText()).isEqualTo(LocalMesh.FRONTEND.toString());
        assertThat(certs.path("svid").path("serial").asText()).matches("[0-9a-f]+");
        assertThat(certs.path("bundleRoots")).isNotEmpty();
    }

    static ManagedChannel plaintextChannel(InetSocketAddress address) {
        return NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
                .usePlaintext()
                .build();
    }
}
