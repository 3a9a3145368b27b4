package dev.palisade.controlplane.uiapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.controlplane.admin.AdminAccess;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.admin.ControlPlaneMetrics;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records with known fields for the UI API tests, and an admin server on 127.0.0.1 to ask over real HTTP.
 *
 * <p>Record {@code i} starts at {@code T0 + i} seconds; its destination is API (i % 3 == 0) or WEB; its source
 * cycles through FRONTEND, no mTLS (empty), an external ID and BATCH (i % 4); its class is deny (i % 5 == 0), else
 * dry-run-deny (i % 7 == 0), else audit (i % 11 == 0), else none (i % 13 == 0), else allow. Denials name
 * {@code shop/deny-batch} rule i % 2; a record with i % 17 == 0 that is not denied was decided by the mesh default
 * (rule -1); the rest by {@code shop/web-access} rule (i / 3) % 3.
 */
final class UiFixtures {
    static final String WEB = "spiffe://cluster.local/ns/shop/sa/web";
    static final String API = "spiffe://cluster.local/ns/shop/sa/api";
    static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
    static final String BATCH = "spiffe://cluster.local/ns/jobs/sa/batch";
    static final String EXTERNAL = "spiffe://partner.example/payments";
    static final Instant T0 = Instant.parse("2025-06-15T10:00:00Z");
    static final ObjectMapper JSON = new ObjectMapper();

    private UiFixtures() {}

    static FlowRecord record(int i) {
        String source =
                switch (i % 4) {
                    case 0 -> FRONTEND;
                    case 1 -> "";
                    case 2 -> EXTERNAL;
                    default -> BATCH;
                };
        FlowRecord.Builder b = FlowRecord.newBuilder()
                .setStartUnixNanos(T0.getEpochSecond() * 1_000_000_000L + i * 1_000_000_000L)
                .setSourceId(source)
                .setDestinationId(i % 3 == 0 ? API : WEB)
                .setProtocol(Protocol.HTTP1)
                .setMethod("GET")
                .setPath("/items/" + i)
                .setRequestId("req-" + i);
        if (i % 5 == 0) {
            b.setDecision(Decision.DENY)
                    .setStatus(403)
                    .setPolicy("shop/deny-batch")
                    .setRule(i % 2);
            if (i % 7 == 0) {
                b.setDryRun(DryRunVerdict.DRY_RUN_WOULD_DENY);
            }
            return b.build();
        }
        if (i % 7 == 0) {
            b.setDryRun(DryRunVerdict.DRY_RUN_WOULD_DENY).setDryRunPolicy("shop/tighten");
        } else if (i % 11 == 0) {
            b.addAuditPolicies("shop/audit-all");
        }
        boolean none = i % 7 != 0 && i % 11 != 0 && i % 13 == 0;
        b.setDecision(none ? Decision.DECISION_UNSPECIFIED : Decision.ALLOW).setStatus(200);
        if (i % 17 == 0) {
            b.setPolicy("mesh-default").setRule(-1);
        } else {
            b.setPolicy("shop/web-access").setRule((i / 3) % 3);
        }
        return b.build();
    }

    /** Records 0 to n-1, as the chains of WEB and API (their destinations) would hold them. */
    static Map<String, List<Entry>> chains(int n) {
        Map<String, List<Entry>> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            FlowRecord r = record(i);
            List<Entry> chain = out.computeIfAbsent(r.getDestinationId(), k -> new ArrayList<>());
            chain.add(Entry.newBuilder()
                    .setSidecar(r.getDestinationId())
                    .setSeq(chain.size())
                    .setRecord(r)
                    .build());
        }
        return out;
    }

    /** The expected class of a record: an oracle written apart from the store's SQL. */
    static String expectedClass(FlowRecord r) {
        if (r.getDecision() == Decision.DENY) {
            return "deny";
        }
        if (r.getDryRun() == DryRunVerdict.DRY_RUN_WOULD_DENY) {
            return "dry-run-deny";
        }
        if (r.getAuditPoliciesCount() > 0) {
            return "audit";
        }
        return r.getDecision() == Decision.ALLOW ? "allow" : "none";
    }

    static Instant time(FlowRecord r) {
        return Instant.ofEpochSecond(0, r.getStartUnixNanos());
    }

    static AdminServer server(EventLoopGroup group, Map<String, AdminServer.Endpoint> endpoints)
            throws InterruptedException {
        return AdminServer.start(
                group,
                new InetSocketAddress("127.0.0.1", 0),
                () -> true,
                new ControlPlaneMetrics(),
                endpoints,
                AdminAccess.loopbackOnly());
    }

    /** A GET's status and body. */
    record Answer(int status, String body, HttpResponse<String> response) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    /**
     * A GET over a raw socket, its chunked body decoded by hand so the test sees the chunks.
     *
     * @param head the status line and headers
     * @param chunks the chunks' contents, in order (empty when the body was not chunked)
     * @param body the whole body
     */
    record Raw(String head, List<String> chunks, String body) {}

    static Raw rawGet(AdminServer server, String pathAndQuery) throws IOException {
        try (java.net.Socket socket = new java.net.Socket(
                server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream()
                    .write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] all = socket.getInputStream().readAllBytes();
            String text = new String(all, java.nio.charset.StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String head = text.substring(0, end);
            String rest = text.substring(end + 4);
            List<String> chunks = new ArrayList<>();
            if (!head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
                return new Raw(head, chunks, rest);
            }
            StringBuilder body = new StringBuilder();
            int at = 0;
            while (true) {
                int line = rest.indexOf("\r\n", at);
                int size = Integer.parseInt(rest.substring(at, line).trim(), 16);
                if (size == 0) {
                    break;
                }
                // Sizes are bytes; the fixtures are ASCII, so characters are bytes.
                String chunk = rest.substring(line + 2, line + 2 + size);
                chunks.add(chunk);
                body.append(chunk);
                at = line + 2 + size + 2;
            }
            return new Raw(head, chunks, body.toString());
        }
    }

    static Answer get(AdminServer server, String pathAndQuery) throws IOException, InterruptedException {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = client.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + server.address().getPort() + pathAndQuery))
                        .timeout(Duration.ofSeconds(20))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body(), r);
    }
}
