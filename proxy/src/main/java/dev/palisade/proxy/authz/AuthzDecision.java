package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The outcome of evaluating one request against one version of the compiled policies: allowed or
 * denied, the policy and rule that decided, the AUDIT policies that matched, and what the dry-run
 * policies would have done. The data path answers a denial with 403 (gRPC: status 7) and puts all
 * of it in the flow record.
 *
 * @param allowed whether the request may proceed
 * @param reason why, in one word: which part of the evaluation order decided
 * @param policy the policy that decided, or {@link PolicyRef#MESH_DEFAULT} or {@link
 *     PolicyRef#NO_MATCHING_ALLOW}
 * @param audits every AUDIT policy that matched, in policy-name order; evaluated for denied
 *     requests too, since an auditor wants those most
 * @param dryRun what the dry-run policies would have decided
 * @param version the version of the compiled policies that decided (the xDS resource version)
 */
public record AuthzDecision(
        boolean allowed, Reason reason, PolicyRef policy, List<PolicyRef> audits, DryRunResult dryRun, String version) {

    /** Which step of the evaluation order (DENY, ALLOW, default) decided. */
    public enum Reason {
        /** A DENY policy matched: denied. */
        DENY_POLICY,
        /** An ALLOW policy matched, and no DENY policy did: allowed. */
        ALLOW_POLICY,
        /** ALLOW policies select the workload and none matched: denied. */
        NO_MATCHING_ALLOW_POLICY,
        /** No ALLOW policy selects the workload: the mesh default (allow, or deny) applied. */
        MESH_DEFAULT
    }

    public AuthzDecision {
        requireNonNull(reason, "reason");
        requireNonNull(policy, "policy");
        audits = List.copyOf(requireNonNull(audits, "audits"));
        requireNonNull(dryRun, "dryRun");
        requireNonNull(version, "version");
        boolean allowingReason = reason == Reason.ALLOW_POLICY || reason == Reason.MESH_DEFAULT;
        boolean denyingReason = reason != Reason.ALLOW_POLICY;
        if ((allowed && !allowingReason) || (!allowed && !denyingReason)) {
            throw new IllegalArgumentException(
                    "reason: " + reason + " (expected: one that " + (allowed ? "allows" : "denies") + ")");
        }
    }

    /** Whether the request is refused. */
    public boolean denied() {
        return !allowed;
    }
}
