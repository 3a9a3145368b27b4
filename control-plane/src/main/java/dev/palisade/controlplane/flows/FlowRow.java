package dev.palisade.controlplane.flows;

import static java.util.Objects.requireNonNull;

import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.FlowRecord;
import java.time.Instant;

/**
 * A stored flow record with where it came from.
 *
 * @param sidecar the chain it belongs to
 * @param seq its place in that chain
 * @param sender the verified SPIFFE ID of the connection that delivered it (equal to {@code sidecar}: the collector
 *     refuses anything else)
 * @param received when the collector received it
 * @param record the record, as the sidecar wrote it
 */
public record FlowRow(String sidecar, long seq, String sender, Instant received, FlowRecord record) {
    public FlowRow {
        requireNonNull(sidecar, "sidecar");
        requireNonNull(sender, "sender");
        requireNonNull(received, "received");
        requireNonNull(record, "record");
    }

    /** When the request or connection started. */
    public Instant time() {
        return instantOfNanos(record.getStartUnixNanos());
    }

    /** {@code allow}, {@code deny} or {@code none}: the enforced decision, as filters and summaries name it. */
    public String decision() {
        return decisionOf(record);
    }

    /** {@link #decision()}, then {@code +audit} when an AUDIT policy matched, {@code +dry-run-deny} likewise. */
    public String decisionDetail() {
        StringBuilder sb = new StringBuilder(decision());
        if (record.getAuditPoliciesCount() > 0) {
            sb.append("+audit");
        }
        if (record.getDryRun() == DryRunVerdict.DRY_RUN_WOULD_DENY) {
            sb.append("+dry-run-deny");
        }
        return sb.toString();
    }

    /**
     * The record's decision class, as the graph names it: {@code deny} if denied; else {@code dry-run-deny} if a
     * dry-run policy would have denied; else {@code audit} if an AUDIT policy matched; else {@code allow} or
     * {@code none}.
     */
    public static String decisionClass(FlowRecord record) {
        if (record.getDecision() == Decision.DENY) {
            return "deny";
        }
        if (record.getDryRun() == DryRunVerdict.DRY_RUN_WOULD_DENY) {
            return "dry-run-deny";
        }
        if (record.getAuditPoliciesCount() > 0) {
            return "audit";
        }
        return decisionOf(record);
    }

    static String decisionOf(FlowRecord record) {
        return record.getDecision() == Decision.ALLOW
                ? "allow"
                : record.getDecision() == Decision.DENY ? "deny" : "none";
    }

    static Instant instantOfNanos(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
