package dev.palisade.controlplane.flows;

import dev.palisade.certs.spiffe.SpiffeId;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Filters and paging of a flow query; every filter is optional and they are AND-ed. The HTTP API's query parameters
 * have the same names ({@link #fromParameters}, {@link #toParameters}).
 *
 * @param since records that started at or after this
 * @param until records that started before this
 * @param from the caller: a SPIFFE ID, or a prefix ending in {@code *} (removed) or {@code /} (kept), or
 *     {@value #UNAUTHENTICATED}: the callers that came without mTLS (the record's {@code source_id} is empty)
 * @param to the server, the same forms
 * @param decision {@code allow}, {@code deny}, {@code none}, {@code audit} (an AUDIT policy matched) or
 *     {@code dry-run-deny} (a dry-run policy would have denied)
 * @param policy the deciding policy, exactly ({@code namespace/name} or a sentinel such as {@code mesh-default})
 * @param status the HTTP status, exactly
 * @param pathPrefix the path starts with this (case-sensitive)
 * @param limit at most this many records per page, 1 to {@value #MAX_LIMIT}
 * @param cursor where the previous page ended ({@link FlowPage#nextCursor()})
 */
public record FlowQuery(
        @Nullable Instant since,
        @Nullable Instant until,
        @Nullable String from,
        @Nullable String to,
        @Nullable String decision,
        @Nullable String policy,
        @Nullable Integer status,
        @Nullable String pathPrefix,
        int limit,
        @Nullable String cursor) {

    public static final int DEFAULT_LIMIT = 100;
    /**
     * The {@code from} value (and graph node ID) that stands for every caller without mTLS: records whose
     * {@code source_id} is empty. A SPIFFE ID always starts with {@code spiffe://}, so it never clashes.
     */
    public static final String UNAUTHENTICATED = "unauthenticated";

    public static final int MAX_LIMIT = 10_000;
    public static final Set<String> DECISIONS = Set.of("allow", "deny", "none", "audit", "dry-run-deny");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
    private static final Set<String> PARAMETERS =
            Set.of("since", "until", "from", "to", "decision", "policy", "status", "pathPrefix", "limit", "cursor");

    public FlowQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: 1 to " + MAX_LIMIT + ")");
        }
        if (decision != null && !DECISIONS.contains(decision)) {
            throw new IllegalArgumentException(
                    "decision: '" + decision + "' (expected one of allow, deny, none, audit, dry-run-deny)");
        }
        if (!UNAUTHENTICATED.equals(from)) {
            checkIdPattern("from", from);
        }
        checkIdPattern("to", to);
        if (status != null && (status < 0 || status > 999)) {
            throw new IllegalArgumentException("status: " + status + " (expected: 0 to 999)");
        }
        if (since != null && until != null && !since.isBefore(until)) {
            throw new IllegalArgumentException("since: " + since + " (expected: before until " + until + ")");
        }
    }

    /** Every record, first page of {@value #DEFAULT_LIMIT}. */
    public static FlowQuery all() {
        return new FlowQuery(null, null, null, null, null, null, null, null, DEFAULT_LIMIT, null);
    }

    public FlowQuery withTime(@Nullable Instant since, @Nullable Instant until) {
        return new FlowQuery(since, until, from, to, decision, policy, status, pathPrefix, limit, cursor);
    }

    public FlowQuery withPeers(@Nullable String from, @Nullable String to) {
        return new FlowQuery(since, until, from, to, decision, policy, status, pathPrefix, limit, cursor);
    }

    public FlowQuery withDecision(@Nullable String decision) {
        return new FlowQuery(since, until, from, to, decision, policy, status, pathPrefix, limit, cursor);
    }

    public FlowQuery withPolicy(@Nullable String policy) {
        return new FlowQuery(since, until, from, to, decision, policy, status, pathPrefix, limit, cursor);
    }

    public FlowQuery withStatus(@Nullable Integer status) {
        return new FlowQuery(since, until, from, to, decision, policy, status, pathPrefix, limit, cursor);
    }

    public FlowQuery withPathPrefix(@Nullable String pathPrefix) {
        return new FlowQuery(since, until, from, to, decision, policy, status, pathPrefix, limit, cursor);
    }

    public FlowQuery withPage(int limit, @Nullable String cursor) {
        return new FlowQuery(since, until, from, to, decision, policy, status, pathPrefix, limit, cursor);
    }

    /** Whether a summary may be answered from the per-minute rollup (no filter the rollup does not keep). */
    boolean rollupAnswers() {
        return policy == null
                && status == null
                && pathPrefix == null
                && (decision == null || decision.equals("allow") || decision.equals("deny") || decision.equals("none"));
    }

    /**
     * Parses HTTP query parameters. {@code since}/{@code until}: RFC 3339 ({@code 2025-06-15T10:00:00Z}) or a
     * duration back from {@code now} ({@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}, {@code 1h30m}).
     *
     * @throws IllegalArgumentException naming the bad parameter and value
     */
    public static FlowQuery fromParameters(Map<String, List<String>> parameters, Instant now) {
        for (String name : parameters.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new IllegalArgumentException("unknown parameter '" + name + "' (known: " + PARAMETERS + ")");
            }
        }
        String limit = one(parameters, "limit");
        String status = one(parameters, "status");
        return new FlowQuery(
                time("since", one(parameters, "since"), now),
                time("until", one(parameters, "until"), now),
                one(parameters, "from"),
                one(parameters, "to"),
                one(parameters, "decision"),
                one(parameters, "policy"),
                status == null ? null : integer("status", status),
                one(parameters, "pathPrefix"),
                limit == null ? DEFAULT_LIMIT : integer("limit", limit),
                one(parameters, "cursor"));
    }

    /** The query as HTTP query parameters (times in RFC 3339); absent filters are left out. */
    public Map<String, String> toParameters() {
        Map<String, String> p = new LinkedHashMap<>();
        put(p, "since", since == null ? null : since.toString());
        put(p, "until", until == null ? null : until.toString());
        put(p, "from", from);
        put(p, "to", to);
        put(p, "decision", decision);
        put(p, "policy", policy);
        put(p, "status", status == null ? null : status.toString());
        put(p, "pathPrefix", pathPrefix);
        p.put("limit", Integer.toString(limit));
        put(p, "cursor", cursor);
        return p;
    }

    /**
     * A time as operators write it: RFC 3339, or a duration back from {@code now}.
     *
     * @throws IllegalArgumentException naming {@code what} and the value
     */
    public static Instant parseTime(String what, String value, Instant now) {
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            // not RFC 3339: a duration?
        }
        String text = value.trim().toLowerCase(Locale.ROOT);
        Matcher m = DURATION_PART.matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.lookingAt()) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(
                    switch (m.group(2)) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        default -> Duration.ofDays(n);
                    });
            end = m.end();
            m.region(end, text.length());
        }
        if (end == 0 || end != text.length()) {
            throw new IllegalArgumentException(what + ": '" + value
                    + "' (expected RFC 3339 such as 2025-06-15T10:00:00Z, or a duration back from now such as 1h)");
        }
        return now.minus(total);
    }

    private static @Nullable Instant time(String name, @Nullable String value, Instant now) {
        return value == null ? null : parseTime(name, value, now);
    }

    private static int integer(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + value + "' (expected an integer)", e);
        }
    }

    /** The one value of a query parameter, or null when absent; given twice is a 400 naming it. */
    public static @Nullable String one(Map<String, List<String>> parameters, String name) {
        List<String> values = parameters.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new IllegalArgumentException(name + ": given " + values.size() + " times (expected once)");
        }
        return values.get(0);
    }

    private static void put(Map<String, String> p, String name, @Nullable String value) {
        if (value != null) {
            p.put(name, value);
        }
    }

    private static void checkIdPattern(String name, @Nullable String pattern) {
        if (pattern == null) {
            return;
        }
        if (pattern.endsWith("*") || pattern.endsWith("/")) {
            if (!pattern.startsWith("spiffe://")
                    || pattern.indexOf('*') != pattern.length() - 1 && pattern.contains("*")) {
                throw new IllegalArgumentException(name + ": '" + pattern
                        + "' (expected a SPIFFE ID, or a prefix starting with spiffe:// and ending in * or /)");
            }
            return;
        }
        try {
            SpiffeId.parse(pattern);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + ": '" + pattern + "': " + e.getMessage(), e);
        }
    }

    /** The literal prefix of an ID pattern, or {@code null} for an exact ID. */
    static @Nullable String prefixOf(String pattern) {
        if (pattern.endsWith("*")) {
            return pattern.substring(0, pattern.length() - 1);
        }
        return pattern.endsWith("/") ? pattern : null;
    }
}
