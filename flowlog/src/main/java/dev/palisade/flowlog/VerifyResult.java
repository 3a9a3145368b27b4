package dev.palisade.flowlog;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What {@link FlowVerifier} found: the log is whole, or the first broken place; plus warnings that do not break it
 * (declared losses, entries after the last checkpoint that no signature covers yet, a chain that starts past seq 0).
 *
 * @param firstBreak the first broken place, or {@code null} when the log is whole
 * @param warnings what a reader should know about a whole log, in stream order
 * @param entries entries read
 * @param records flow records among them
 * @param checkpoints checkpoints verified
 * @param lostRecords records or entries the log itself declares lost (gaps)
 * @param unverifiedEntries entries after the last checkpoint of their chain: chained, but not yet signed
 */
public record VerifyResult(
        @Nullable Break firstBreak,
        List<Warning> warnings,
        long entries,
        long records,
        long checkpoints,
        long lostRecords,
        long unverifiedEntries) {

    /** Exit code of {@code palisade flows verify}: the log is whole. */
    public static final int EXIT_WHOLE = 0;
    /** Exit code: the result names a break. */
    public static final int EXIT_BROKEN = 1;
    /** Exit code: the input could not be read as a flow log. */
    public static final int EXIT_UNREADABLE = 2;

    /** The kinds of break, one per way to tamper with a log (flowlog/README.md "Verification"). */
    public enum Kind {
        /** A seq is missing and never comes later: entries were removed. */
        DELETED,
        /** An entry that is not part of the chain: a seq seen twice, or an entry the next one chains past. */
        INSERTED,
        /** An entry does not hash to the {@code prev_hash} its successor recorded, or a checkpoint contradicts it. */
        MODIFIED,
        /** A seq that is missing here comes later in the stream. */
        REORDERED,
        /** The log ends before a checkpoint known from elsewhere (a witness), or its last line is cut short. */
        TRUNCATED_TAIL,
        /** A checkpoint's signature does not verify with its certificate's key. */
        BAD_SIGNATURE,
        /**
         * A checkpoint's certificate chain does not verify as an X.509-SVID against the trust bundles at the
         * checkpoint's time, or names another SPIFFE ID than the chain's sidecar.
         */
        UNTRUSTED_CHECKPOINT,
        /** A line that is not a flow-log entry (syntax, unknown field), or a file that cannot be read. */
        UNREADABLE
    }

    /**
     * Where in the input.
     *
     * @param source the file name, or {@code "entries"} for an iterator
     * @param line 1-based line (or position) in the source
     */
    public record Location(String source, long line) {
        public Location {
            requireNonNull(source, "source");
        }

        @Override
        public String toString() {
            return source + ":" + line;
        }
    }

    /**
     * A broken place.
     *
     * @param kind what is broken
     * @param sidecar the chain's sidecar ({@code ""} when unknown, e.g. an unreadable line)
     * @param seq the seq at which the chain breaks (-1 when unknown)
     * @param location where in the input
     * @param detail one sentence for a human
     */
    public record Break(Kind kind, String sidecar, long seq, Location location, String detail) {
        public Break {
            requireNonNull(kind, "kind");
            requireNonNull(sidecar, "sidecar");
            requireNonNull(location, "location");
            requireNonNull(detail, "detail");
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s at seq %d (%s): %s", kind, seq, location, detail);
        }
    }

    /** Something a reader of a whole log should know. */
    public record Warning(String sidecar, long seq, Location location, String message) {
        public Warning {
            requireNonNull(sidecar, "sidecar");
            requireNonNull(location, "location");
            requireNonNull(message, "message");
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "seq %d (%s): %s", seq, location, message);
        }
    }

    public VerifyResult {
        warnings = List.copyOf(requireNonNull(warnings, "warnings"));
    }

    /** Whether no break was found. */
    public boolean whole() {
        return firstBreak == null;
    }

    /** The first broken place, if any. */
    public Optional<Break> breakFound() {
        return Optional.ofNullable(firstBreak);
    }

    /** {@link #EXIT_WHOLE}, {@link #EXIT_BROKEN}, or {@link #EXIT_UNREADABLE} for {@link Kind#UNREADABLE}. */
    public int exitCode() {
        Break b = firstBreak;
        if (b == null) {
            return EXIT_WHOLE;
        }
        return b.kind() == Kind.UNREADABLE ? EXIT_UNREADABLE : EXIT_BROKEN;
    }

    /** One line for a terminal. */
    public String summary() {
        Break b = firstBreak;
        String counts = String.format(
                Locale.ROOT,
                "%d entries, %d records, %d checkpoints, %d declared lost, %d after the last checkpoint",
                entries,
                records,
                checkpoints,
                lostRecords,
                unverifiedEntries);
        return b == null ? "whole: " + counts : "broken: " + b + " (" + counts + ")";
    }
}
