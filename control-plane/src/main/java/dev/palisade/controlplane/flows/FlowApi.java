package dev.palisade.controlplane.flows;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.flowlog.VerifyResult;
import dev.palisade.flowlog.v1.FlowRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only flows HTTP API on the admin port, JSON in and out (control-plane/README.md "Flows HTTP API"):
 *
 * <ul>
 *   <li>{@code GET /api/flows?since&until&from&to&decision&policy&status&pathPrefix&limit&cursor} →
 *       {@code {"flows":[row…],"nextCursor":…}}; a row is {@code sidecar, seq, sender, received, time, decision,
 *       record} where {@code record} is the proto3 JSON of the FlowRecord (flowlog/README.md "Format");
 *   <li>{@code GET /api/flows/summary?…} (same filters) → {@code {"groups":[{source,destination,decision,count}]}};
 *   <li>{@code GET /api/flows/verify[?sidecar=ID]} → {@code {"exitCode":n,"results":[…]}}, each sidecar's stored
 *       chain verified against the current trust bundles.
 * </ul>
 *
 * A bad parameter is a 400 with {@code {"error":"…"}} naming it; a store failure a 500. The parsing helpers
 * ({@link #parsePage}, {@link #parseSummary}) are what {@code palisade flows --server} reads the answers with.
 */
public final class FlowApi {
    private static final Logger logger = LoggerFactory.getLogger(FlowApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
    public static final String CONTENT_TYPE = "application/json";

    /** At most this many rows per export. */
    public static final int EXPORT_CAP = 1_000_000;
    /** Tail: rows per answer by default, and at most. */
    public static final int TAIL_DEFAULT = 100;

    public static final int TAIL_MAX = 1_000;
    /** Export: rows read from the store per query (the rows held in memory at once). */
    static final int EXPORT_PAGE = 2_000;

    static final Duration DEFAULT_SPAN = Duration.ofHours(1);

    private final FlowStore store;
    private final Supplier<TrustBundleSet> bundles;
    private final Clock clock;
    private final int exportCap;

    public FlowApi(FlowStore store, Supplier<TrustBundleSet> bundles, Clock clock) {
        this(store, bundles, clock, EXPORT_CAP);
    }

    /** With another export cap than {@value #EXPORT_CAP} rows (tests). */
    public FlowApi(FlowStore store, Supplier<TrustBundleSet> bundles, Clock clock, int exportCap) {
        this.store = requireNonNull(store, "store");
        this.bundles = requireNonNull(bundles, "bundles");
        this.clock = requireNonNull(clock, "clock");
        if (exportCap < 1) {
            throw new IllegalArgumentException("exportCap: " + exportCap + " (expected: at least 1)");
        }
        this.exportCap = exportCap;
    }

    /** The three endpoints, by path, for {@link AdminServer#start}. */
    public Map<String, AdminServer.Endpoint> endpoints() {
        Map<String, AdminServer.Endpoint> out = new LinkedHashMap<>();
        out.put("/api/flows", new AdminServer.Endpoint(CONTENT_TYPE, p -> answer(() -> flows(p))));
        out.put("/api/flows/summary", new AdminServer.Endpoint(CONTENT_TYPE, p -> answer(() -> summary(p))));
        out.put("/api/flows/verify", new AdminServer.Endpoint(CONTENT_TYPE, p -> answer(() -> verify(p))));
        out.put("/api/flows/tail", new AdminServer.Endpoint(CONTENT_TYPE, p -> answer(() -> tail(p))));
        out.put("/api/flows/export", new AdminServer.Endpoint(CONTENT_TYPE, this::export));
        return out;
    }

    /**
     * The filters of {@code /api/flows} without its paging, {@code since} defaulting to an hour back; {@code extra}
     * are the endpoint's own parameters, removed before parsing.
     */
    private FlowQuery filters(Map<String, List<String>> parameters, String endpoint, List<String> extra) {
        Map<String, List<String>> filters = new LinkedHashMap<>(parameters);
        for (String paging : List.of("limit", "cursor")) {
            if (!extra.contains(paging) && filters.containsKey(paging)) {
                throw new IllegalArgumentException("unknown parameter '" + paging + "' (" + endpoint
                        + " takes the filters of /api/flows and " + String.join(", ", extra) + ")");
            }
        }
        extra.forEach(filters::remove);
        Instant now = clock.instant();
        FlowQuery query = FlowQuery.fromParameters(filters, now);
        if (query.since() == null) {
            Instant since = now.minus(DEFAULT_SPAN);
            if (query.until() != null && !since.isBefore(query.until())) {
                throw new IllegalArgumentException("until: " + query.until()
                        + " (expected: after since, which defaults to an hour ago: " + since + ")");
            }
            query = query.withTime(since, query.until());
        }
        return query;
    }

    private String tail(Map<String, List<String>> parameters) {
        FlowQuery query = filters(parameters, "/api/flows/tail", List.of("after", "limit"));
        String afterText = FlowQuery.one(parameters, "after");
        Long after = null;
        if (afterText != null) {
            try {
                after = Long.parseLong(afterText);
            } catch (NumberFormatException e) {
                after = -1L;
            }
            if (after < 0) {
                throw new IllegalArgumentException(
                        "after: '" + afterText + "' (expected the \"next\" of an earlier answer)");
            }
        }
        String limitText = FlowQuery.one(parameters, "limit");
        int limit = TAIL_DEFAULT;
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > TAIL_MAX) {
                throw new IllegalArgumentException("limit: '" + limitText + "' (expected: 1 to " + TAIL_MAX + ")");
            }
        }
        FlowStore.Tail tail = store.tail(query, after, limit);
        ObjectNode root = JSON.createObjectNode();
        ArrayNode flows = root.putArray("flows");
        tail.flows().forEach(r -> flows.add(renderRow(r)));
        root.put("next", Long.toString(tail.next()));
        return write(root);
    }

    private AdminServer.Response export(Map<String, List<String>> parameters) {
        String format;
        FlowQuery query;
        try {
            format = FlowQuery.one(parameters, "format");
            if (format == null) {
                format = "csv";
            }
            if (!format.equals("csv") && !format.equals("json")) {
                throw new IllegalArgumentException("format: '" + format + "' (expected csv or json)");
            }
            query = filters(parameters, "/api/flows/export", List.of("format")).withPage(EXPORT_PAGE, null);
        } catch (IllegalArgumentException e) {
            return new AdminServer.Response(400, error(String.valueOf(e.getMessage())));
        }
        boolean csv = format.equals("csv");
        return AdminServer.Response.streamed(new AdminServer.Streamed(
                csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
                Map.of(
                        "Content-Disposition",
                        "attachment; filename=\"" + (csv ? "flows.csv" : "flows.ndjson") + "\"",
                        "X-Content-Type-Options",
                        "nosniff"),
                new ExportBody(store, query, csv, exportCap)));
    }

    /**
     * The rows of an export, read a page of {@value #EXPORT_PAGE} at a time with keyset paging as the body is
     * written: at most one page is in memory.
     */
    static final class ExportBody implements AdminServer.Body {
        private final FlowStore store;
        private final boolean csv;
        private final int cap;
        private FlowQuery query;
        private List<FlowRow> page = List.of();
        private int index;
        private long written;
        private boolean started;
        private boolean more = true;

        ExportBody(FlowStore store, FlowQuery query, boolean csv, int cap) {
            this.store = store;
            this.query = query;
            this.csv = csv;
            this.cap = cap;
        }

        @Override
        public boolean next(StringBuilder out) {
            if (!started) {
                started = true;
                if (csv) {
                    out.append(FlowCsv.HEADER).append('\n');
                }
                return true;
            }
            if (index == page.size()) {
                if (!more) {
                    return false;
                }
                FlowPage p = store.query(query);
                page = p.flows();
                index = 0;
                String cursor = p.nextCursor();
                more = cursor != null;
                if (cursor != null) {
                    query = query.withPage(query.limit(), cursor);
                }
                if (page.isEmpty()) {
                    return false;
                }
            }
            if (written == cap) {
                out.append(csv ? "# truncated at " + cap + " rows\n" : "{\"truncated\":true}\n");
                return false;
            }
            FlowRow row = page.get(index++);
            if (csv) {
                FlowCsv.append(out, row);
                out.append('\n');
            } else {
                out.append(rowJson(row)).append('\n');
            }
            written++;
            return true;
        }
    }

    private String flows(Map<String, List<String>> parameters) {
        return renderPage(store.query(FlowQuery.fromParameters(parameters, clock.instant())));
    }

    private String summary(Map<String, List<String>> parameters) {
        Map<String, List<String>> filters = new LinkedHashMap<>(parameters);
        filters.remove("limit");
        filters.remove("cursor");
        return renderSummary(store.summary(FlowQuery.fromParameters(filters, clock.instant())));
    }

    private String verify(Map<String, List<String>> parameters) {
        for (String name : parameters.keySet()) {
            if (!name.equals("sidecar")) {
                throw new IllegalArgumentException("unknown parameter '" + name + "' (known: sidecar)");
            }
        }
        List<String> sidecars = parameters.containsKey("sidecar") ? parameters.get("sidecar") : store.sidecars();
        TrustBundleSet trust = bundles.get();
        ObjectNode root = JSON.createObjectNode();
        ArrayNode results = JSON.createArrayNode();
        int exit = VerifyResult.EXIT_WHOLE;
        for (String sidecar : sidecars) {
            VerifyResult r = store.verify(sidecar, trust);
            exit = Math.max(exit, r.exitCode());
            results.add(renderVerify(sidecar, r));
        }
        root.put("exitCode", exit);
        root.set("results", results);
        return write(root);
    }

    private interface Body {
        String get();
    }

    private static AdminServer.Response answer(Body body) {
        try {
            return AdminServer.Response.ok(body.get());
        } catch (IllegalArgumentException e) {
            return new AdminServer.Response(400, error(String.valueOf(e.getMessage())));
        } catch (FlowStoreException e) {
            logger.warn("flows API: the store failed", e);
            return new AdminServer.Response(500, error(String.valueOf(e.getMessage())));
        }
    }

    private static String error(String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        return write(n);
    }

    /** The JSON of a page, as {@code GET /api/flows} answers. */
    public static String renderPage(FlowPage page) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode flows = root.putArray("flows");
        for (FlowRow row : page.flows()) {
            flows.add(renderRow(row));
        }
        root.put("nextCursor", page.nextCursor());
        return write(root);
    }

    /** One row of {@code GET /api/flows}: {@code sidecar, seq, sender, received, time, decision, record}. */
    public static ObjectNode renderRow(FlowRow row) {
        ObjectNode n = JSON.createObjectNode();
        n.put("sidecar", row.sidecar());
        n.put("seq", row.seq());
        n.put("sender", row.sender());
        n.put("received", row.received().toString());
        n.put("time", row.time().toString());
        n.put("decision", row.decisionDetail());
        try {
            n.set("record", JSON.readTree(PRINTER.print(row.record())));
        } catch (InvalidProtocolBufferException | JsonProcessingException e) {
            throw new IllegalStateException("cannot render a flow record as JSON", e);
        }
        return n;
    }

    /** {@link #renderRow} as compact JSON text, without a line break. */
    public static String rowJson(FlowRow row) {
        try {
            return JSON.writeValueAsString(renderRow(row));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads what {@link #renderPage} wrote. */
    public static FlowPage parsePage(String json) throws JsonProcessingException, InvalidProtocolBufferException {
        JsonNode root = JSON.readTree(json);
        List<FlowRow> rows = new ArrayList<>();
        for (JsonNode n : root.path("flows")) {
            FlowRecord.Builder record = FlowRecord.newBuilder();
            PARSER.merge(n.path("record").toString(), record);
            rows.add(new FlowRow(
                    n.path("sidecar").asText(),
                    n.path("seq").asLong(),
                    n.path("sender").asText(),
                    Instant.parse(n.path("received").asText()),
                    record.build()));
        }
        JsonNode cursor = root.path("nextCursor");
        return new FlowPage(rows, cursor.isTextual() ? cursor.asText() : null);
    }

    /** The JSON of a summary, as {@code GET /api/flows/summary} answers. */
    public static String renderSummary(List<SummaryGroup> groups) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode out = root.putArray("groups");
        for (SummaryGroup g : groups) {
            ObjectNode n = out.addObject();
            n.put("source", g.source());
            n.put("destination", g.destination());
            n.put("decision", g.decision());
            n.put("count", g.count());
        }
        return write(root);
    }

    /** Reads what {@link #renderSummary} wrote. */
    public static List<SummaryGroup> parseSummary(String json) throws JsonProcessingException {
        List<SummaryGroup> groups = new ArrayList<>();
        for (JsonNode n : JSON.readTree(json).path("groups")) {
            groups.add(new SummaryGroup(
                    n.path("source").asText(),
                    n.path("destination").asText(),
                    n.path("decision").asText(),
                    n.path("count").asLong()));
        }
        return groups;
    }

    /** One sidecar's verification as JSON. */
    public static ObjectNode renderVerify(String sidecar, VerifyResult r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("sidecar", sidecar);
        n.put("whole", r.whole());
        n.put("exitCode", r.exitCode());
        n.put("summary", r.summary());
        VerifyResult.Break b = r.firstBreak();
        if (b == null) {
            n.putNull("break");
        } else {
            ObjectNode bn = n.putObject("break");
            bn.put("kind", b.kind().name());
            bn.put("seq", b.seq());
            bn.put("location", b.location().toString());
            bn.put("detail", b.detail());
        }
        ArrayNode warnings = n.putArray("warnings");
        r.warnings().forEach(w -> warnings.add(w.toString()));
        n.put("entries", r.entries());
        n.put("records", r.records());
        n.put("checkpoints", r.checkpoints());
        n.put("lostRecords", r.lostRecords());
        n.put("unverifiedEntries", r.unverifiedEntries());
        return n;
    }

    static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
