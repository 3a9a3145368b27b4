package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An {@code AuthorizationPolicy} ({@code security.palisade.dev/v1}), shaped like Istio's.
 *
 * <p>It applies to the workloads of its namespace that {@link #selector} selects, or, in the root
 * namespace {@code palisade-system}, to the selected workloads of every namespace. DENY policies
 * are evaluated first; then, if any ALLOW policy applies to a workload, a request must match one of
 * them; AUDIT policies only mark matching requests in the flow log. A {@link #dryRun} policy is
 * evaluated and logged but never enforced.
 *
 * <p>A policy without rules matches nothing: as an ALLOW policy it therefore denies every request
 * to the workloads it selects (Istio's "allow-nothing").
 *
 * @param namespace {@code metadata.namespace}
 * @param name {@code metadata.name}
 * @param selector {@code spec.selector}; {@link WorkloadSelector#ALL} when absent
 * @param action {@code spec.action}; ALLOW when absent, as in Istio
 * @param dryRun {@code spec.dryRun}; never set on an AUDIT policy
 * @param rules {@code spec.rules}
 */
public record AuthorizationPolicy(
        String namespace, String name, WorkloadSelector selector, PolicyAction action, boolean dryRun, List<Rule> rules)
        implements PolicyObject {

    public AuthorizationPolicy {
        PolicyValues.require("namespace", namespace, PolicyValues::namespace);
        PolicyValues.require("name", name, PolicyValues::objectName);
        requireNonNull(selector, "selector");
        requireNonNull(action, "action");
        if (dryRun && action == PolicyAction.AUDIT) {
            throw new IllegalArgumentException(
                    "AuthorizationPolicy " + namespace + "/" + name + ": dryRun is not supported with action AUDIT");
        }
        rules = List.copyOf(rules);
    }

    @Override
    public ObjectRef ref() {
        return new ObjectRef(ObjectKind.AUTHORIZATION_POLICY, namespace, name);
    }

    /** A builder with action ALLOW, no selector, no dry run and no rules. */
    public static Builder builder(String namespace, String name) {
        return new Builder(namespace, name);
    }

    public Builder toBuilder() {
        return new Builder(namespace, name)
                .selector(selector)
                .action(action)
                .dryRun(dryRun)
                .rules(rules);
    }

    /** Builds an {@link AuthorizationPolicy}. */
    public static final class Builder {
        private final String namespace;
        private final String name;
        private WorkloadSelector selector = WorkloadSelector.ALL;
        private PolicyAction action = PolicyAction.ALLOW;
        private boolean dryRun;
        private List<Rule> rules = List.of();

        private Builder(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }

        public Builder selector(WorkloadSelector selector) {
            this.selector = selector;
            return this;
        }

        public Builder action(PolicyAction action) {
            this.action = action;
            return this;
        }

        public Builder dryRun(boolean dryRun) {
            this.dryRun = dryRun;
            return this;
        }

        public Builder rules(List<Rule> rules) {
            this.rules = rules;
            return this;
        }

        public AuthorizationPolicy build() {
            return new AuthorizationPolicy(namespace, name, selector, action, dryRun, rules);
        }
    }
}
