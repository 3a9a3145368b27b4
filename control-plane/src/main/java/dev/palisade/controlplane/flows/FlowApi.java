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

    private final FlowStore store;
    private final Supplier<TrustBundleSet> bundles;
    private final Clock clock;

    public FlowApi(FlowStore store, Supplier<TrustBundleSet> bundles, Clock clock) {
        this.store = requireNonNull(store, "store");
        this.bundles = requireNonNull(bundles, "bundles");
        this.clock = requireNonNull(clock, "clock");
    }

    /** The three endpoints, by path, for {@link AdminServer#start}. */
    public Map<String, AdminServer.Endpoint> endpoints() {
        Map<String, AdminServer.Endpoint> out = new LinkedHashMap<>();
        out.put("/api/flows", new AdminServer.Endpoint(CONTENT_TYPE, p -> answer(() -> flows(p))));
        out.put("/api/flows/summary", new AdminServer.Endpoint(CONTENT_TYPE, p -> answer(() -> summary(p))));
        out.put("/api/flows/verify", new AdminServer.Endpoint(CONTENT_TYPE, p -> answer(() -> verify(p))));
        return out;
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
