package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import java.util.List;

/**
 * What the policies of the mesh compile to for one workload: the Envoy RBAC filter configs its
 * inbound listener runs, in order, and the effective mTLS mode.
 *
 * <p>{@link #httpFilters} is the ordered list of {@code envoy.filters.http.rbac} configs of the
 * contract with the authorization engine: DENY ({@code rules.action = DENY}), AUDIT ({@code LOG}),
 * ALLOW, dry-run DENY ({@code shadow_rules} only) and dry-run ALLOW, each present only when it has
 * something to say (see the README). {@link #networkFilters} is the same list as {@code
 * envoy.filters.network.rbac} configs ({@code stat_prefix} {@code palisade_tcp}) for the
 * workload's opaque TCP ports, projected to L4 (permission entries with HTTP matchers, which the
 * compiler has proven cannot match on an opaque port, left out), and empty when it has none.
 *
 * @param workload the workload
 * @param httpFilters the HTTP RBAC filters, in evaluation order
 * @param networkFilters the network RBAC filters for opaque ports, in evaluation order
 * @param mtls the effective PeerAuthentication mode, per port
 * @param ruleStatuses one per compiled rule, sorted by policy and rule index
 * @param policies the authorization policies that select the workload, sorted, rules or not
 */
public record CompiledWorkloadPolicy(
        Workload workload,
        List<RBAC> httpFilters,
        List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> networkFilters,
        EffectiveMtls mtls,
        List<RuleStatus> ruleStatuses,
        List<ObjectRef> policies) {

    public CompiledWorkloadPolicy {
        requireNonNull(workload, "workload");
        httpFilters = List.copyOf(httpFilters);
        networkFilters = List.copyOf(networkFilters);
        requireNonNull(mtls, "mtls");
        ruleStatuses = List.copyOf(ruleStatuses);
        policies = List.copyOf(policies);
    }

    public static Builder builder(Workload workload, EffectiveMtls mtls) {
        return new Builder(workload, mtls);
    }

    /** Builds a {@link CompiledWorkloadPolicy}; the lists start empty. */
    public static final class Builder {
        private final Workload workload;
        private final EffectiveMtls mtls;
        private List<RBAC> httpFilters = List.of();
        private List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> networkFilters = List.of();
        private List<RuleStatus> ruleStatuses = List.of();
        private List<ObjectRef> policies = List.of();

        private Builder(Workload workload, EffectiveMtls mtls) {
            this.workload = workload;
            this.mtls = mtls;
        }

        public Builder httpFilters(List<RBAC> httpFilters) {
            this.httpFilters = httpFilters;
            return this;
        }

        public Builder networkFilters(
                List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> networkFilters) {
            this.networkFilters = networkFilters;
            return this;
        }

        public Builder ruleStatuses(List<RuleStatus> ruleStatuses) {
            this.ruleStatuses = ruleStatuses;
            return this;
        }

        public Builder policies(List<ObjectRef> policies) {
            this.policies = policies;
            return this;
        }

        public CompiledWorkloadPolicy build() {
            return new CompiledWorkloadPolicy(workload, httpFilters, networkFilters, mtls, ruleStatuses, policies);
        }
    }
}
