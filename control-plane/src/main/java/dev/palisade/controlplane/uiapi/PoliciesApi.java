package dev.palisade.controlplane.uiapi;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.flows.FlowMinutes;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.controlplane.policy.AuthorizationPolicy;
import dev.palisade.controlplane.policy.CompiledWorkloadPolicy;
import dev.palisade.controlplane.policy.Condition;
import dev.palisade.controlplane.policy.EnforcementStatus;
import dev.palisade.controlplane.policy.ObjectRef;
import dev.palisade.controlplane.policy.Operation;
import dev.palisade.controlplane.policy.PolicyAction;
import dev.palisade.controlplane.policy.PolicySet;
import dev.palisade.controlplane.policy.Rule;
import dev.palisade.controlplane.policy.RuleStatus;
import dev.palisade.controlplane.policy.Source;
import dev.palisade.controlplane.policy.Workload;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /api/policies?since&until}: the AuthorizationPolicies that select each workload (the control plane's
 * current policy set, as last compiled), each rule's enforcement status at that workload and its hits in the
 * window: records whose destination is the workload's SPIFFE ID and whose {@code policy}/{@code rule} name the rule
 * (from the {@code flow_minute} rollup plus the raw rows of the partial minutes). Only the deciding policy and rule
 * are in a record, so AUDIT and dry-run rules (which never decide) have {@code hits} and {@code neverMatched}
 * {@code null}: unknown, not zero.
 */
public final class PoliciesApi {
    private static final Set<String> PARAMETERS = Set.of("since", "until");

    /**
     * What the control plane currently holds.
     *
     * @param set the last policy set loaded, or null before the first
     * @param compiled each workload's last good compilation, by SPIFFE ID
     */
    public record State(@Nullable PolicySet set, Map<SpiffeId, CompiledWorkloadPolicy> compiled) {
        public State {
            compiled = Map.copyOf(compiled);
        }
    }

    private final FlowStore store;
    private final Supplier<State> state;
    private final Clock clock;

    public PoliciesApi(FlowStore store, Supplier<State> state, Clock clock) {
        this.store = requireNonNull(store, "store");
        this.state = requireNonNull(state, "state");
        this.clock = requireNonNull(clock, "clock");
    }

    /** The endpoint, by path, for {@link AdminServer#start}. */
    public Map<String, AdminServer.Endpoint> endpoints() {
        return Map.of(
                "/api/policies", new AdminServer.Endpoint(Json.CONTENT_TYPE, p -> Json.answer(() -> policies(p))));
    }

    ObjectNode policies(Map<String, List<String>> parameters) {
        Window w = Window.parse(parameters, clock.instant(), PARAMETERS);
        State current = state.get();
        // (destination, policy, rule) → hits
        Map<List<Object>, Long> hits = new HashMap<>();
        for (FlowMinutes.Count c : store.flowCounts(w.since(), w.until(), FlowMinutes.Grouping.HITS, null, null)) {
            hits.merge(List.of(c.destination(), c.policy(), c.rule()), c.count(), Long::sum);
        }
        Map<ObjectRef, AuthorizationPolicy> byRef = new HashMap<>();
        PolicySet set = current.set();
        if (set != null) {
            set.authorizationPolicies().forEach(p -> byRef.put(p.ref(), p));
        }
        List<Map.Entry<SpiffeId, CompiledWorkloadPolicy>> workloads =
                new ArrayList<>(current.compiled().entrySet());
        workloads.sort(Comparator.comparing((Map.Entry<SpiffeId, CompiledWorkloadPolicy> e) ->
                        e.getValue().workload().namespace())
                .thenComparing(e -> e.getValue().workload().name()));
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("since", w.since().toString());
        root.put("until", w.until().toString());
        ArrayNode out = root.putArray("workloads");
        for (Map.Entry<SpiffeId, CompiledWorkloadPolicy> e : workloads) {
            String id = e.getKey().toString();
            CompiledWorkloadPolicy compiled = e.getValue();
            Workload workload = compiled.workload();
            ObjectNode wn = out.addObject();
            wn.put("workload", workload.name());
            wn.put("namespace", workload.namespace());
            wn.putArray("spiffeIds").add(id);
            ArrayNode policies = wn.putArray("policies");
            for (ObjectRef ref : compiled.policies()) {
                AuthorizationPolicy policy = byRef.get(ref);
                List<RuleStatus> statuses = compiled.ruleStatuses().stream()
                        .filter(s -> s.policy().equals(ref))
                        .toList();
                ObjectNode pn = policies.addObject();
                pn.put("name", ref.qualifiedName());
                pn.put(
                        "action",
                        policy == null ? "unknown" : lower(policy.action().name()));
                pn.put("enforcement", lower(enforcement(policy, statuses).name()));
                ArrayNode rules = pn.putArray("rules");
                int count = policy == null
                        ? statuses.stream()
                                .mapToInt(s -> s.ruleIndex() + 1)
                                .max()
                                .orElse(0)
                        : policy.rules().size();
                for (int i = 0; i < count; i++) {
                    int index = i;
                    EnforcementStatus status = statuses.stream()
                            .filter(s -> s.ruleIndex() == index)
                            .map(RuleStatus::status)
                            .findFirst()
                            .orElse(enforcement(policy, statuses));
                    ObjectNode rn = rules.addObject();
                    rn.put("index", i);
                    rn.put("status", lower(status.name()));
                    if (status == EnforcementStatus.AUDIT || status == EnforcementStatus.DRY_RUN) {
                        rn.putNull("hits");
                        rn.putNull("neverMatched");
                    } else {
                        long n = hits.getOrDefault(List.of(id, ref.qualifiedName(), i), 0L);
                        rn.put("hits", n);
                        rn.put("neverMatched", n == 0);
                    }
                    rn.put(
                            "description",
                            policy == null ? "" : describe(policy.rules().get(i)));
                }
            }
        }
        return root;
    }

    /** A policy's enforcement at a workload: refused if any rule was, else what its kind makes it. */
    private static EnforcementStatus enforcement(@Nullable AuthorizationPolicy policy, List<RuleStatus> statuses) {
        if (statuses.stream().anyMatch(s -> s.status() == EnforcementStatus.REFUSED)) {
            return EnforcementStatus.REFUSED;
        }
        if (policy == null) {
            return statuses.isEmpty()
                    ? EnforcementStatus.ENFORCED
                    : statuses.get(0).status();
        }
        if (policy.action() == PolicyAction.AUDIT) {
            return EnforcementStatus.AUDIT;
        }
        return policy.dryRun() ? EnforcementStatus.DRY_RUN : EnforcementStatus.ENFORCED;
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** One line for a rule, e.g. {@code from principals [a]; to methods [GET] paths [/api/*]}; {@code any request}. */
    static String describe(Rule rule) {
        List<String> parts = new ArrayList<>();
        for (Source s : rule.from()) {
            List<String> f = new ArrayList<>();
            field(f, "principals", s.principals());
            field(f, "not principals", s.notPrincipals());
            field(f, "namespaces", s.namespaces());
            field(f, "not namespaces", s.notNamespaces());
            field(f, "ipBlocks", s.ipBlocks());
            field(f, "not ipBlocks", s.notIpBlocks());
            parts.add("from " + String.join(" ", f));
        }
        for (Operation o : rule.to()) {
            List<String> f = new ArrayList<>();
            field(f, "methods", o.methods());
            field(f, "not methods", o.notMethods());
            field(f, "paths", o.paths());
            field(f, "not paths", o.notPaths());
            field(f, "ports", o.ports());
            field(f, "not ports", o.notPorts());
            field(f, "hosts", o.hosts());
            field(f, "not hosts", o.notHosts());
            parts.add("to " + String.join(" ", f));
        }
        for (Condition c : rule.when()) {
            List<String> f = new ArrayList<>();
            field(f, "in", c.values());
            field(f, "not in", c.notValues());
            parts.add("when " + c.key() + " " + String.join(" ", f));
        }
        return parts.isEmpty() ? "any request" : String.join("; ", parts);
    }

    private static void field(List<String> out, String name, List<String> values) {
        if (!values.isEmpty()) {
            out.add(name + " " + values);
        }
    }
}
