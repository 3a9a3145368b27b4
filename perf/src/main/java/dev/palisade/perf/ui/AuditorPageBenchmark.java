package dev.palisade.perf.ui;

import com.google.protobuf.ByteString;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.ControlPlane;
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.perf.SuppressForbidden;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Issue 10's "the page stays responsive with 100 workloads and a day of flows at 1,000 records/s": a real control
 * plane (local mode, loopback) over a store holding a day for 100 workloads (10 namespaces × 10), each called by three
 * others and by a plaintext caller now and then, and its policies (an ALLOW policy per workload with a rule that never
 * matches, an AUDIT and a DENY policy per namespace); then the time and the size of each answer the page asks for.
 *
 * <p>A day at 1,000 records/s is 86.4 M records (~63 GB in the store); what the page reads is the per-minute rollup,
 * whose rows depend on minutes × (source, destination, class, policy, rule), not on how many records each minute
 * holds. Each minute here holds every edge in every decision class once, so the rollup has the rows a full day would
 * give, only smaller counts; the raw rows read for the partial minutes at both ends of a window are then fewer than a
 * real day's (up to 120,000 at 1,000 records/s: ~65 ms at the store's measured scan rate, see control-plane/README.md).
 *
 * <pre>
 *   mvn -B -o -pl perf -am package -DskipTests
 *   java -Xmx1g -cp "perf/target/classes:$(cat perf/target/jmh-classpath.txt)" dev.palisade.perf.ui.AuditorPageBenchmark [DIR]
 * </pre>
 */
@SuppressForbidden(reason = "a command-line tool reports on standard output")
public final class AuditorPageBenchmark {
    static final String TD = "bench.local";
    static final int NAMESPACES = 10;
    static final int PER_NAMESPACE = 10;
    static final int WORKLOADS = NAMESPACES * PER_NAMESPACE;
    static final int[] CALLER_OFFSETS = {1, 7, 31};
    static final int MINUTES = 24 * 60;
    static final int ROUNDS = 5;

    private AuditorPageBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args.length > 0 ? args[0] : "/tmp/palisade-ui-bench"));
        Path cpDir = dir.resolve("cp");
        Path policies = Files.createDirectories(cpDir.resolve("policies"));
        Path store = cpDir.resolve("flows.db");
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Files.deleteIfExists(Path.of(store + suffix));
        }
        Files.writeString(policies.resolve("bench.yaml"), policiesYaml(), StandardCharsets.UTF_8);

        Instant end = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        Instant start = end.minus(Duration.ofMinutes(MINUTES));
        long t0 = System.nanoTime();
        int records = fill(store, start);
        System.out.printf(
                Locale.ROOT,
                "store: %,d records, %d workloads, %d edges × 4 classes and %d plaintext edges a minute over 24 h,"
                        + " filled in %.1f s%n",
                records,
                WORKLOADS,
                WORKLOADS * CALLER_OFFSETS.length,
                NAMESPACES,
                (System.nanoTime() - t0) / 1e9);

        LocalConfig config = LocalConfig.builder(cpDir, MeshConfig.defaults(TrustDomain.parse(TD)))
                .addresses(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0))
                .build();
        try (ControlPlane cp = ControlPlane.startLocal(config, Clock.systemUTC())) {
            String base = "http://127.0.0.1:" + cp.adminAddress().getPort();
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            String edgeFrom = URLEncoder.encode(id(1), StandardCharsets.UTF_8);
            String edgeTo = URLEncoder.encode(id(0), StandardCharsets.UTF_8);
            Map<String, String> requests = new LinkedHashMap<>();
            requests.put("graph, 24 h", "/api/graph?since=24h");
            requests.put("graph, 1 h", "/api/graph?since=1h");
            requests.put(
                    "edge rules, 24 h", "/api/graph/edge?source=" + edgeFrom + "&destination=" + edgeTo + "&since=24h");
            requests.put("policies and rule hits, 24 h", "/api/policies?since=24h");
            requests.put("flows, first page of 100, 24 h", "/api/flows?since=24h&limit=100");
            requests.put(
                    "flows of one edge, deny, 24 h",
                    "/api/flows?since=24h&limit=100&decision=deny&from=" + edgeFrom + "&to=" + edgeTo);
            requests.put("summary, 24 h", "/api/flows/summary?since=24h");
            requests.put("live tail, newest 100", "/api/flows/tail?limit=100");
            requests.put("integrity", "/api/integrity");
            System.out.println();
            System.out.println("| request | status | bytes | min ms | median ms | max ms |");
            System.out.println("|---|---|---|---|---|---|");
            for (Map.Entry<String, String> r : requests.entrySet()) {
                long[] ms = new long[ROUNDS];
                int status = 0;
                long bytes = 0;
                for (int i = 0; i < ROUNDS; i++) {
                    long s = System.nanoTime();
                    HttpResponse<byte[]> response = http.send(
                            HttpRequest.newBuilder(URI.create(base + r.getValue()))
                                    .timeout(Duration.ofSeconds(60))
                                    .build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    ms[i] = (System.nanoTime() - s) / 1_000_000;
                    status = response.statusCode();
                    bytes = response.body().length;
                }
                Arrays.sort(ms);
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %d | %,d | %d | %d | %d |%n",
                        r.getKey(),
                        status,
                        bytes,
                        ms[0],
                        ms[ROUNDS / 2],
                        ms[ROUNDS - 1]);
            }
            if (args.length > 1 && args[1].equals("--wait")) {
                System.out.println("serving " + base + "/ui/ until interrupted");
                Thread.sleep(Long.MAX_VALUE);
            }
        }
    }

    static String id(int workload) {
        return "spiffe://" + TD + "/ns/ns-" + workload / PER_NAMESPACE + "/sa/w-" + workload % PER_NAMESPACE;
    }

    /** Every minute: each (caller → workload) edge once per class, and a plaintext call to one workload of each namespace. */
    static int fill(Path file, Instant start) throws Exception {
        long[] seqs = new long[WORKLOADS];
        int records = 0;
        try (FlowStore store = FlowStore.open(file, Clock.systemUTC())) {
            List<Entry> batch = new ArrayList<>(1_000);
            SpiffeId sender = SpiffeId.parse(id(0));
            for (int minute = 0; minute < MINUTES; minute++) {
                long minuteNanos = (start.getEpochSecond() + 60L * minute) * 1_000_000_000L;
                for (int w = 0; w < WORKLOADS; w++) {
                    for (int c = 0; c < CALLER_OFFSETS.length; c++) {
                        String caller = id((w + CALLER_OFFSETS[c]) % WORKLOADS);
                        for (int cls = 0; cls < 4; cls++) {
                            long t = minuteNanos + (long) (c * 4 + cls) * 1_000_000_000L;
                            batch.add(entry(w, seqs[w]++, caller, cls, t));
                        }
                    }
                    if (w % PER_NAMESPACE == 0) {
                        batch.add(entry(w, seqs[w]++, "", 0, minuteNanos + 30_000_000_000L));
                    }
                    if (batch.size() >= 1_000) {
                        store.ingest(batch, sender);
                        records += batch.size();
                        batch.clear();
                    }
                }
            }
            store.ingest(batch, sender);
            records += batch.size();
        }
        return records;
    }

    /** Class 0 allow, 1 deny, 2 audit, 3 dry-run deny. */
    static Entry entry(int workload, long seq, String caller, int cls, long timeNanos) {
        String ns = "ns-" + workload / PER_NAMESPACE;
        String w = "w-" + workload % PER_NAMESPACE;
        boolean deny = cls == 1;
        FlowRecord.Builder r = FlowRecord.newBuilder()
                .setStartUnixNanos(timeNanos)
                .setDurationNanos(1_200_000)
                .setDirection(Direction.INBOUND)
                .setSourceId(caller)
                .setDestinationId(id(workload))
                .setSourceAddress("10.1.0." + (workload + 1) % 250)
                .setSourcePort(40_000 + (int) (seq % 20_000))
                .setDestinationAddress("10.2.0." + workload % 250)
                .setDestinationPort(8080)
                .setProtocol(Protocol.HTTP1)
                .setMethod(deny ? "DELETE" : "GET")
                .setAuthority(w + "." + ns + ".svc")
                .setPath(deny ? "/admin/reset" : "/api/items/" + seq % 1_000)
                .setStatus(deny ? 403 : 200)
                .setBytesOut(1_024)
                .setDecision(deny ? Decision.DENY : Decision.ALLOW)
                .setPolicy(deny ? ns + "/deny-admin" : ns + "/allow-" + w)
                .setRule(0)
                .setTlsVersion(caller.isEmpty() ? "" : "TLSv1.3")
                .setRequestId("r-" + workload + "-" + seq);
        if (cls == 2) {
            r.addAuditPolicies(ns + "/audit-reads");
        } else if (cls == 3) {
            r.setDryRun(DryRunVerdict.DRY_RUN_WOULD_DENY).setDryRunPolicy(ns + "/tighten");
        }
        return Entry.newBuilder()
                .setSidecar(id(workload))
                .setSeq(seq)
                .setPrevHash(ByteString.copyFrom(new byte[32]))
                .setRecord(r)
                .build();
    }

    /** 100 Workloads, an ALLOW policy each (rule 1 never matches); a DENY, an AUDIT and a dry-run DENY policy per namespace. */
    static String policiesYaml() {
        StringBuilder y = new StringBuilder();
        for (int workload = 0; workload < WORKLOADS; workload++) {
            String ns = "ns-" + workload / PER_NAMESPACE;
            String w = "w-" + workload % PER_NAMESPACE;
            y.append("apiVersion: palisade.dev/v1\nkind: Workload\nmetadata:\n  name: ")
                    .append(w)
                    .append("\n  namespace: ")
                    .append(ns)
                    .append("\nspec:\n  serviceAccount: ")
                    .append(w)
                    .append("\n  labels:\n    app: ")
                    .append(w)
                    .append("\n  address: 127.0.")
                    .append(1 + workload / 250)
                    .append('.')
                    .append(1 + workload % 250)
                    .append("\n  ports:\n  - name: http\n    port: 8080\n    protocol: HTTP\n---\n");
            y.append("apiVersion: security.palisade.dev/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow-")
                    .append(w)
                    .append("\n  namespace: ")
                    .append(ns)
                    .append("\nspec:\n  selector:\n    matchLabels:\n      app: ")
                    .append(w)
                    .append("\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        principals: [");
            for (int c = 0; c < CALLER_OFFSETS.length; c++) {
                y.append(c == 0 ? "" : ", ")
                        .append('"')
                        .append(id((workload + CALLER_OFFSETS[c]) % WORKLOADS))
                        .append('"');
            }
            y.append("]\n  - from:\n    - source:\n        principals: [\"spiffe://")
                    .append(TD)
                    .append("/ns/legacy/sa/batch\"]\n    to:\n    - operation:\n        paths: [\"/export\"]\n---\n");
            if (workload % PER_NAMESPACE == 0) {
                y.append(
                                "apiVersion: security.palisade.dev/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: deny-admin\n"
                                        + "  namespace: ")
                        .append(ns)
                        .append(
                                "\nspec:\n  action: DENY\n  rules:\n  - to:\n    - operation:\n        paths: [\"/admin*\"]\n"
                                        + "---\n");
                y.append(
                                "apiVersion: security.palisade.dev/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: audit-reads\n"
                                        + "  namespace: ")
                        .append(ns)
                        .append(
                                "\nspec:\n  action: AUDIT\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n"
                                        + "---\n");
                y.append("apiVersion: security.palisade.dev/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: tighten\n"
                                + "  namespace: ")
                        .append(ns)
                        .append("\nspec:\n  action: DENY\n  dryRun: true\n  rules:\n  - to:\n    - operation:\n"
                                + "        paths: [\"/api/items/9*\"]\n---\n");
            }
        }
        return y.toString();
    }
}
