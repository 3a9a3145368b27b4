package dev.palisade.perf.flows;

import com.google.protobuf.ByteString;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.controlplane.flows.FlowQuery;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.controlplane.flows.SummaryGroup;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.perf.SuppressForbidden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Flow store measurements for control-plane/README.md "Flow store": ingest records/s through {@link FlowStore#ingest}
 * in the collector's batches, then the summary of one hour at 1,000 records/s (3.6 M records, 50 sidecars, 200
 * callers) from the rollup and from the raw rows; and, for the choice of engine, the same raw schema in DuckDB
 * through JDBC batches.
 *
 * <p>{@code -Dspan=86400} spreads the records over that many seconds instead of one hour, for the summary of a whole
 * day: with at least 200 records a minute every minute holds all 200 (source, destination, decision) groups, so the
 * rollup has exactly the rows a day at 1,000 records/s would give (1,440 minutes × 200 groups); only the counts in
 * them are smaller. {@code -Dduckdb=false} leaves the DuckDB comparison out.
 *
 * <pre>
 *   mvn -B -o -pl perf -am package -DskipTests
 *   java -cp "perf/target/classes:$(cat perf/target/jmh-classpath.txt)" dev.palisade.perf.flows.FlowStoreBenchmark [RECORDS] [DIR]
 * </pre>
 */
@SuppressForbidden(reason = "a command-line tool reports on standard output")
public final class FlowStoreBenchmark {
    static final int BATCH = 1_000;
    static final int SIDECARS = 50;
    static final int CALLERS = 200;
    static final Instant HOUR = Instant.parse("2025-06-15T10:00:00Z");
    static final long SPAN_SECONDS = Long.getLong("span", 3600L);

    private FlowStoreBenchmark() {}

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 3_600_000;
        Path dir = Files.createDirectories(Path.of(args.length > 1 ? args[1] : "/tmp/palisade-flow-bench"));
        Path file = dir.resolve("flows.db");
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Files.deleteIfExists(Path.of(file + suffix));
        }
        long[] seqs = new long[SIDECARS];
        try (FlowStore store = FlowStore.open(file, Clock.systemUTC())) {
            long start = System.nanoTime();
            List<Entry> batch = new ArrayList<>(BATCH);
            for (int i = 0; i < records; i++) {
                int sidecar = i % SIDECARS;
                batch.add(entry(sidecar, seqs[sidecar]++, i, records));
                if (batch.size() == BATCH || i == records - 1) {
                    // The sender is only recorded; batches mix sidecars here, which the store does not check.
                    store.ingest(batch, SpiffeId.parse(sidecarId(batch.get(0).getSidecar())));
                    batch.clear();
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "sqlite ingest: %,d records in %.1f s = %,.0f records/s (file %,d MB)%n",
                    records,
                    secs,
                    records / secs,
                    Files.size(file) >> 20);
            FlowQuery hour = FlowQuery.all().withTime(HOUR, HOUR.plusSeconds(SPAN_SECONDS));
            // Not on minute boundaries: the partial minutes at both ends are counted from the raw rows.
            FlowQuery unaligned = FlowQuery.all().withTime(HOUR.plusSeconds(17), HOUR.plusSeconds(SPAN_SECONDS - 17));
            String span = SPAN_SECONDS + " s";
            for (int round = 0; round < 3; round++) {
                time("sqlite summary, rollup (" + span + ")", () -> store.summary(hour));
                time("sqlite summary, rollup (" + span + ", unaligned ends)", () -> store.summary(unaligned));
                time(
                        "sqlite summary, rollup, --from ns/ns-3/*",
                        () -> store.summary(hour.withPeers("spiffe://cluster.local/ns/ns-3/*", null)));
                time("sqlite summary, raw rows (--policy)", () -> store.summary(hour.withPolicy("shop/deny-0")));
                time(
                        "sqlite query, first page of 100, --decision deny",
                        () -> List.of(new SummaryGroup(
                                "",
                                "",
                                "",
                                store.query(hour.withDecision("deny")).flows().size())));
            }
        }
        // -Dduckdb=false leaves DuckDB out: its native library shares the JVM and the disk with the SQLite run.
        if (Boolean.parseBoolean(System.getProperty("duckdb", "true"))) {
            duckdb(Math.min(records, 1_000_000));
        }
    }

    interface Query {
        List<SummaryGroup> run() throws Exception;
    }

    static void time(String what, Query q) throws Exception {
        long start = System.nanoTime();
        List<SummaryGroup> groups = q.run();
        System.out.printf(
                Locale.ROOT, "%s: %.0f ms, %d groups%n", what, (System.nanoTime() - start) / 1e6, groups.size());
    }

    static String sidecarId(String s) {
        return s;
    }

    static Entry entry(int sidecar, long seq, int i, int records) {
        boolean deny = i % 20 == 0;
        long start = HOUR.getEpochSecond() * 1_000_000_000L + (long) (i * (SPAN_SECONDS * 1e9 / records));
        FlowRecord record = FlowRecord.newBuilder()
                .setStartUnixNanos(start)
                .setDurationNanos(1_500_000)
                .setDirection(Direction.INBOUND)
                .setSourceId("spiffe://cluster.local/ns/ns-" + (i % CALLERS) % 10 + "/sa/caller-" + i % CALLERS)
                .setDestinationId(sidecarName(sidecar))
                .setSourceAddress("10.1." + (i % CALLERS) / 250 + "." + (i % CALLERS) % 250)
                .setSourcePort(30_000 + i % 30_000)
                .setDestinationAddress("10.2.0." + sidecar)
                .setDestinationPort(8080)
                .setProtocol(Protocol.HTTP2)
                .setMethod(i % 3 == 0 ? "POST" : "GET")
                .setAuthority("svc-" + sidecar + ".shop.svc")
                .setPath("/api/v1/items/" + i % 10_000)
                .setStatus(deny ? 403 : 200)
                .setBytesIn(i % 3 == 0 ? 512 : 0)
                .setBytesOut(2048)
                .setDecision(deny ? Decision.DENY : Decision.ALLOW)
                .setPolicy(deny ? "shop/deny-" + i % 10 : "shop/allow-" + sidecar)
                .setPolicyVersion("0123456789abcdef")
                .setTlsVersion("TLSv1.3")
                .setTlsCipher("TLS_AES_128_GCM_SHA256")
                .setRequestId("6f1c2e9a-" + i)
                .build();
        return Entry.newBuilder()
                .setSidecar(sidecarName(sidecar))
                .setSeq(seq)
                .setPrevHash(ByteString.copyFrom(new byte[32]))
                .setRecord(record)
                .build();
    }

    static String sidecarName(int sidecar) {
        return "spiffe://cluster.local/ns/shop/sa/svc-" + sidecar;
    }

    /** The same raw table in DuckDB, JDBC batches of {@value #BATCH} in one transaction each, then the GROUP BY. */
    static void duckdb(int records) throws Exception {
        Path file = Path.of("/tmp/palisade-flow-bench/flows.duckdb");
        Files.deleteIfExists(file);
        Files.deleteIfExists(Path.of(file + ".wal"));
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file)) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE entries (sidecar VARCHAR NOT NULL, seq BIGINT NOT NULL, kind INTEGER,"
                        + " time_ns BIGINT, received_ms BIGINT, sender VARCHAR, source VARCHAR, destination VARCHAR,"
                        + " decision VARCHAR, policy VARCHAR, status INTEGER, method VARCHAR, path VARCHAR,"
                        + " entry BLOB, UNIQUE (sidecar, seq))");
            }
            long[] seqs = new long[SIDECARS];
            c.setAutoCommit(false);
            long start = System.nanoTime();
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT OR IGNORE INTO entries VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < records; i++) {
                    int sidecar = i % SIDECARS;
                    Entry e = entry(sidecar, seqs[sidecar]++, i, records);
                    FlowRecord r = e.getRecord();
                    p.setString(1, e.getSidecar());
                    p.setLong(2, e.getSeq());
                    p.setLong(3, r.getStartUnixNanos());
                    p.setLong(4, 0);
                    p.setString(5, e.getSidecar());
                    p.setString(6, r.getSourceId());
                    p.setString(7, r.getDestinationId());
                    p.setString(8, r.getDecision().name());
                    p.setString(9, r.getPolicy());
                    p.setInt(10, r.getStatus());
                    p.setString(11, r.getMethod());
                    p.setString(12, r.getPath());
                    p.setBytes(13, e.toByteArray());
                    p.addBatch();
                    if ((i + 1) % BATCH == 0 || i == records - 1) {
                        p.executeBatch();
                        c.commit();
                    }
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "duckdb ingest: %,d records in %.1f s = %,.0f records/s%n",
                    records,
                    secs,
                    records / secs);
            c.setAutoCommit(true);
            for (int round = 0; round < 3; round++) {
                long q = System.nanoTime();
                int groups = 0;
                try (Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT source, destination, decision, COUNT(*) FROM entries"
                                + " GROUP BY source, destination, decision")) {
                    while (rs.next()) {
                        groups++;
                    }
                }
                System.out.printf(
                        Locale.ROOT,
                        "duckdb summary, raw rows (%,d): %.0f ms, %d groups%n",
                        records,
                        (System.nanoTime() - q) / 1e6,
                        groups);
            }
        }
    }
}
