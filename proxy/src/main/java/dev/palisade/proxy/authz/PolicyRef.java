package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

/**
 * The policy and rule that made a decision: an RBAC policy named {@code
 * ns[<namespace>]-policy[<policy>]-rule[<rule>]}, the names Istio gives them and that the policy
 * compiler uses, or one of the two sentinels for decisions that no named policy made.
 *
 * <ul>
 *   <li>{@link #MESH_DEFAULT} ({@code mesh-default}, rule -1): no ALLOW policy selects the
 *       workload, so the mesh default applied: allow, or deny under default-deny (an ALLOW filter
 *       with no policies, as the contract with the compiler says).
 *   <li>{@link #NO_MATCHING_ALLOW} ({@code no-matching-allow-policy}, rule -1): ALLOW policies
 *       select the workload and none of them matched.
 * </ul>
 *
 * @param name the full RBAC policy name, or the sentinel's name
 * @param namespace the namespace of the {@code AuthorizationPolicy}; empty for the sentinels
 * @param policy the name of the {@code AuthorizationPolicy}; the sentinel's name for the sentinels
 * @param rule the 0-based index of the rule in {@code spec.rules}; -1 for the sentinels
 */
public record PolicyRef(String name, String namespace, String policy, int rule) {

    /** The mesh default decided: no ALLOW policy selects the workload. */
    public static final PolicyRef MESH_DEFAULT = new PolicyRef("mesh-default", "", "mesh-default", -1);

    /** ALLOW policies select the workload, and none of them matched the request. */
    public static final PolicyRef NO_MATCHING_ALLOW =
            new PolicyRef("no-matching-allow-policy", "", "no-matching-allow-policy", -1);

    private static final String NS = "ns[";
    private static final String POLICY = "]-policy[";
    private static final String RULE = "]-rule[";

    public PolicyRef {
        requireNonNull(name, "name");
        requireNonNull(namespace, "namespace");
        requireNonNull(policy, "policy");
        if (rule < -1) {
            throw new IllegalArgumentException("rule: " + rule + " (expected: >= -1)");
        }
    }

    /**
     * Parses {@code ns[<namespace>]-policy[<policy>]-rule[<rule>]}. Namespace and policy are
     * Kubernetes names, which never contain brackets; the rule index is a decimal number without
     * leading zeros.
     *
     * @throws IllegalArgumentException naming the value when it is not of that form
     */
    public static PolicyRef parse(String name) {
        requireNonNull(name, "name");
        int policyAt = name.indexOf(POLICY);
        int ruleAt = name.lastIndexOf(RULE);
        if (!name.startsWith(NS) || !name.endsWith("]") || policyAt < 0 || ruleAt < policyAt) {
            throw invalid(name);
        }
        String namespace = name.substring(NS.length(), policyAt);
        String policy = name.substring(policyAt + POLICY.length(), ruleAt);
        String index = name.substring(ruleAt + RULE.length(), name.length() - 1);
        if (namespace.isEmpty() || policy.isEmpty() || hasBracket(namespace) || hasBracket(policy) || !isIndex(index)) {
            throw invalid(name);
        }
        return new PolicyRef(name, namespace, policy, Integer.parseInt(index));
    }

    /** Whether this names a policy of an operator, rather than being one of the sentinels. */
    public boolean isNamed() {
        return rule >= 0;
    }

    @Override
    public String toString() {
        return name;
    }

    private static boolean hasBracket(String s) {
        return s.indexOf('[') >= 0 || s.indexOf(']') >= 0;
    }

    /** 0 to 99999: a rule index, in decimal, without a leading zero. */
    private static boolean isIndex(String s) {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException invalid(String name) {
        return new IllegalArgumentException(
                "policy name \"" + name + "\" (expected: ns[<namespace>]-policy[<name>]-rule[<index>])");
    }
}
