package dev.palisade.controlplane.policy;

/**
 * The names of compiled rules, the keys of Envoy's {@code RBAC.policies}, exactly as Istio names
 * them: {@code ns[<namespace>]-policy[<name>]-rule[<index>]}, so that any decision traces back to
 * a policy and a rule. Namespaces and names are DNS-1123, which never contain brackets, so the name
 * parses back unambiguously.
 */
public final class RbacPolicyNames {

    /** What a decision names when the mesh default (default-deny), not a rule, decided. */
    public static final String MESH_DEFAULT = "mesh-default";

    private RbacPolicyNames() {}

    /** {@code ns[<namespace>]-policy[<name>]-rule[<ruleIndex>]}. */
    public static String of(String namespace, String name, int ruleIndex) {
        return "ns[" + namespace + "]-policy[" + name + "]-rule[" + ruleIndex + "]";
    }

    /** The name of rule {@code ruleIndex} of {@code policy}. */
    public static String of(ObjectRef policy, int ruleIndex) {
        return of(policy.namespace(), policy.name(), ruleIndex);
    }
}
