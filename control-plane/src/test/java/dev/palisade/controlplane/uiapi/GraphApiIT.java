package dev.palisade.controlplane.uiapi;

import static dev.palisade.controlplane.uiapi.UiFixtures.API;
import static dev.palisade.controlplane.uiapi.UiFixtures.BATCH;
import static dev.palisade.controlplane.uiapi.UiFixtures.EXTERNAL;
import static dev.palisade.controlplane.uiapi.UiFixtures.FRONTEND;
import static dev.palisade.controlplane.uiapi.UiFixtures.T0;
import static dev.palisade.controlplane.uiapi.UiFixtures.WEB;
import static dev.palisade.controlplane.uiapi.UiFixtures.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.flows.FlowApi;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.testkit.time.FakeClock;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/graph} and {@code /api/graph/edge} over real HTTP on 127.0.0.1 against a real SQLite store, checked
 * against counts computed from the ingested records in the test. The window {@code [T0+30s, T0+3m20s)} has partial
 * minutes at both ends, so exactness there is checked, and deleting raw rows of the whole minutes (or rollup rows of
 * the partial ones) shows which source answers which part.
 */
@Timeout(60)
class GraphApiIT {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    static final int N = 240;
    static final Instant SINCE = T0.plusSeconds(30);
    static final Instant UNTIL = T0.plusSeconds(200);
    static final String WINDOW = "since=" + SINCE + "&until=" + UNTIL;

    @TempDir
    Path dir;

    final FakeClock clock = new FakeClock(T0.plus(Duration.ofMinutes(10)));
    FlowStore store;
    AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @AfterAll
    static void shutdown() {
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    void start(int maxEdges) throws Exception {
        store = FlowStore.open(dir.resolve("flows.db"), clock);
        UiFixtures.chains(N).forEach((sidecar, chain) -> store.ingest(chain, SpiffeId.parse(sidecar)));
        Map<String, AdminServer.Endpoint> endpoints = new LinkedHashMap<>();
        endpoints.putAll(new FlowApi(store, () -> TrustBundleSet.of(List.of()), clock).endpoints());
        endpoints.putAll(new GraphApi(store, clock, maxEdges).endpoints());
        server = UiFixtures.server(GROUP, endpoints);
    }

    /** (source node, destination node, class) → count of the records in [since, until), from the records. */
    static Map<List<String>, Long> expectedEdges(Instant since, Instant until) {
        Map<List<String>, Long> out = new HashMap<>();
        for (int i = 0; i < N; i++) {
            FlowRecord r = UiFixtures.record(i);
            Instant t = UiFixtures.time(r);
            if (!t.isBefore(since) && t.isBefore(until)) {
                String source = r.getSourceId().isEmpty() ? "unauthenticated" : r.getSourceId();
                out.merge(List.of(source, r.getDestinationId(), UiFixtures.expectedClass(r)), 1L, Long::sum);
            }
        }
        return out;
    }

    static Map<List<String>, Long> edges(JsonNode graph) {
        Map<List<String>, Long> out = new HashMap<>();
        for (JsonNode e : graph.path("edges")) {
            Long before = out.put(
                    List.of(
                            e.path("source").asText(),
                            e.path("destination").asText(),
                            e.path("decision").asText()),
                    e.path("count").asLong());
            assertThat(before).as("one edge per triple").isNull();
        }
        return out;
    }

    static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    // ---- negative cases ---------------------------------------------------------------------------------------------

    @Test
    void badParametersAre400NamingTheParameter() throws Exception {
        start(GraphApi.MAX_EDGES);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("/api/graph?since=yesterday", "since");
        cases.put("/api/graph?until=soon", "until");
        cases.put("/api/graph?since=" + UNTIL + "&until=" + SINCE, "since");
        cases.put("/api/graph?since=1h&since=2h", "since");
        cases.put("/api/graph?from=" + q(WEB), "unknown parameter 'from'");
        cases.put("/api/graph/edge?destination=" + q(WEB), "source");
        cases.put("/api/graph/edge?source=" + q(FRONTEND), "destination");
        cases.put("/api/graph/edge?source=web&destination=" + q(WEB), "source");
        cases.put("/api/graph/edge?source=unauthenticated&destination=unauthenticated", "destination");
        cases.put("/api/graph/edge?source=unauthenticated&destination=" + q(WEB) + "&limit=5", "limit");
        cases.put("/api/flows?to=unauthenticated", "to");
        cases.put("/api/flows?from=Unauthenticated", "from");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            UiFixtures.Answer a = get(server, c.getKey());
            assertThat(a.status()).as(c.getKey()).isEqualTo(400);
            assertThat(a.json().path("error").asText()).as(c.getKey()).contains(c.getValue());
        }
    }

    @Test
    void moreEdgesThanTheCapAreCutLargestFirst() throws Exception {
        start(3);
        JsonNode graph = get(server, "/api/graph?" + WINDOW).json();
        assertThat(graph.path("truncated").asBoolean()).isTrue();
        assertThat(graph.path("edges")).hasSize(3);
        List<Long> all = expectedEdges(SINCE, UNTIL).values().stream()
                .sorted((a, b) -> Long.compare(b, a))
                .toList();
        long previous = Long.MAX_VALUE;
        for (int k = 0; k < 3; k++) {
            long count = graph.path("edges").get(k).path("count").asLong();
            assertThat(count).isLessThanOrEqualTo(previous).isEqualTo(all.get(k));
            previous = count;
        }
        Set<String> endpoints = new HashSet<>();
        graph.path("edges").forEach(e -> {
            endpoints.add(e.path("source").asText());
            endpoints.add(e.path("destination").asText());
        });
        Set<String> nodes = new HashSet<>();
        graph.path("nodes").forEach(n -> nodes.add(n.path("id").asText()));
        assertThat(nodes).isEqualTo(endpoints);
    }

    // ---- positive cases ---------------------------------------------------------------------------------------------

    @Test
    void theGraphCountsEveryRecordOfTheWindowExactly() throws Exception {
        start(GraphApi.MAX_EDGES);
        UiFixtures.Answer a = get(server, "/api/graph?" + WINDOW);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.response().headers().firstValue("content-type")).hasValue("application/json");
        JsonNode graph = a.json();
        assertThat(graph.path("since").asText()).isEqualTo("2025-06-15T10:00:30Z");
        assertThat(graph.path("until").asText()).isEqualTo("2025-06-15T10:03:20Z");
        assertThat(graph.path("truncated").asBoolean()).isFalse();
        Map<List<String>, Long> expected = expectedEdges(SINCE, UNTIL);
        assertThat(edges(graph)).isEqualTo(expected);
        // 170 records in the window: 30 s of minute 0, minutes 1 and 2, 20 s of minute 3.
        assertThat(expected.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(170);
        assertThat(expected.keySet().stream().map(k -> k.get(2)).distinct())
                .containsExactlyInAnyOrder("allow", "deny", "audit", "dry-run-deny", "none");
        // Largest first, and IDs stable and distinct.
        long previous = Long.MAX_VALUE;
        Set<String> ids = new HashSet<>();
        for (JsonNode e : graph.path("edges")) {
            assertThat(e.path("count").asLong()).isLessThanOrEqualTo(previous);
            previous = e.path("count").asLong();
            assertThat(e.path("id").asText()).matches("e[0-9a-f]{16}");
            assertThat(ids.add(e.path("id").asText())).isTrue();
        }
        assertThat(get(server, "/api/graph?" + WINDOW).json().path("edges")).isEqualTo(graph.path("edges"));

        Map<String, JsonNode> nodes = new HashMap<>();
        graph.path("nodes").forEach(n -> nodes.put(n.path("id").asText(), n));
        assertThat(nodes.keySet()).containsExactlyInAnyOrder(WEB, API, FRONTEND, BATCH, EXTERNAL, "unauthenticated");
        assertThat(nodes.get(FRONTEND).toString())
                .isEqualTo("{\"id\":\"" + FRONTEND
                        + "\",\"namespace\":\"shop\",\"name\":\"frontend\",\"kind\":\"workload\"}");
        assertThat(nodes.get(BATCH).path("namespace").asText()).isEqualTo("jobs");
        assertThat(nodes.get("unauthenticated").toString())
                .isEqualTo(
                        "{\"id\":\"unauthenticated\",\"namespace\":\"\",\"name\":\"unauthenticated\",\"kind\":\"plaintext\"}");
        assertThat(nodes.get(EXTERNAL).toString())
                .isEqualTo("{\"id\":\"" + EXTERNAL + "\",\"namespace\":\"\",\"name\":\"" + EXTERNAL
                        + "\",\"kind\":\"external\"}");
    }

    @Test
    void wholeMinutesComeFromTheRollupAndPartialMinutesFromTheRawRows() throws Exception {
        start(GraphApi.MAX_EDGES);
        JsonNode before = get(server, "/api/graph?" + WINDOW).json();
        long m0 = T0.getEpochSecond() / 60;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("flows.db"));
                Statement s = c.createStatement()) {
            // Raw rows of the whole minutes 1 and 2 gone: the rollup still counts them.
            assertThat(s.executeUpdate("DELETE FROM entries WHERE time_ns >= "
                            + T0.plusSeconds(60).getEpochSecond() + "000000000 AND time_ns < "
                            + T0.plusSeconds(180).getEpochSecond() + "000000000"))
                    .isEqualTo(120);
            // Rollup rows of the partial minutes 0 and 3 gone: the raw rows still count them.
            assertThat(s.executeUpdate("DELETE FROM flow_minute WHERE minute IN (" + m0 + ", " + (m0 + 3) + ")"))
                    .isPositive();
        }
        assertThat(edges(get(server, "/api/graph?" + WINDOW).json())).isEqualTo(edges(before));
        // A window of whole minutes only now lacks the deleted rollup minute 0; one inside minute 1 lacks its rows.
        assertThat(edges(get(server, "/api/graph?since=" + T0 + "&until=" + T0.plusSeconds(60))
                        .json()))
                .isEmpty();
        assertThat(edges(get(server, "/api/graph?since=" + T0.plusSeconds(61) + "&until=" + T0.plusSeconds(119))
                        .json()))
                .isEmpty();
    }

    @Test
    void withoutSinceTheWindowIsTheLastHour() throws Exception {
        start(GraphApi.MAX_EDGES);
        clock.set(T0.plusSeconds(100).plus(Duration.ofHours(1)));
        JsonNode graph = get(server, "/api/graph").json();
        assertThat(graph.path("since").asText()).isEqualTo(T0.plusSeconds(100).toString());
        assertThat(edges(graph)).isEqualTo(expectedEdges(T0.plusSeconds(100), clock.instant()));
    }

    @Test
    void anEdgeNamesThePoliciesAndRulesThatDecidedItsFlows() throws Exception {
        start(GraphApi.MAX_EDGES);
        for (String source : new String[] {"unauthenticated", FRONTEND, EXTERNAL}) {
            String stored = source.equals("unauthenticated") ? "" : source;
            Map<List<Object>, Long> expected = new HashMap<>();
            for (int i = 0; i < N; i++) {
                FlowRecord r = UiFixtures.record(i);
                Instant t = UiFixtures.time(r);
                if (r.getSourceId().equals(stored)
                        && r.getDestinationId().equals(WEB)
                        && !t.isBefore(SINCE)
                        && t.isBefore(UNTIL)) {
                    boolean named = r.getPolicy().contains("/");
                    expected.merge(
                            List.of(
                                    named ? r.getPolicy() : "",
                                    named ? r.getRule() : -1,
                                    UiFixtures.expectedClass(r),
                                    named ? "" : r.getPolicy()),
                            1L,
                            Long::sum);
                }
            }
            JsonNode edge = get(server, "/api/graph/edge?source=" + q(source) + "&destination=" + q(WEB) + "&" + WINDOW)
                    .json();
            assertThat(edge.path("source").asText()).isEqualTo(source);
            assertThat(edge.path("destination").asText()).isEqualTo(WEB);
            Map<List<Object>, Long> actual = new HashMap<>();
            long previous = Long.MAX_VALUE;
            for (JsonNode r : edge.path("rules")) {
                actual.put(
                        List.of(
                                r.path("policy").asText(),
                                r.path("rule").asInt(),
                                r.path("decision").asText(),
                                r.path("reason").asText()),
                        r.path("count").asLong());
                assertThat(r.path("count").asLong()).isLessThanOrEqualTo(previous);
                previous = r.path("count").asLong();
            }
            assertThat(actual).as(source).isEqualTo(expected).isNotEmpty();
            long total = expected.values().stream().mapToLong(Long::longValue).sum();
            // The edge's flows through /api/flows, and its summary, with from=unauthenticated for the plaintext node.
            JsonNode flows = get(
                            server, "/api/flows?from=" + q(source) + "&to=" + q(WEB) + "&" + WINDOW + "&limit=1000")
                    .json();
            assertThat(flows.path("flows")).hasSize((int) total);
            flows.path("flows")
                    .forEach(f -> assertThat(f.path("record").path("sourceId").asText(""))
                            .isEqualTo(stored));
            long summed = 0;
            for (JsonNode g : get(server, "/api/flows/summary?from=" + q(source) + "&to=" + q(WEB) + "&" + WINDOW)
                    .json()
                    .path("groups")) {
                assertThat(g.path("source").asText()).isEqualTo(stored);
                summed += g.path("count").asLong();
            }
            assertThat(summed).isEqualTo(total);
        }
        // The mesh default shows as no policy, with the sentinel as the reason.
        JsonNode plaintext = get(
                        server,
                        "/api/graph/edge?source=unauthenticated&destination=" + q(API) + "&since=" + T0 + "&until="
                                + T0.plusSeconds(N))
                .json();
        assertThat(plaintext.path("rules").findValuesAsText("reason")).contains("mesh-default");
        for (JsonNode r : plaintext.path("rules")) {
            if (r.path("reason").asText().equals("mesh-default")) {
                assertThat(r.path("policy").asText()).isEmpty();
                assertThat(r.path("rule").asInt()).isEqualTo(-1);
            }
        }
    }

    @Test
    void aStoreMadeBeforeTheRollupGetsItOnOpen() throws Exception {
        start(GraphApi.MAX_EDGES);
        JsonNode before = get(server, "/api/graph?" + WINDOW).json();
        JsonNode edgeBefore = get(
                        server, "/api/graph/edge?source=" + q(FRONTEND) + "&destination=" + q(WEB) + "&" + WINDOW)
                .json();
        server.close();
        server = null;
        store.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("flows.db"));
                Statement s = c.createStatement()) {
            s.execute("DROP TABLE flow_minute");
            s.execute("ALTER TABLE entries DROP COLUMN rule");
        }
        start2();
        assertThat(edges(get(server, "/api/graph?" + WINDOW).json()))
                .isEqualTo(edges(before))
                .isNotEmpty();
        assertThat(get(server, "/api/graph/edge?source=" + q(FRONTEND) + "&destination=" + q(WEB) + "&" + WINDOW)
                        .json())
                .isEqualTo(edgeBefore);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("flows.db"));
                Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT COUNT(*), SUM(rule IS NULL) FROM entries WHERE kind = 0")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(N);
            assertThat(rs.getLong(2)).isZero();
        }
    }

    private void start2() throws Exception {
        store = FlowStore.open(dir.resolve("flows.db"), clock);
        Map<String, AdminServer.Endpoint> endpoints = new LinkedHashMap<>(new GraphApi(store, clock).endpoints());
        server = UiFixtures.server(GROUP, endpoints);
    }
}
