package dev.palisade.controlplane.uiapi;

import static dev.palisade.controlplane.uiapi.UiFixtures.JSON;
import static dev.palisade.controlplane.uiapi.UiFixtures.T0;
import static dev.palisade.controlplane.uiapi.UiFixtures.WEB;
import static dev.palisade.controlplane.uiapi.UiFixtures.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.flows.FlowApi;
import dev.palisade.controlplane.flows.FlowCsv;
import dev.palisade.controlplane.flows.FlowRow;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.testkit.time.FakeClock;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /api/flows/tail} (arrival order, tokens) and {@code /api/flows/export} (chunked, capped) over real HTTP on
 * 127.0.0.1 against a real (in-memory) SQLite store.
 */
@Timeout(120)
class FlowTailExportIT {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    final FakeClock clock = new FakeClock(T0.plus(Duration.ofMinutes(30)));
    final FlowStore store = FlowStore.inMemory(clock);
    /** What was ingested, in arrival order. */
    final List<FlowRecord> arrived = new ArrayList<>();

    final Map<String, Long> seqs = new LinkedHashMap<>();
    AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        store.close();
    }

    @AfterAll
    static void shutdown() {
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    void start(int exportCap) throws Exception {
        server = UiFixtures.server(
                GROUP, new FlowApi(store, () -> TrustBundleSet.of(List.of()), clock, exportCap).endpoints());
    }

    /** Ingests records {@code from} to {@code to - 1}, each sidecar's in one batch, WEB's batch first. */
    void ingest(int from, int to) {
        Map<String, List<Entry>> batches = new LinkedHashMap<>();
        batches.put(WEB, new ArrayList<>());
        for (int i = from; i < to; i++) {
            FlowRecord r = UiFixtures.record(i);
            long seq = seqs.merge(r.getDestinationId(), 1L, Long::sum) - 1;
            batches.computeIfAbsent(r.getDestinationId(), k -> new ArrayList<>())
                    .add(Entry.newBuilder()
                            .setSidecar(r.getDestinationId())
                            .setSeq(seq)
                            .setRecord(r)
                            .build());
        }
        batches.forEach((sidecar, batch) -> {
            store.ingest(batch, SpiffeId.parse(sidecar));
            batch.forEach(e -> arrived.add(e.getRecord()));
        });
    }

    static List<String> requestIds(JsonNode answer) {
        List<String> out = new ArrayList<>();
        answer.path("flows")
                .forEach(f -> out.add(f.path("record").path("requestId").asText()));
        return out;
    }

    static List<String> requestIds(List<FlowRecord> records) {
        return records.stream().map(FlowRecord::getRequestId).toList();
    }

    // ---- negative cases ---------------------------------------------------------------------------------------------

    @Test
    void badParametersAre400NamingTheParameter() throws Exception {
        start(FlowApi.EXPORT_CAP);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("/api/flows/tail?after=abc", "after");
        cases.put("/api/flows/tail?after=-1", "after");
        cases.put("/api/flows/tail?limit=0", "limit");
        cases.put("/api/flows/tail?limit=1001", "limit");
        cases.put("/api/flows/tail?limit=many", "limit");
        cases.put("/api/flows/tail?cursor=1.2", "cursor");
        cases.put("/api/flows/tail?decision=maybe", "decision");
        cases.put("/api/flows/tail?until=" + T0.minus(Duration.ofHours(2)), "until");
        cases.put("/api/flows/export?format=xml", "format");
        cases.put("/api/flows/export?limit=5", "limit");
        cases.put("/api/flows/export?since=yesterday", "since");
        cases.put("/api/flows/export?format=csv&format=json", "format");
        cases.put("/api/flows/export?to=unauthenticated", "to");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            UiFixtures.Answer a = get(server, c.getKey());
            assertThat(a.status()).as(c.getKey()).isEqualTo(400);
            assertThat(a.json().path("error").asText()).as(c.getKey()).contains(c.getValue());
        }
    }

    // ---- tail -------------------------------------------------------------------------------------------------------

    @Test
    void theTailFollowsArrivalOrderFromItsToken() throws Exception {
        start(FlowApi.EXPORT_CAP);
        JsonNode empty = get(server, "/api/flows/tail").json();
        assertThat(empty.path("flows")).isEmpty();
        String first = empty.path("next").asText();

        ingest(0, 240);
        JsonNode newest = get(server, "/api/flows/tail?limit=5").json();
        assertThat(requestIds(newest)).isEqualTo(requestIds(arrived.subList(235, 240)));
        // Arrival order, not time order: WEB's batch arrived before API's.
        assertThat(requestIds(arrived.subList(0, 240)))
                .isNotEqualTo(requestIds(arrived.stream()
                        .sorted((a, b) -> Long.compare(a.getStartUnixNanos(), b.getStartUnixNanos()))
                        .toList()));
        assertThat(newest.path("flows").get(0).path("sidecar").asText()).isEqualTo(UiFixtures.API);
        String token = newest.path("next").asText();
        assertThat(get(server, "/api/flows/tail?after=" + token).json().path("flows"))
                .isEmpty();
        assertThat(get(server, "/api/flows/tail?after=" + token)
                        .json()
                        .path("next")
                        .asText())
                .isEqualTo(token);

        // From the first (empty) answer's token: everything, a page at a time.
        List<String> all = new ArrayList<>();
        String next = first;
        for (int round = 0; round < 10; round++) {
            JsonNode page =
                    get(server, "/api/flows/tail?limit=100&after=" + next).json();
            all.addAll(requestIds(page));
            next = page.path("next").asText();
            if (page.path("flows").size() < 100) {
                break;
            }
        }
        assertThat(all).isEqualTo(requestIds(arrived));
        assertThat(next).isEqualTo(token);

        ingest(240, 270);
        JsonNode more = get(server, "/api/flows/tail?limit=20&after=" + token).json();
        assertThat(requestIds(more)).isEqualTo(requestIds(arrived.subList(240, 260)));
        JsonNode rest = get(server, "/api/flows/tail?after=" + more.path("next").asText())
                .json();
        assertThat(requestIds(rest)).isEqualTo(requestIds(arrived.subList(260, 270)));

        // Filters apply; the token still moves past what they skip.
        JsonNode plaintext = get(server, "/api/flows/tail?from=unauthenticated&after=" + token)
                .json();
        assertThat(requestIds(plaintext))
                .isEqualTo(requestIds(arrived.subList(240, 270).stream()
                        .filter(r -> r.getSourceId().isEmpty())
                        .toList()))
                .isNotEmpty();
        assertThat(plaintext.path("next").asText()).isEqualTo(rest.path("next").asText());
        JsonNode denied =
                get(server, "/api/flows/tail?decision=deny&limit=1000").json();
        assertThat(denied.path("flows")).hasSize((int) arrived.stream()
                .filter(r -> r.getDecision() == dev.palisade.flowlog.v1.Decision.DENY)
                .count());
    }

    @Test
    void theTailAnswersAtMostAThousandRows() throws Exception {
        start(FlowApi.EXPORT_CAP);
        ingest(0, 1_500);
        clock.set(T0.plusSeconds(1_500));
        JsonNode page = get(server, "/api/flows/tail?limit=1000&after=0").json();
        assertThat(page.path("flows")).hasSize(1_000);
        assertThat(requestIds(page)).isEqualTo(requestIds(arrived.subList(0, 1_000)));
        assertThat(requestIds(get(
                                server,
                                "/api/flows/tail?limit=1000&after="
                                        + page.path("next").asText())
                        .json()))
                .isEqualTo(requestIds(arrived.subList(1_000, 1_500)));
    }

    // ---- export -----------------------------------------------------------------------------------------------------

    @Test
    void aLargeExportIsStreamedInChunksOldestFirst() throws Exception {
        start(FlowApi.EXPORT_CAP);
        int n = 50_000;
        ingest(0, n);
        String window = "since=" + T0 + "&until=" + T0.plusSeconds(n);
        UiFixtures.Raw csv = UiFixtures.rawGet(server, "/api/flows/export?format=csv&" + window);
        assertThat(csv.head())
                .startsWith("HTTP/1.1 200 ")
                .containsIgnoringCase("transfer-encoding: chunked")
                .containsIgnoringCase("content-type: text/csv; charset=utf-8")
                .containsIgnoringCase("content-disposition: attachment; filename=\"flows.csv\"")
                .doesNotContainIgnoringCase("content-length");
        // ~100 bytes a row: many chunks, none much bigger than the chunk size.
        assertThat(csv.chunks().size()).isGreaterThan(20);
        assertThat(csv.chunks()).allSatisfy(c -> assertThat(c.length()).isLessThan(80 * 1024));
        String[] lines = csv.body().split("\n", -1);
        assertThat(lines).hasSize(n + 2); // header, n rows, "" after the last line break
        assertThat(lines[0]).isEqualTo("TIME,SOURCE,DESTINATION,PROTO,METHOD,PATH,STATUS,DECISION,POLICY");
        assertThat(lines[n + 1]).isEmpty();
        for (int i : new int[] {0, 1, 2, 3, 4, 5, 7, 11, 13, 17, 12_345, n - 1}) {
            assertThat(lines[i + 1]).as("row " + i).isEqualTo(expectedCsv(i));
        }

        UiFixtures.Raw json = UiFixtures.rawGet(server, "/api/flows/export?format=json&from=unauthenticated&" + window);
        assertThat(json.head())
                .containsIgnoringCase("content-type: application/x-ndjson")
                .containsIgnoringCase("content-disposition: attachment; filename=\"flows.ndjson\"")
                .containsIgnoringCase("transfer-encoding: chunked");
        List<String> rows = json.body().lines().toList();
        assertThat(rows).hasSize(n / 4);
        for (String row : rows) {
            JsonNode r = JSON.readTree(row);
            assertThat(r.path("record").path("sourceId").asText("")).isEmpty();
            assertThat(r.has("sidecar") && r.has("seq") && r.has("received") && r.has("decision"))
                    .isTrue();
        }
        assertThat(JSON.readTree(rows.get(0)).path("record").path("requestId").asText())
                .isEqualTo("req-1");
        assertThat(json.body()).doesNotContain("truncated");
    }

    @Test
    void anExportPastTheCapEndsWithATruncationLine() throws Exception {
        start(1_000);
        ingest(0, 3_000);
        String window = "since=" + T0 + "&until=" + T0.plusSeconds(3_000);
        List<String> csv = UiFixtures.rawGet(server, "/api/flows/export?" + window)
                .body()
                .lines()
                .toList();
        assertThat(csv).hasSize(1 + 1_000 + 1);
        assertThat(csv.get(1_000)).isEqualTo(expectedCsv(999));
        assertThat(csv.get(1_001)).isEqualTo("# truncated at 1000 rows");
        List<String> json = UiFixtures.rawGet(server, "/api/flows/export?format=json&" + window)
                .body()
                .lines()
                .toList();
        assertThat(json).hasSize(1_001);
        assertThat(json.get(1_000)).isEqualTo("{\"truncated\":true}");
        // Exactly the cap: no truncation line.
        List<String> exact = UiFixtures.rawGet(
                        server, "/api/flows/export?format=json&since=" + T0 + "&until=" + T0.plusSeconds(1_000))
                .body()
                .lines()
                .toList();
        assertThat(exact).hasSize(1_000).noneMatch(l -> l.contains("truncated"));
        assertThat(UiFixtures.rawGet(server, "/api/flows/export?since=" + T0 + "&until=" + T0.plusSeconds(999))
                        .body()
                        .lines())
                .hasSize(1 + 999)
                .noneMatch(l -> l.startsWith("#"));
    }

    @Test
    void clientsThatLeaveMidExportFreeTheirStreams() throws Exception {
        start(FlowApi.EXPORT_CAP);
        int n = 50_000;
        ingest(0, n);
        String path = "/api/flows/export?since=" + T0 + "&until=" + T0.plusSeconds(n);
        // More abandoned exports than the server runs at once (2).
        for (int k = 0; k < 4; k++) {
            try (java.net.Socket socket = new java.net.Socket(
                    server.address().getAddress(), server.address().getPort())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream()
                        .write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                byte[] some = socket.getInputStream().readNBytes(1_000);
                assertThat(new String(some, java.nio.charset.StandardCharsets.US_ASCII))
                        .startsWith("HTTP/1.1 ");
                socket.setSoLinger(true, 0); // reset: the server's next writes fail
            }
        }
        // Their producers notice and end: a full export gets through (503 while two are still busy).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        UiFixtures.Raw full;
        do {
            full = UiFixtures.rawGet(server, path);
        } while (full.head().startsWith("HTTP/1.1 503") && System.nanoTime() < deadline);
        assertThat(full.head()).startsWith("HTTP/1.1 200 ");
        assertThat(full.body().lines()).hasSize(n + 1);
    }

    /** The CSV line of record i, written out here column by column (the columns of palisade flows -o csv). */
    static String expectedCsv(int i) {
        FlowRecord r = UiFixtures.record(i);
        FlowRow row = new FlowRow(r.getDestinationId(), 0, r.getDestinationId(), Instant.EPOCH, r);
        return String.join(
                ",",
                T0.plusSeconds(i).toString(),
                r.getSourceId(),
                r.getDestinationId(),
                "HTTP1",
                "GET",
                "/items/" + i,
                Integer.toString(r.getStatus()),
                row.decisionDetail(),
                r.getPolicy());
    }

    @Test
    void csvCellsAreQuotedLikeTheCli() {
        assertThat(FlowCsv.cell("plain")).isEqualTo("plain");
        assertThat(FlowCsv.cell("a,b")).isEqualTo("\"a,b\"");
        assertThat(FlowCsv.cell("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
        assertThat(FlowCsv.cell("line\nbreak")).isEqualTo("\"line\nbreak\"");
        assertThat(FlowCsv.cell("cr\rx")).isEqualTo("\"cr\rx\"");
        FlowRecord r =
                UiFixtures.record(1).toBuilder().setPath("/a,b").setStatus(0).build();
        assertThat(FlowCsv.row(new FlowRow(WEB, 0, WEB, Instant.EPOCH, r)))
                .isEqualTo("2025-06-15T10:00:01Z,," + WEB + ",HTTP1,GET,\"/a,b\",,allow,shop/web-access");
    }
}
