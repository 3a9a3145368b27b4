package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * What the dry-run policies ({@code dryRun: true}) would have decided, recorded beside the
 * enforced decision and never enforced.
 *
 * <p>The dry-run filters are evaluated on their own, as Envoy evaluates {@code shadow_rules}: a
 * matching dry-run DENY policy would deny; otherwise, when there are dry-run ALLOW policies, the
 * request would be denied unless one of them matches. A flow record shows {@code dry-run-deny}
 * when {@link #wouldDeny()}.
 *
 * @param verdict what the dry-run policies would do, or {@link Verdict#NOT_CONFIGURED}
 * @param policy the dry-run policy that decided: the matching DENY or ALLOW policy, {@link
 *     PolicyRef#NO_MATCHING_ALLOW} when dry-run ALLOW policies exist and none matched, or {@code
 *     null} when no dry-run policy decided (nothing configured, or only DENY policies and none
 *     matched)
 */
public record DryRunResult(Verdict verdict, @Nullable PolicyRef policy) {

    /** No dry-run policy selects the workload. */
    public static final DryRunResult NOT_CONFIGURED = new DryRunResult(Verdict.NOT_CONFIGURED, null);

    /** Dry-run DENY policies exist, none matched, and there are no dry-run ALLOW policies. */
    public static final DryRunResult WOULD_ALLOW = new DryRunResult(Verdict.WOULD_ALLOW, null);

    /** The would-be outcome of the dry-run policies. */
    public enum Verdict {
        /** No dry-run policy selects the workload. */
        NOT_CONFIGURED,
        /** The dry-run policies would allow the request. */
        WOULD_ALLOW,
        /** The dry-run policies would deny the request: a flow record says {@code dry-run-deny}. */
        WOULD_DENY
    }

    public DryRunResult {
        requireNonNull(verdict, "verdict");
        if (verdict == Verdict.NOT_CONFIGURED && policy != null) {
            throw new IllegalArgumentException("policy: " + policy + " (expected: none when NOT_CONFIGURED)");
        }
        if (verdict == Verdict.WOULD_DENY && policy == null) {
            throw new IllegalArgumentException("policy: null (expected: the policy that would deny)");
        }
    }

    /** Whether the dry-run policies would have denied the request. */
    public boolean wouldDeny() {
        return verdict == Verdict.WOULD_DENY;
    }
}
