package dev.palisade.controlplane.flows;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.flowlog.FlowEntries;
import dev.palisade.flowlog.FlowVerifier;
import dev.palisade.flowlog.VerifyResult;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The control plane's flow store: every entry of every sidecar's chain in an embedded SQLite database (a file, or
 * memory), with the record fields that queries filter on as columns and the entry's canonical bytes, so that the
 * chain can be verified from the store exactly as it was sent.
 *
 * <p>Idempotent on {@code (sidecar, seq)}: a sender re-sends from its spill queue after a reconnect, so an exact
 * duplicate is ignored; a <em>different</em> entry with a stored {@code (sidecar, seq)} is kept apart as a conflict
 * and makes {@link #verify} report a break at that seq.
 *
 * <p>Summaries are answered from a per-minute rollup kept at ingest time (source, destination, decision, count),
 * plus the raw rows of the partial minutes at either end of the range, so a day's summary reads ~1,440 × groups
 * rows instead of 86 million; filters the rollup does not keep (policy, status, path, audit, dry-run) scan the raw
 * rows (README "Flow store").
 *
 * <p>Thread-safe. A file store has one writer and one reader connection (WAL: queries do not wait for ingest); an
 * in-memory store has one connection for both.
 */
public final class FlowStore implements AutoCloseable {
    static final int KIND_RECORD = 0;
    static final int KIND_CHECKPOINT = 1;
    static final int KIND_GAP = 2;
    private static final long MINUTE_NANOS = 60_000_000_000L;
    private static final int DELETE_CHUNK = 20_000;
    private static final int VERIFY_PAGE = 5_000;

    private static final String INSERT = "INSERT OR IGNORE INTO entries (sidecar, seq, kind, time_ns, received_ms,"
            + " sender, source, destination, decision, audit, dry_run_deny, policy, status, method, path, entry, rule)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /**
     * A record's decision class ({@link FlowRow#decisionClass}) computed from the columns of {@code entries}, so that
     * raw rows and {@code flow_minute} group alike.
     */
    static final String CLASS_SQL = "(CASE WHEN decision = 'deny' THEN 'deny' WHEN dry_run_deny = 1 THEN 'dry-run-deny'"
            + " WHEN audit = 1 THEN 'audit' ELSE decision END)";

    private final String description;
    private final Connection writer;
    private final Connection reader;
    private final Object writeLock = new Object();
    /** Whole hours of {@code flow_minute}, grouped; read under {@link #readLock}. */
    private final HourCache hours = new HourCache();

    private final Object readLock;
    private final Clock clock;

    private FlowStore(String description, Connection writer, Connection reader, Clock clock) {
        this.description = description;
        this.writer = writer;
        this.reader = reader;
        this.readLock = writer == reader ? writeLock : new Object();
        this.clock = clock;
    }

    /** Opens (creating when absent) the store in {@code file}, and its parent directories. */
    public static FlowStore open(Path file, Clock clock) {
        requireNonNull(file, "file");
        requireNonNull(clock, "clock");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Connection w = DriverManager.getConnection("jdbc:sqlite:" + file);
            try {
                try (Statement s = w.createStatement()) {
                    s.execute("PRAGMA journal_mode=WAL");
                    // NORMAL in WAL mode: a power loss may lose the last transactions, never corrupt; the
                    // sender's spill queue and the sidecar's own file hold them.
                    s.execute("PRAGMA synchronous=NORMAL");
                    s.execute("PRAGMA busy_timeout=10000");
                }
                createSchema(w);
                Connection r = DriverManager.getConnection("jdbc:sqlite:" + file);
                try (Statement s = r.createStatement()) {
                    s.execute("PRAGMA busy_timeout=10000");
                }
                return new FlowStore(file.toString(), w, r, clock);
            } catch (SQLException | RuntimeException e) {
                w.close();
                throw e;
            }
        } catch (SQLException | java.io.IOException e) {
            throw new FlowStoreException("cannot open the flow store " + file + ": " + e.getMessage(), e);
        }
    }

    /** A store in memory, gone when closed: for tests and for control planes without a data directory. */
    public static FlowStore inMemory(Clock clock) {
        requireNonNull(clock, "clock");
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
            createSchema(c);
            return new FlowStore("memory", c, c, clock);
        } catch (SQLException e) {
            throw new FlowStoreException("cannot open an in-memory flow store: " + e.getMessage(), e);
        }
    }

    private static void createSchema(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS entries ("
                    + " id INTEGER PRIMARY KEY,"
                    + " sidecar TEXT NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL,"
                    + " time_ns INTEGER NOT NULL, received_ms INTEGER NOT NULL, sender TEXT NOT NULL,"
                    + " source TEXT, destination TEXT, decision TEXT, audit INTEGER, dry_run_deny INTEGER,"
                    + " policy TEXT, status INTEGER, method TEXT, path TEXT,"
                    + " entry BLOB NOT NULL, rule INTEGER,"
                    + " UNIQUE (sidecar, seq))");
            s.execute("CREATE INDEX IF NOT EXISTS entries_time ON entries (kind, time_ns)");
            s.execute("CREATE TABLE IF NOT EXISTS summary_minute ("
                    + " minute INTEGER NOT NULL, source TEXT NOT NULL, destination TEXT NOT NULL,"
                    + " decision TEXT NOT NULL, n INTEGER NOT NULL,"
                    + " PRIMARY KEY (minute, source, destination, decision)) WITHOUT ROWID");
            s.execute("CREATE TABLE IF NOT EXISTS conflicts ("
                    + " sidecar TEXT NOT NULL, seq INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
                    + " sender TEXT NOT NULL, entry BLOB NOT NULL)");
            s.execute("CREATE INDEX IF NOT EXISTS conflicts_chain ON conflicts (sidecar, seq)");
        }
        FlowMinutes.migrate(c);
    }

    /**
     * What one {@link #ingest} did.
     *
     * @param storedEntries the entries newly stored, in the order given
     * @param duplicates exact copies of stored entries, ignored
     * @param conflicts entries that differ from the stored entry of their {@code (sidecar, seq)}, kept apart
     */
    public record IngestResult(List<Entry> storedEntries, int duplicates, int conflicts) {
        public IngestResult {
            storedEntries = List.copyOf(storedEntries);
        }

        /** How many entries were newly stored. */
        public int stored() {
            return storedEntries.size();
        }
    }

    /**
     * A different entry that arrived for a stored {@code (sidecar, seq)}.
     *
     * @param entry the entry that arrived second
     */
    public record Conflict(String sidecar, long seq, String sender, Instant received, Entry entry) {}

    /**
     * Stores {@code entries} received from {@code sender} now, in one transaction. The caller (the collector) has
     * checked that each entry's {@code sidecar} is the sender.
     */
    public IngestResult ingest(List<Entry> entries, SpiffeId sender) {
        requireNonNull(entries, "entries");
        requireNonNull(sender, "sender");
        if (entries.isEmpty()) {
            return new IngestResult(List.of(), 0, 0);
        }
        long receivedMs = clock.millis();
        String senderText = sender.toString();
        List<byte[]> canonical = new ArrayList<>(entries.size());
        synchronized (writeLock) {
            try {
                writer.setAutoCommit(false);
                try {
                    int[] counts;
                    try (PreparedStatement insert = writer.prepareStatement(INSERT)) {
                        for (Entry e : entries) {
                            byte[] bytes = FlowEntries.canonicalBytes(e);
                            canonical.add(bytes);
                            bind(insert, e, bytes, receivedMs, senderText);
                            insert.addBatch();
                        }
                        counts = insert.executeBatch();
                    }
                    List<Entry> stored = new ArrayList<>();
                    int duplicates = 0;
                    int conflicts = 0;
                    Map<RollupKey, Long> rollup = new HashMap<>();
                    Map<FlowMinutes.Key, Long> flowMinutes = new HashMap<>();
                    for (int i = 0; i < entries.size(); i++) {
                        Entry e = entries.get(i);
                        if (counts[i] > 0) {
                            stored.add(e);
                            if (e.hasRecord()) {
                                FlowRecord r = e.getRecord();
                                rollup.merge(
                                        new RollupKey(
                                                Math.floorDiv(r.getStartUnixNanos(), MINUTE_NANOS),
                                                r.getSourceId(),
                                                r.getDestinationId(),
                                                FlowRow.decisionOf(r)),
                                        1L,
                                        Long::sum);
                                flowMinutes.merge(FlowMinutes.key(r, MINUTE_NANOS), 1L, Long::sum);
                            }
                        } else if (isDuplicate(e, canonical.get(i))) {
                            duplicates++;
                        } else {
                            conflicts++;
                            storeConflict(e, canonical.get(i), receivedMs, senderText);
                        }
                    }
                    if (!rollup.isEmpty()) {
                        try (PreparedStatement up = writer.prepareStatement(
                                "INSERT INTO summary_minute (minute, source, destination, decision, n)"
                                        + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (minute, source, destination, decision)"
                                        + " DO UPDATE SET n = n + excluded.n")) {
                            for (Map.Entry<RollupKey, Long> r : rollup.entrySet()) {
                                up.setLong(1, r.getKey().minute());
                                up.setString(2, r.getKey().source());
                                up.setString(3, r.getKey().destination());
                                up.setString(4, r.getKey().decision());
                                up.setLong(5, r.getValue());
                                up.addBatch();
                            }
                            up.executeBatch();
                        }
                        FlowMinutes.add(writer, flowMinutes);
                    }
                    writer.commit();
                    // After the commit: an hour read before it and cached is stale from here on.
                    hours.written(flowMinutes.keySet());
                    return new IngestResult(stored, duplicates, conflicts);
                } catch (SQLException | RuntimeException e) {
                    writer.rollback();
                    throw e;
                } finally {
                    writer.setAutoCommit(true);
                }
            } catch (SQLException e) {
                throw new FlowStoreException("cannot store flow entries in " + description + ": " + e.getMessage(), e);
            }
        }
    }

    private record RollupKey(long minute, String source, String destination, String decision) {}

    private static void bind(PreparedStatement s, Entry e, byte[] bytes, long receivedMs, String sender)
            throws SQLException {
        s.setString(1, e.getSidecar());
        s.setLong(2, e.getSeq());
        long timeNs = receivedMs * 1_000_000L;
        if (e.hasRecord()) {
            FlowRecord r = e.getRecord();
            s.setInt(3, KIND_RECORD);
            timeNs = r.getStartUnixNanos();
            s.setString(7, r.getSourceId());
            s.setString(8, r.getDestinationId());
            s.setString(9, FlowRow.decisionOf(r));
            s.setInt(10, r.getAuditPoliciesCount() > 0 ? 1 : 0);
            s.setInt(11, r.getDryRun() == DryRunVerdict.DRY_RUN_WOULD_DENY ? 1 : 0);
            s.setString(12, r.getPolicy());
            s.setInt(13, r.getStatus());
            s.setString(14, r.getMethod());
            s.setString(15, r.getPath());
            s.setInt(17, r.getRule());
        } else {
            s.setInt(3, e.hasCheckpoint() ? KIND_CHECKPOINT : KIND_GAP);
            if (e.hasCheckpoint() && e.getCheckpoint().getTimeUnixNanos() != 0) {
                timeNs = e.getCheckpoint().getTimeUnixNanos();
            } else if (e.hasGap() && e.getGap().getFirstLostUnixNanos() != 0) {
                timeNs = e.getGap().getFirstLostUnixNanos();
            }
            for (int i = 7; i <= 15; i++) {
                s.setNull(i, i == 10 || i == 11 || i == 13 ? java.sql.Types.INTEGER : java.sql.Types.VARCHAR);
            }
            s.setNull(17, java.sql.Types.INTEGER);
        }
        s.setLong(4, timeNs);
        s.setLong(5, receivedMs);
        s.setString(6, sender);
        s.setBytes(16, bytes);
    }

    private boolean isDuplicate(Entry e, byte[] bytes) throws SQLException {
        try (PreparedStatement s = writer.prepareStatement("SELECT entry FROM entries WHERE sidecar = ? AND seq = ?")) {
            s.setString(1, e.getSidecar());
            s.setLong(2, e.getSeq());
            try (ResultSet rs = s.executeQuery()) {
                // Absent would mean the row vanished inside our own transaction: not a duplicate.
                return rs.next() && Arrays.equals(rs.getBytes(1), bytes);
            }
        }
    }

    private void storeConflict(Entry e, byte[] bytes, long receivedMs, String sender) throws SQLException {
        try (PreparedStatement known =
                writer.prepareStatement("SELECT entry FROM conflicts WHERE sidecar = ? AND seq = ?")) {
            known.setString(1, e.getSidecar());
            known.setLong(2, e.getSeq());
            try (ResultSet rs = known.executeQuery()) {
                while (rs.next()) {
                    if (Arrays.equals(rs.getBytes(1), bytes)) {
                        return; // the same conflicting entry re-sent: recorded once
                    }
                }
            }
        }
        try (PreparedStatement s = writer.prepareStatement(
                "INSERT INTO conflicts (sidecar, seq, received_ms, sender, entry) VALUES (?, ?, ?, ?, ?)")) {
            s.setString(1, e.getSidecar());
            s.setLong(2, e.getSeq());
            s.setLong(3, receivedMs);
            s.setString(4, sender);
            s.setBytes(5, bytes);
            s.executeUpdate();
        }
    }

    /** Flow records matching {@code query}, oldest first, one page. */
    public FlowPage query(FlowQuery query) {
        requireNonNull(query, "query");
        StringBuilder sql = new StringBuilder(
                "SELECT id, sidecar, seq, sender, received_ms, time_ns, entry FROM entries WHERE kind = 0");
        List<Object> args = new ArrayList<>();
        timeRange(
                sql,
                args,
                query.since() == null ? null : nanos(query.since()),
                query.until() == null ? null : nanos(query.until()));
        filters(sql, args, query);
        if (query.cursor() != null) {
            long[] c = parseCursor(query.cursor());
            sql.append(" AND (time_ns > ? OR (time_ns = ? AND id > ?))");
            args.add(c[0]);
            args.add(c[0]);
            args.add(c[1]);
        }
        sql.append(" ORDER BY time_ns, id LIMIT ?");
        args.add(query.limit() + 1);
        synchronized (readLock) {
            try (PreparedStatement s = reader.prepareStatement(sql.toString())) {
                bindAll(s, args);
                List<FlowRow> rows = new ArrayList<>();
                long lastTime = 0;
                long lastId = 0;
                boolean more = false;
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        if (rows.size() == query.limit()) {
                            more = true;
                            break;
                        }
                        lastId = rs.getLong(1);
                        lastTime = rs.getLong(6);
                        Entry e = Entry.parseFrom(rs.getBytes(7));
                        rows.add(new FlowRow(
                                rs.getString(2),
                                rs.getLong(3),
                                rs.getString(4),
                                Instant.ofEpochMilli(rs.getLong(5)),
                                e.getRecord()));
                    }
                }
                return new FlowPage(rows, more ? lastTime + "." + lastId : null);
            } catch (SQLException | InvalidProtocolBufferException e) {
                throw new FlowStoreException("cannot query " + description + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Records in arrival order (the store's row id): with {@code after}, those stored after that token, oldest
     * first, at most {@code limit}; without it, the newest {@code limit}. The time, cursor and page fields of
     * {@code query} are ignored except {@code since}/{@code until}, which filter like the other filters.
     *
     * @param after a {@link Tail#next()} of an earlier call, or null
     */
    public Tail tail(FlowQuery query, @Nullable Long after, int limit) {
        requireNonNull(query, "query");
        if (limit < 1) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: at least 1)");
        }
        synchronized (readLock) {
            try {
                long newest;
                try (Statement s = reader.createStatement();
                        ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(id), 0) FROM entries")) {
                    rs.next();
                    newest = rs.getLong(1);
                }
                StringBuilder sql = new StringBuilder(
                        "SELECT id, sidecar, seq, sender, received_ms, entry FROM entries WHERE kind = 0 AND id <= ?");
                List<Object> args = new ArrayList<>(List.of(newest));
                if (after != null) {
                    sql.append(" AND id > ?");
                    args.add(after);
                }
                timeRange(
                        sql,
                        args,
                        query.since() == null ? null : nanos(query.since()),
                        query.until() == null ? null : nanos(query.until()));
                filters(sql, args, query);
                sql.append(after == null ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?");
                args.add(limit);
                List<FlowRow> rows = new ArrayList<>();
                long lastId = after == null ? newest : after;
                try (PreparedStatement s = reader.prepareStatement(sql.toString())) {
                    bindAll(s, args);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            lastId = rs.getLong(1);
                            rows.add(new FlowRow(
                                    rs.getString(2),
                                    rs.getLong(3),
                                    rs.getString(4),
                                    Instant.ofEpochMilli(rs.getLong(5)),
                                    Entry.parseFrom(rs.getBytes(6)).getRecord()));
                        }
                    }
                }
                if (after == null) {
                    java.util.Collections.reverse(rows);
                    return new Tail(rows, newest);
                }
                // A full page: go on from its last row; else everything up to newest was seen.
                return new Tail(rows, rows.size() == limit ? lastId : Math.max(newest, after));
            } catch (SQLException | InvalidProtocolBufferException e) {
                throw new FlowStoreException("cannot read the tail of " + description + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * A page of {@link #tail}.
     *
     * @param flows oldest first
     * @param next the token to ask with next time
     */
    public record Tail(List<FlowRow> flows, long next) {
        public Tail {
            flows = List.copyOf(flows);
        }
    }

    /**
     * Records matching {@code query} grouped by source, destination and decision, largest groups first (the page
     * fields of the query are ignored).
     */
    public List<SummaryGroup> summary(FlowQuery query) {
        requireNonNull(query, "query");
        Map<List<String>, Long> counts = new HashMap<>();
        Long since = query.since() == null ? null : nanos(query.since());
        Long until = query.until() == null ? null : nanos(query.until());
        synchronized (readLock) {
            try {
                if (query.rollupAnswers()) {
                    // Whole minutes from the rollup; the partial minutes at either end from the raw rows.
                    long firstWhole =
                            since == null ? Long.MIN_VALUE : Math.floorDiv(since + MINUTE_NANOS - 1, MINUTE_NANOS);
                    long endWhole = until == null ? Long.MAX_VALUE : Math.floorDiv(until, MINUTE_NANOS);
                    if (firstWhole < endWhole) {
                        rollupSummary(query, firstWhole, endWhole, counts);
                        if (since != null && since < firstWhole * MINUTE_NANOS) {
                            rawSummary(query, since, firstWhole * MINUTE_NANOS, counts);
                        }
                        if (until != null && endWhole * MINUTE_NANOS < until) {
                            rawSummary(query, endWhole * MINUTE_NANOS, until, counts);
                        }
                    } else {
                        rawSummary(query, since, until, counts);
                    }
                } else {
                    rawSummary(query, since, until, counts);
                }
            } catch (SQLException e) {
                throw new FlowStoreException("cannot summarise " + description + ": " + e.getMessage(), e);
            }
        }
        List<SummaryGroup> groups = new ArrayList<>();
        counts.forEach((k, n) -> groups.add(new SummaryGroup(k.get(0), k.get(1), k.get(2), n)));
        groups.sort(Comparator.comparingLong(SummaryGroup::count)
                .reversed()
                .thenComparing(SummaryGroup::source)
                .thenComparing(SummaryGroup::destination)
                .thenComparing(SummaryGroup::decision));
        return groups;
    }

    /**
     * Record counts in {@code [since, until)} grouped by {@code grouping}, optionally of one source and destination
     * (stored form: {@code ""} for an unauthenticated caller): whole minutes from {@code flow_minute}, the partial
     * minutes at either end from the raw rows, so the counts are exact.
     */
    public List<FlowMinutes.Count> flowCounts(
            Instant since,
            Instant until,
            FlowMinutes.Grouping grouping,
            @Nullable String source,
            @Nullable String destination) {
        requireNonNull(since, "since");
        requireNonNull(until, "until");
        requireNonNull(grouping, "grouping");
        long from = nanos(since);
        long to = nanos(until);
        Map<FlowMinutes.Count, Long> counts = new HashMap<>();
        synchronized (readLock) {
            try {
                long firstWhole = Math.floorDiv(from + MINUTE_NANOS - 1, MINUTE_NANOS);
                long endWhole = Math.floorDiv(to, MINUTE_NANOS);
                if (firstWhole < endWhole) {
                    wholeMinutes(grouping, firstWhole, endWhole, source, destination, counts);
                    if (from < firstWhole * MINUTE_NANOS) {
                        FlowMinutes.fromRaw(
                                reader, grouping, from, firstWhole * MINUTE_NANOS, source, destination, counts);
                    }
                    if (endWhole * MINUTE_NANOS < to) {
                        FlowMinutes.fromRaw(reader, grouping, endWhole * MINUTE_NANOS, to, source, destination, counts);
                    }
                } else if (from < to) {
                    FlowMinutes.fromRaw(reader, grouping, from, to, source, destination, counts);
                }
            } catch (SQLException e) {
                throw new FlowStoreException("cannot count flows in " + description + ": " + e.getMessage(), e);
            }
        }
        List<FlowMinutes.Count> out = new ArrayList<>(counts.size());
        counts.forEach((k, n) -> out.add(k.withCount(n)));
        out.sort(FlowMinutes.LARGEST_FIRST);
        return out;
    }

    /**
     * Counts of the whole minutes {@code [firstMinute, endMinute)} from {@code flow_minute}. Unfiltered, the whole hours
     * among them come from {@link #hours}: a day's graph groups 1,440 minutes × every (source, destination, class,
     * policy, rule) — ~1.8 M rollup rows for 100 workloads, seconds of SQLite — and a past hour rarely changes.
     */
    private void wholeMinutes(
            FlowMinutes.Grouping grouping,
            long firstMinute,
            long endMinute,
            @Nullable String source,
            @Nullable String destination,
            Map<FlowMinutes.Count, Long> counts)
            throws SQLException {
        long firstHour = Math.floorDiv(firstMinute + 59, 60);
        long endHour = Math.floorDiv(endMinute, 60);
        if (source != null || destination != null || firstHour >= endHour) {
            FlowMinutes.fromRollup(reader, grouping, firstMinute, endMinute, source, destination, counts);
            return;
        }
        if (firstMinute < firstHour * 60) {
            FlowMinutes.fromRollup(reader, grouping, firstMinute, firstHour * 60, null, null, counts);
        }
        for (long hour = firstHour; hour < endHour; hour++) {
            hours.counts(grouping, hour).forEach((k, n) -> counts.merge(k, n, Long::sum));
        }
        if (endHour * 60 < endMinute) {
            FlowMinutes.fromRollup(reader, grouping, endHour * 60, endMinute, null, null, counts);
        }
    }

    private void rollupSummary(FlowQuery query, long firstMinute, long endMinute, Map<List<String>, Long> counts)
            throws SQLException {
        StringBuilder sql = new StringBuilder(
                "SELECT source, destination, decision, SUM(n) FROM summary_minute WHERE minute >= ? AND minute < ?");
        List<Object> args = new ArrayList<>(List.of(firstMinute, endMinute));
        filters(sql, args, query);
        sql.append(" GROUP BY source, destination, decision");
        collect(sql.toString(), args, counts);
    }

    private void rawSummary(FlowQuery query, @Nullable Long since, @Nullable Long until, Map<List<String>, Long> counts)
            throws SQLException {
        StringBuilder sql =
                new StringBuilder("SELECT source, destination, decision, COUNT(*) FROM entries WHERE kind = 0");
        List<Object> args = new ArrayList<>();
        timeRange(sql, args, since, until);
        filters(sql, args, query);
        sql.append(" GROUP BY source, destination, decision");
        collect(sql.toString(), args, counts);
    }

    private void collect(String sql, List<Object> args, Map<List<String>, Long> counts) throws SQLException {
        try (PreparedStatement s = reader.prepareStatement(sql)) {
            bindAll(s, args);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    counts.merge(List.of(rs.getString(1), rs.getString(2), rs.getString(3)), rs.getLong(4), Long::sum);
                }
            }
        }
    }

    private static void timeRange(StringBuilder sql, List<Object> args, @Nullable Long since, @Nullable Long until) {
        if (since != null) {
            sql.append(" AND time_ns >= ?");
            args.add(since);
        }
        if (until != null) {
            sql.append(" AND time_ns < ?");
            args.add(until);
        }
    }

    /** Filters other than time; column names are shared by {@code entries} and {@code summary_minute}. */
    private static void filters(StringBuilder sql, List<Object> args, FlowQuery q) {
        peer(sql, args, "source", q.from());
        peer(sql, args, "destination", q.to());
        String decision = q.decision();
        if (decision != null) {
            switch (decision) {
                case "audit" -> sql.append(" AND audit = 1");
                case "dry-run-deny" -> sql.append(" AND dry_run_deny = 1");
                default -> {
                    sql.append(" AND decision = ?");
                    args.add(decision);
                }
            }
        }
        if (q.policy() != null) {
            sql.append(" AND policy = ?");
            args.add(q.policy());
        }
        if (q.status() != null) {
            sql.append(" AND status = ?");
            args.add(q.status());
        }
        if (q.pathPrefix() != null) {
            sql.append(" AND substr(path, 1, length(?)) = ?");
            args.add(q.pathPrefix());
            args.add(q.pathPrefix());
        }
    }

    private static void peer(StringBuilder sql, List<Object> args, String column, @Nullable String pattern) {
        if (pattern == null) {
            return;
        }
        if (pattern.equals(FlowQuery.UNAUTHENTICATED)) {
            sql.append(" AND ").append(column).append(" = ''");
            return;
        }
        String prefix = FlowQuery.prefixOf(pattern);
        if (prefix == null) {
            sql.append(" AND ").append(column).append(" = ?");
            args.add(pattern);
        } else {
            // substr, not LIKE: LIKE is case-insensitive and treats % and _ as wildcards.
            sql.append(" AND substr(").append(column).append(", 1, length(?)) = ?");
            args.add(prefix);
            args.add(prefix);
        }
    }

    private static void bindAll(PreparedStatement s, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            s.setObject(i + 1, args.get(i));
        }
    }

    private static long[] parseCursor(String cursor) {
        int dot = cursor.indexOf('.');
        try {
            if (dot > 0) {
                return new long[] {Long.parseLong(cursor.substring(0, dot)), Long.parseLong(cursor.substring(dot + 1))};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("cursor: '" + cursor + "' (expected the nextCursor of a previous page)");
    }

    static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    /**
     * What changes when a chain grows or is tampered with, read cheaply (index lookups, no scan of the chain).
     *
     * @param lastSeq the highest stored seq, -1 when none
     * @param conflicts conflicting entries stored for the chain
     * @param lastEntry the time of the entry with the highest seq, or null
     * @param lastCheckpoint the signing time of the newest checkpoint, or null
     */
    public record ChainHead(
            long lastSeq, long conflicts, @Nullable Instant lastEntry, @Nullable Instant lastCheckpoint) {}

    /** The {@link ChainHead} of {@code sidecar}. */
    public ChainHead head(String sidecar) {
        requireNonNull(sidecar, "sidecar");
        synchronized (readLock) {
            try {
                long lastSeq = -1;
                Instant lastEntry = null;
                Instant lastCheckpoint = null;
                long conflicts;
                try (PreparedStatement s = reader.prepareStatement(
                        "SELECT seq, time_ns FROM entries WHERE sidecar = ? ORDER BY seq DESC LIMIT 1")) {
                    s.setString(1, sidecar);
                    try (ResultSet rs = s.executeQuery()) {
                        if (rs.next()) {
                            lastSeq = rs.getLong(1);
                            lastEntry = FlowRow.instantOfNanos(rs.getLong(2));
                        }
                    }
                }
                // Backwards along (sidecar, seq): stops at the newest checkpoint, a few entries back.
                try (PreparedStatement s = reader.prepareStatement("SELECT time_ns FROM entries WHERE sidecar = ?"
                        + " AND kind = " + KIND_CHECKPOINT + " ORDER BY seq DESC LIMIT 1")) {
                    s.setString(1, sidecar);
                    try (ResultSet rs = s.executeQuery()) {
                        if (rs.next()) {
                            lastCheckpoint = FlowRow.instantOfNanos(rs.getLong(1));
                        }
                    }
                }
                try (PreparedStatement s =
                        reader.prepareStatement("SELECT COUNT(*) FROM conflicts WHERE sidecar = ?")) {
                    s.setString(1, sidecar);
                    try (ResultSet rs = s.executeQuery()) {
                        rs.next();
                        conflicts = rs.getLong(1);
                    }
                }
                return new ChainHead(lastSeq, conflicts, lastEntry, lastCheckpoint);
            } catch (SQLException e) {
                throw new FlowStoreException("cannot read the head of " + sidecar + ": " + e.getMessage(), e);
            }
        }
    }

    /** The sidecars that have entries in the store, sorted. */
    public List<String> sidecars() {
        synchronized (readLock) {
            try (Statement s = reader.createStatement();
                    ResultSet rs = s.executeQuery(
                            // One seek of the (sidecar, seq) index per sidecar instead of a DISTINCT over every
                            // entry: a day for 100 sidecars is millions of index entries, and 100 seeks.
                            "WITH RECURSIVE chains(sidecar) AS (SELECT MIN(sidecar) FROM entries UNION ALL"
                                    + " SELECT (SELECT MIN(sidecar) FROM entries WHERE sidecar > chains.sidecar)"
                                    + " FROM chains WHERE chains.sidecar IS NOT NULL)"
                                    + " SELECT sidecar FROM chains WHERE sidecar IS NOT NULL"
                                    + " UNION SELECT DISTINCT sidecar FROM conflicts ORDER BY 1")) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            } catch (SQLException e) {
                throw new FlowStoreException("cannot list sidecars in " + description + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * The stored chain of {@code sidecar} in seq order, read lazily a page at a time (a chain of millions of entries
     * is never held in memory). Conflicts are not included ({@link #conflicts}).
     */
    public Iterator<Entry> entries(String sidecar) {
        requireNonNull(sidecar, "sidecar");
        return new ChainIterator(sidecar);
    }

    /** Entries that arrived for a stored {@code (sidecar, seq)} but differ from it, in seq order. */
    public List<Conflict> conflicts(String sidecar) {
        requireNonNull(sidecar, "sidecar");
        synchronized (readLock) {
            try (PreparedStatement s = reader.prepareStatement(
                    "SELECT seq, sender, received_ms, entry FROM conflicts WHERE sidecar = ? ORDER BY seq, rowid")) {
                s.setString(1, sidecar);
                List<Conflict> out = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Conflict(
                                sidecar,
                                rs.getLong(1),
                                rs.getString(2),
                                Instant.ofEpochMilli(rs.getLong(3)),
                                Entry.parseFrom(rs.getBytes(4))));
                    }
                }
                return out;
            } catch (SQLException | InvalidProtocolBufferException e) {
                throw new FlowStoreException("cannot read conflicts in " + description + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Verifies the stored chain of {@code sidecar} against {@code bundles} with {@link FlowVerifier}. The chain may
     * start past seq 0 (retention removed its beginning: a warning, not a break). A conflict is fed to the verifier
     * right after the stored entry of its seq, so it is reported as a break there (an entry seen twice).
     */
    public VerifyResult verify(String sidecar, TrustBundleSet bundles) {
        requireNonNull(bundles, "bundles");
        Map<Long, List<Entry>> bySeq = new HashMap<>();
        for (Conflict c : conflicts(sidecar)) {
            bySeq.computeIfAbsent(c.seq(), k -> new ArrayList<>()).add(c.entry());
        }
        Iterator<Entry> chain = entries(sidecar);
        Iterator<Entry> withConflicts = bySeq.isEmpty()
                ? chain
                : new Iterator<>() {
                    private final ArrayDeque<Entry> pending = new ArrayDeque<>();

                    @Override
                    public boolean hasNext() {
                        return !pending.isEmpty() || chain.hasNext();
                    }

                    @Override
                    public Entry next() {
                        if (!pending.isEmpty()) {
                            return pending.removeFirst();
                        }
                        Entry e = chain.next();
                        List<Entry> extra = bySeq.get(e.getSeq());
                        if (extra != null) {
                            pending.addAll(extra);
                        }
                        return e;
                    }
                };
        return FlowVerifier.builder(bundles).allowPartialStart(true).build().verify(withConflicts);
    }

    /**
     * Deletes entries older than {@code cutoff} rounded down to the minute (by their own time: a record's start, a
     * checkpoint's signing time) with everything before them in their chain, their rollup minutes (so summaries and queries keep agreeing) and conflicts
     * received before it, in chunks so that ingest is never held up for long.
     *
     * @return entries deleted
     */
    public long deleteOlderThan(Instant cutoff) {
        long cut = Math.floorDiv(nanos(cutoff), MINUTE_NANOS) * MINUTE_NANOS;
        long deleted = 0;
        try {
            while (true) {
                int n;
                synchronized (writeLock) {
                    // A prefix of each chain: up to its last entry older than the cutoff, so that what stays is
                    // one unbroken piece (checkpoints in between go too) and verifies with a partial-start warning.
                    try (PreparedStatement s = writer.prepareStatement("DELETE FROM entries WHERE id IN"
                            + " (SELECT e.id FROM entries e JOIN (SELECT sidecar, MAX(seq) AS last FROM entries"
                            + " WHERE time_ns < ? GROUP BY sidecar) old ON e.sidecar = old.sidecar AND e.seq <= old.last"
                            + " LIMIT " + DELETE_CHUNK + ")")) {
                        s.setLong(1, cut);
                        n = s.executeUpdate();
                    }
                }
                deleted += n;
                if (n < DELETE_CHUNK) {
                    break;
                }
            }
            synchronized (writeLock) {
                try (PreparedStatement s = writer.prepareStatement("DELETE FROM summary_minute WHERE minute < ?")) {
                    s.setLong(1, Math.floorDiv(cut, MINUTE_NANOS));
                    s.executeUpdate();
                }
                try (PreparedStatement s = writer.prepareStatement("DELETE FROM flow_minute WHERE minute < ?")) {
                    s.setLong(1, Math.floorDiv(cut, MINUTE_NANOS));
                    s.executeUpdate();
                }
                hours.clear();
                try (PreparedStatement s = writer.prepareStatement("DELETE FROM conflicts WHERE received_ms < ?")) {
                    s.setLong(1, cutoff.toEpochMilli());
                    s.executeUpdate();
                }
            }
            return deleted;
        } catch (SQLException e) {
            throw new FlowStoreException("cannot apply retention to " + description + ": " + e.getMessage(), e);
        }
    }

    /** Entries stored (records, checkpoints and gaps), conflicts not counted. */
    public long size() {
        synchronized (readLock) {
            try (Statement s = reader.createStatement();
                    ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM entries")) {
                rs.next();
                return rs.getLong(1);
            } catch (SQLException e) {
                throw new FlowStoreException("cannot count " + description + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "FlowStore[" + description + "]";
    }

    @Override
    public void close() {
        synchronized (writeLock) {
            try {
                if (reader != writer) {
                    reader.close();
                }
                writer.close();
            } catch (SQLException e) {
                throw new FlowStoreException("cannot close " + description + ": " + e.getMessage(), e);
            }
        }
    }

    /** Keyset pages of one chain, by seq. */
    private final class ChainIterator implements Iterator<Entry> {
        private final String sidecar;
        private final ArrayDeque<Entry> page = new ArrayDeque<>();
        private long after = -1;
        private boolean exhausted;

        ChainIterator(String sidecar) {
            this.sidecar = sidecar;
        }

        @Override
        public boolean hasNext() {
            if (page.isEmpty() && !exhausted) {
                fill();
            }
            return !page.isEmpty();
        }

        @Override
        public Entry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return page.removeFirst();
        }

        private void fill() {
            synchronized (readLock) {
                try (PreparedStatement s = reader.prepareStatement(
                        "SELECT seq, entry FROM entries WHERE sidecar = ? AND seq > ? ORDER BY seq LIMIT ?")) {
                    s.setString(1, sidecar);
                    s.setLong(2, after);
                    s.setInt(3, VERIFY_PAGE);
                    int n = 0;
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            after = rs.getLong(1);
                            page.add(Entry.parseFrom(ByteString.copyFrom(rs.getBytes(2))));
                            n++;
                        }
                    }
                    exhausted = n < VERIFY_PAGE;
                } catch (SQLException | InvalidProtocolBufferException e) {
                    throw new FlowStoreException("cannot read the chain of " + sidecar + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * Whole hours of {@code flow_minute} grouped for the unfiltered graph and rule-hit queries, at most
     * {@value #MAX_HOURS} per grouping (the newest asked for stay). Each is tagged with how often ingest had written
     * into its hour, counted after each commit, and with the retention epoch: a tag that no longer matches is
     * recomputed, so an answer is never staler than the committed data it could have read.
     */
    private final class HourCache {
        static final int MAX_HOURS = 48;

        private record Cached(long writes, long epoch, Map<FlowMinutes.Count, Long> counts) {}

        private final ConcurrentHashMap<Long, Long> writes = new ConcurrentHashMap<>();
        private final AtomicLong epoch = new AtomicLong();
        private final Map<FlowMinutes.Grouping, TreeMap<Long, Cached>> byGrouping =
                new EnumMap<>(FlowMinutes.Grouping.class);

        /** Called by the writer after a commit that added to these minutes. */
        void written(Set<FlowMinutes.Key> keys) {
            Set<Long> touched = new HashSet<>();
            for (FlowMinutes.Key key : keys) {
                touched.add(Math.floorDiv(key.minute(), 60));
            }
            for (Long hour : touched) {
                writes.merge(hour, 1L, Long::sum);
            }
        }

        void clear() {
            epoch.incrementAndGet();
        }

        /** The hour's counts; the caller holds the read lock. */
        Map<FlowMinutes.Count, Long> counts(FlowMinutes.Grouping grouping, long hour) throws SQLException {
            long w = writes.getOrDefault(hour, 0L);
            long e = epoch.get();
            TreeMap<Long, Cached> cached = byGrouping.computeIfAbsent(grouping, g -> new TreeMap<>());
            Cached c = cached.get(hour);
            if (c != null && c.writes() == w && c.epoch() == e) {
                return c.counts();
            }
            Map<FlowMinutes.Count, Long> counts = new HashMap<>();
            FlowMinutes.fromRollup(reader, grouping, hour * 60, hour * 60 + 60, null, null, counts);
            cached.put(hour, new Cached(w, e, counts));
            while (cached.size() > MAX_HOURS) {
                cached.pollFirstEntry();
            }
            return counts;
        }
    }
}
