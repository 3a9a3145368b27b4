package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * A decision together with why it was not the other one, for {@code palisade authz check}: for a
 * denial, the ALLOW policy that came closest to allowing the request and the first of its
 * conditions that failed. Made by {@link AuthzEngine#explain}, which is slower than {@link
 * AuthzEngine#evaluate} and is never called on the data path.
 *
 * <p>"Closest" is the ALLOW policy with the largest share of its conditions satisfied (a condition
 * is a leaf matcher, such as one path or one principal; of alternatives, the best one counts),
 * the first in policy-name order among equals.
 *
 * @param decision the decision, exactly as {@link AuthzEngine#evaluate} makes it
 * @param closestAllow for a denial, the closest ALLOW policy; {@code null} when the request was
 *     allowed or no ALLOW policy selects the workload
 * @param failedCondition the first condition of {@code closestAllow} that failed, after the
 *     policy's name, for example {@code ns[shop]-policy[payments]-rule[0]: permissions: url_path
 *     /v1/charge did not match /v1/admin}; {@code null} when it matched (the request was then
 *     denied by a DENY policy) or there is none
 */
public record Explanation(AuthzDecision decision, @Nullable PolicyRef closestAllow, @Nullable String failedCondition) {

    public Explanation {
        requireNonNull(decision, "decision");
        if (decision.allowed() && (closestAllow != null || failedCondition != null)) {
            throw new IllegalArgumentException("closestAllow: " + closestAllow + " (expected: none when allowed)");
        }
        if (closestAllow == null && failedCondition != null) {
            throw new IllegalArgumentException(
                    "failedCondition: " + failedCondition + " (expected: none without a" + " closest ALLOW policy)");
        }
    }

    /**
     * One line for people: the decision, the policy that made it, and for a denial the closest
     * ALLOW policy and its first failed condition, such as {@code denied: no ALLOW policy matched;
     * closest: ns[shop]-policy[payments]-rule[0]: permissions: url_path /v1/charge did not match
     * /v1/admin}.
     */
    public String summary() {
        StringBuilder out = new StringBuilder();
        out.append(decision.allowed() ? "allowed" : "denied");
        switch (decision.reason()) {
            case DENY_POLICY -> out.append(" by DENY policy ").append(decision.policy());
            case ALLOW_POLICY -> out.append(" by ALLOW policy ").append(decision.policy());
            case NO_MATCHING_ALLOW_POLICY -> out.append(": no ALLOW policy matched");
            case MESH_DEFAULT -> out.append(" by the mesh default: no ALLOW policy selects the workload");
        }
        if (failedCondition != null) {
            out.append("; closest: ").append(failedCondition);
        } else if (closestAllow != null) {
            out.append("; ALLOW policy ").append(closestAllow).append(" matched");
        }
        return out.toString();
    }
}
