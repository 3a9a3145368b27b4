package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The result of one matcher in explaining mode ({@link Matcher#trace}): whether it matched, how
 * many of its conditions were satisfied out of how many (to find the closest ALLOW policy), and
 * the first failure in words. Never made on the data path.
 *
 * @param matched the same answer as {@link Matcher#matches}
 * @param satisfied leaf conditions satisfied (for alternatives: those of the best one)
 * @param total leaf conditions counted
 * @param failure the first failed condition in words; empty when matched
 * @param subject for a failed leaf: what was tested, such as {@code url_path /v1/charge}, so that
 *     failed alternatives on the same subject can be merged into one sentence; else {@code null}
 * @param expected for a failed leaf: what it had to match, such as {@code prefix /v1/}; else {@code
 *     null}
 */
record Trace(
        boolean matched,
        int satisfied,
        int total,
        String failure,
        @Nullable String subject,
        @Nullable String expected) {

    Trace {
        requireNonNull(failure, "failure");
    }

    /** A leaf that compared {@code subject} with {@code expected}. */
    static Trace leaf(boolean matched, String subject, String expected) {
        return matched
                ? new Trace(true, 1, 1, "", null, null)
                : new Trace(false, 0, 1, subject + " did not match " + expected, subject, expected);
    }

    /** A leaf whose failure does not read as "subject did not match expected". */
    static Trace leaf(boolean matched, String failure) {
        return new Trace(matched, matched ? 1 : 0, 1, matched ? "" : failure, null, null);
    }

    /** The share of conditions satisfied, for ranking. */
    double score() {
        return total == 0 ? 1.0 : (double) satisfied / total;
    }
}
