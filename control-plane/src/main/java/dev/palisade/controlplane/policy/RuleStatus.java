package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

/**
 * The enforcement status of one rule of one policy at one workload.
 *
 * @param policy the {@code AuthorizationPolicy}
 * @param ruleIndex the 0-based index of the rule in {@code spec.rules}
 * @param status how the rule takes effect
 * @param reason where it was compiled, or why it was refused (naming the port)
 */
public record RuleStatus(ObjectRef policy, int ruleIndex, EnforcementStatus status, String reason) {

    public RuleStatus {
        requireNonNull(policy, "policy");
        if (ruleIndex < 0) {
            throw new IllegalArgumentException("ruleIndex: " + ruleIndex + " (expected: >= 0)");
        }
        requireNonNull(status, "status");
        requireNonNull(reason, "reason");
    }

    /** The rule's key in {@code RBAC.policies}: {@code ns[<namespace>]-policy[<name>]-rule[<index>]}. */
    public String rbacPolicyName() {
        return RbacPolicyNames.of(policy, ruleIndex);
    }
}
