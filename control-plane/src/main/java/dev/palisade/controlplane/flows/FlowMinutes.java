package dev.palisade.controlplane.flows;

import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code flow_minute} rollup: record counts per (minute, source, destination, decision class, policy, rule),
 * kept by {@link FlowStore#ingest} in the same transaction as the entries and trimmed by retention with them. It
 * answers the graph, the edge's rules and the policies' hit counts for whole minutes (control-plane/README.md
 * "Store").
 */
public final class FlowMinutes {
    private static final int BACKFILL_PAGE = 5_000;

    private FlowMinutes() {}

    /** What the counts are grouped by; the fields not grouped by are {@code ""} (rule: -1) in a {@link Count}. */
    public enum Grouping {
        /** source, destination, decision class: the graph's edges */
        EDGES("source, destination, class, '', -1"),
        /** decision class, policy, rule: what decided one edge's flows */
        RULES("'', '', class, policy, rule"),
        /** destination, policy, rule: a rule's hits at each workload */
        HITS("'', destination, '', policy, rule");

        private final String columns;

        Grouping(String columns) {
            this.columns = columns;
        }

        private String rawColumns() {
            return columns.replace("class", FlowStore.CLASS_SQL)
                    .replace("policy", "COALESCE(policy, '')")
                    .replace("rule", "COALESCE(rule, -1)");
        }
    }

    /**
     * One group's count.
     *
     * @param source the caller's SPIFFE ID as stored ({@code ""}: without mTLS)
     * @param destination the server's SPIFFE ID
     * @param decisionClass {@code allow}, {@code deny}, {@code audit}, {@code dry-run-deny} or {@code none}
     * @param policy the record's {@code policy} ({@code namespace/name} or a sentinel such as {@code mesh-default})
     * @param rule the record's {@code rule} (-1: none)
     */
    public record Count(String source, String destination, String decisionClass, String policy, int rule, long count) {
        Count withCount(long n) {
            return new Count(source, destination, decisionClass, policy, rule, n);
        }
    }

    static final Comparator<Count> LARGEST_FIRST = Comparator.comparingLong(Count::count)
            .reversed()
            .thenComparing(Count::source)
            .thenComparing(Count::destination)
            .thenComparing(Count::decisionClass)
            .thenComparing(Count::policy)
            .thenComparingInt(Count::rule);

    /** The rollup key of one record. */
    record Key(long minute, String source, String destination, String decisionClass, String policy, int rule) {}

    static Key key(FlowRecord r, long minuteNanos) {
        return new Key(
                Math.floorDiv(r.getStartUnixNanos(), minuteNanos),
                r.getSourceId(),
                r.getDestinationId(),
                FlowRow.decisionClass(r),
                r.getPolicy(),
                r.getRule());
    }

    /** Adds one batch's counts (inside the ingest transaction). */
    static void add(Connection writer, Map<Key, Long> counts) throws SQLException {
        if (counts.isEmpty()) {
            return;
        }
        try (PreparedStatement up =
                writer.prepareStatement("INSERT INTO flow_minute (minute, source, destination, class, policy, rule, n)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (minute, source, destination, class, policy, rule)"
                        + " DO UPDATE SET n = n + excluded.n")) {
            for (Map.Entry<Key, Long> e : counts.entrySet()) {
                Key k = e.getKey();
                up.setLong(1, k.minute());
                up.setString(2, k.source());
                up.setString(3, k.destination());
                up.setString(4, k.decisionClass());
                up.setString(5, k.policy());
                up.setInt(6, k.rule());
                up.setLong(7, e.getValue());
                up.addBatch();
            }
            up.executeBatch();
        }
    }

    /**
     * Brings a store made by an older version up to date, once, in one transaction: adds the {@code rule} column to
     * {@code entries} (filled from each record's stored bytes) and creates {@code flow_minute} from the stored
     * records. A store that has both is left alone; a new store gets them empty.
     */
    static void migrate(Connection c) throws SQLException {
        boolean hasRule = false;
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("PRAGMA table_info(entries)")) {
            while (rs.next()) {
                hasRule |= "rule".equals(rs.getString("name"));
            }
        }
        boolean hasTable;
        try (Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flow_minute'")) {
            hasTable = rs.next();
        }
        if (hasRule && hasTable) {
            return;
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                if (!hasRule) {
                    s.execute("ALTER TABLE entries ADD COLUMN rule INTEGER");
                }
                s.execute("CREATE TABLE IF NOT EXISTS flow_minute ("
                        + " minute INTEGER NOT NULL, source TEXT NOT NULL, destination TEXT NOT NULL,"
                        + " class TEXT NOT NULL, policy TEXT NOT NULL, rule INTEGER NOT NULL, n INTEGER NOT NULL,"
                        + " PRIMARY KEY (minute, source, destination, class, policy, rule)) WITHOUT ROWID");
            }
            fillRules(c);
            if (!hasTable) {
                try (Statement s = c.createStatement()) {
                    s.execute("DELETE FROM flow_minute");
                    s.execute("INSERT INTO flow_minute (minute, source, destination, class, policy, rule, n)"
                            + " SELECT (time_ns - ((time_ns % 60000000000) + 60000000000) % 60000000000) / 60000000000,"
                            + " COALESCE(source, ''), COALESCE(destination, ''), " + FlowStore.CLASS_SQL + ","
                            + " COALESCE(policy, ''), COALESCE(rule, -1), COUNT(*)"
                            + " FROM entries WHERE kind = 0 GROUP BY 1, 2, 3, 4, 5, 6");
                }
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** Sets {@code rule} of records stored before the column existed, from their stored bytes, a page at a time. */
    private static void fillRules(Connection c) throws SQLException {
        long after = Long.MIN_VALUE;
        while (true) {
            List<long[]> page = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT id, entry FROM entries"
                    + " WHERE kind = 0 AND rule IS NULL AND id > ? ORDER BY id LIMIT " + BACKFILL_PAGE)) {
                s.setLong(1, after);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        long id = rs.getLong(1);
                        int rule;
                        try {
                            rule = Entry.parseFrom(rs.getBytes(2)).getRecord().getRule();
                        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                            rule = -1;
                        }
                        page.add(new long[] {id, rule});
                        after = id;
                    }
                }
            }
            if (page.isEmpty()) {
                return;
            }
            try (PreparedStatement u = c.prepareStatement("UPDATE entries SET rule = ? WHERE id = ?")) {
                for (long[] row : page) {
                    u.setLong(1, row[1]);
                    u.setLong(2, row[0]);
                    u.addBatch();
                }
                u.executeBatch();
            }
            if (page.size() < BACKFILL_PAGE) {
                return;
            }
        }
    }

    static void fromRollup(
            Connection reader,
            Grouping grouping,
            long firstMinute,
            long endMinute,
            @Nullable String source,
            @Nullable String destination,
            Map<Count, Long> counts)
            throws SQLException {
        String sql = "SELECT " + grouping.columns + ", SUM(n) FROM flow_minute WHERE minute >= ? AND minute < ?"
                + peers(source, destination) + " GROUP BY 1, 2, 3, 4, 5";
        collect(reader, sql, firstMinute, endMinute, source, destination, counts);
    }

    static void fromRaw(
            Connection reader,
            Grouping grouping,
            long since,
            long until,
            @Nullable String source,
            @Nullable String destination,
            Map<Count, Long> counts)
            throws SQLException {
        String sql = "SELECT " + grouping.rawColumns()
                + ", COUNT(*) FROM entries WHERE kind = 0 AND time_ns >= ? AND time_ns < ?"
                + peers(source, destination) + " GROUP BY 1, 2, 3, 4, 5";
        collect(reader, sql, since, until, source, destination, counts);
    }

    private static String peers(@Nullable String source, @Nullable String destination) {
        return (source == null ? "" : " AND source = ?") + (destination == null ? "" : " AND destination = ?");
    }

    private static void collect(
            Connection reader,
            String sql,
            long from,
            long to,
            @Nullable String source,
            @Nullable String destination,
            Map<Count, Long> counts)
            throws SQLException {
        try (PreparedStatement s = reader.prepareStatement(sql)) {
            int i = 1;
            s.setLong(i++, from);
            s.setLong(i++, to);
            if (source != null) {
                s.setString(i++, source);
            }
            if (destination != null) {
                s.setString(i, destination);
            }
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Count key = new Count(
                            nonNull(rs.getString(1)),
                            nonNull(rs.getString(2)),
                            nonNull(rs.getString(3)),
                            nonNull(rs.getString(4)),
                            rs.getInt(5),
                            0);
                    counts.merge(key, rs.getLong(6), Long::sum);
                }
            }
        }
    }

    private static String nonNull(@Nullable String s) {
        return s == null ? "" : s;
    }
}
