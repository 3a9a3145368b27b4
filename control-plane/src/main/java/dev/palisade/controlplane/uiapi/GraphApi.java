package dev.palisade.controlplane.uiapi;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.flows.FlowMinutes;
import dev.palisade.controlplane.flows.FlowQuery;
import dev.palisade.controlplane.flows.FlowStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /api/graph?since&until} (who talks to whom, with the decision classes and counts) and
 * {@code GET /api/graph/edge?source&destination&since&until} (which policies and rules decided one edge's flows),
 * both from the {@code flow_minute} rollup plus the raw rows of the partial minutes at the window's ends.
 */
public final class GraphApi {
    /** At most this many edges per graph, largest first. */
    public static final int MAX_EDGES = 5_000;

    private static final Pattern WORKLOAD = Pattern.compile("spiffe://[^/]+/ns/([^/]+)/sa/([^/]+)");
    private static final Set<String> GRAPH_PARAMETERS = Set.of("since", "until");
    private static final Set<String> EDGE_PARAMETERS = Set.of("since", "until", "source", "destination");

    private final FlowStore store;
    private final Clock clock;
    private final int maxEdges;

    public GraphApi(FlowStore store, Clock clock) {
        this(store, clock, MAX_EDGES);
    }

    GraphApi(FlowStore store, Clock clock, int maxEdges) {
        this.store = requireNonNull(store, "store");
        this.clock = requireNonNull(clock, "clock");
        if (maxEdges < 1) {
            throw new IllegalArgumentException("maxEdges: " + maxEdges + " (expected: at least 1)");
        }
        this.maxEdges = maxEdges;
    }

    /** The two endpoints, by path, for {@link AdminServer#start}. */
    public Map<String, AdminServer.Endpoint> endpoints() {
        Map<String, AdminServer.Endpoint> out = new LinkedHashMap<>();
        out.put("/api/graph", new AdminServer.Endpoint(Json.CONTENT_TYPE, p -> Json.answer(() -> graph(p))));
        out.put("/api/graph/edge", new AdminServer.Endpoint(Json.CONTENT_TYPE, p -> Json.answer(() -> edge(p))));
        return out;
    }

    ObjectNode graph(Map<String, List<String>> parameters) {
        Window w = Window.parse(parameters, clock.instant(), GRAPH_PARAMETERS);
        List<FlowMinutes.Count> counts = store.flowCounts(w.since(), w.until(), FlowMinutes.Grouping.EDGES, null, null);
        boolean truncated = counts.size() > maxEdges;
        List<FlowMinutes.Count> kept = truncated ? counts.subList(0, maxEdges) : counts;
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("since", w.since().toString());
        root.put("until", w.until().toString());
        Map<String, ObjectNode> nodes = new TreeMap<>();
        ArrayNode edges = Json.MAPPER.createArrayNode();
        for (FlowMinutes.Count c : kept) {
            String source = nodeId(c.source());
            String destination = nodeId(c.destination());
            nodes.computeIfAbsent(source, GraphApi::node);
            nodes.computeIfAbsent(destination, GraphApi::node);
            ObjectNode e = edges.addObject();
            e.put("id", edgeId(source, destination, c.decisionClass()));
            e.put("source", source);
            e.put("destination", destination);
            e.put("decision", c.decisionClass());
            e.put("count", c.count());
        }
        ArrayNode nodeArray = root.putArray("nodes");
        nodes.values().forEach(nodeArray::add);
        root.set("edges", edges);
        root.put("truncated", truncated);
        return root;
    }

    ObjectNode edge(Map<String, List<String>> parameters) {
        Window w = Window.parse(parameters, clock.instant(), EDGE_PARAMETERS);
        String source = required(parameters, "source");
        String destination = required(parameters, "destination");
        if (!source.equals(FlowQuery.UNAUTHENTICATED) && !source.startsWith("spiffe://")) {
            throw new IllegalArgumentException(
                    "source: '" + source + "' (expected a SPIFFE ID or " + FlowQuery.UNAUTHENTICATED + ")");
        }
        if (!destination.startsWith("spiffe://")) {
            throw new IllegalArgumentException("destination: '" + destination + "' (expected a SPIFFE ID)");
        }
        String storedSource = source.equals(FlowQuery.UNAUTHENTICATED) ? "" : source;
        List<FlowMinutes.Count> counts =
                store.flowCounts(w.since(), w.until(), FlowMinutes.Grouping.RULES, storedSource, destination);
        // A sentinel (mesh-default, no-matching-allow-policy) is "no policy": policy "" and rule -1, the sentinel
        // in "reason"; several sentinels of one class stay apart.
        Map<List<Object>, Long> merged = new LinkedHashMap<>();
        for (FlowMinutes.Count c : counts) {
            boolean named = isNamedPolicy(c.policy());
            merged.merge(
                    List.of(named ? c.policy() : "", named ? c.rule() : -1, c.decisionClass(), named ? "" : c.policy()),
                    c.count(),
                    Long::sum);
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("source", source);
        root.put("destination", destination);
        ArrayNode rules = root.putArray("rules");
        merged.entrySet().stream()
                .sorted(Map.Entry.<List<Object>, Long>comparingByValue().reversed())
                .forEach(e -> {
                    ObjectNode r = rules.addObject();
                    r.put("policy", (String) e.getKey().get(0));
                    r.put("rule", (Integer) e.getKey().get(1));
                    r.put("decision", (String) e.getKey().get(2));
                    r.put("count", e.getValue());
                    r.put("reason", (String) e.getKey().get(3));
                });
        return root;
    }

    /** A record's {@code policy} names an AuthorizationPolicy ({@code namespace/name}), not a sentinel. */
    static boolean isNamedPolicy(String policy) {
        return policy.indexOf('/') > 0;
    }

    private static String required(Map<String, List<String>> parameters, String name) {
        String value = FlowQuery.one(parameters, name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + ": missing (expected a SPIFFE ID)");
        }
        return value;
    }

    /** The graph's node ID of a stored peer ID: the ID itself, or {@code unauthenticated} for an empty one. */
    static String nodeId(String stored) {
        return stored.isEmpty() ? FlowQuery.UNAUTHENTICATED : stored;
    }

    static ObjectNode node(String id) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("id", id);
        Matcher m = WORKLOAD.matcher(id);
        if (id.equals(FlowQuery.UNAUTHENTICATED)) {
            n.put("namespace", "");
            n.put("name", FlowQuery.UNAUTHENTICATED);
            n.put("kind", "plaintext");
        } else if (m.matches()) {
            n.put("namespace", m.group(1));
            n.put("name", m.group(2));
            n.put("kind", "workload");
        } else {
            n.put("namespace", "");
            n.put("name", id);
            n.put("kind", "external");
        }
        return n;
    }

    /** A stable, DOM-safe ID of (source, destination, decision class): {@code e} and 16 hex digits of SHA-256. */
    static String edgeId(String source, String destination, String decisionClass) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((source + "\n" + destination + "\n" + decisionClass).getBytes(StandardCharsets.UTF_8));
            return "e" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
