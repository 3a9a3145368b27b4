package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import dev.palisade.controlplane.config.DefaultAction;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Compiles the policies of a {@link PolicySet} for one {@link Workload} into the Envoy RBAC filter
 * configs its sidecar enforces, as istiod does, minus Istio's silent rewrites.
 *
 * <p>Selection: a policy applies to the workloads of its namespace whose labels include all of its
 * selector's labels (all of them without a selector); a policy in the root namespace {@link
 * MeshConfig#ROOT_NAMESPACE} applies so to the workloads of every namespace.
 *
 * <p>No silent widening or narrowing. Istio skips an ALLOW rule with HTTP fields on a TCP port
 * (narrowing) and drops the HTTP fields of such a DENY rule (widening); here a rule that uses
 * HTTP-only fields (methods, paths, hosts and their {@code not*} forms, {@code
 * request.headers[...]} conditions) and can apply to a port the workload declares opaque TCP (one
 * of its {@code ports}, or, when it names none, any declared port not excluded by {@code notPorts}
 * or a {@code destination.port} condition) is refused, and so is the whole compile for the
 * workload: {@link PolicyCompileException} names the policy, the rule and the port. So are two
 * {@code PeerAuthentication}s of the same precedence selecting the workload (Istio picks the
 * oldest). The caller keeps the workload's last good config.
 *
 * <p>Stateless and thread-safe.
 */
public final class PolicyCompiler {

    /** {@code stat_prefix} of the network RBAC filters. */
    public static final String TCP_STAT_PREFIX = "palisade_tcp";

    /** {@code shadow_rules_stat_prefix} of the dry-run filters. */
    public static final String DRY_RUN_STAT_PREFIX = "palisade_dry_run_";

    private PolicyCompiler() {}

    /**
     * Compiles what applies to {@code workload}.
     *
     * @throws PolicyCompileException if a rule cannot be compiled without changing its meaning, or
     *     the workload's mTLS mode is ambiguous; nothing is compiled then
     */
    public static CompiledWorkloadPolicy compile(PolicySet set, MeshConfig mesh, Workload workload)
            throws PolicyCompileException {
        requireNonNull(set, "set");
        requireNonNull(mesh, "mesh");
        requireNonNull(workload, "workload");
        List<AuthorizationPolicy> selected = set.authorizationPolicies().stream()
                .filter(p -> applies(p.namespace(), p.selector(), workload))
                .toList();

        List<RuleStatus> refused = new ArrayList<>();
        for (AuthorizationPolicy p : selected) {
            for (int i = 0; i < p.rules().size(); i++) {
                String reason = opaquePortRefusal(p.rules().get(i), workload);
                if (reason != null) {
                    refused.add(new RuleStatus(p.ref(), i, EnforcementStatus.REFUSED, reason));
                }
            }
        }
        List<String> problems = new ArrayList<>();
        EffectiveMtls mtls = effectiveMtls(set, mesh, workload, problems);
        if (!refused.isEmpty() || !problems.isEmpty()) {
            throw new PolicyCompileException(workload.ref(), refused, problems);
        }

        RbacTranslator translator = new RbacTranslator(mesh.trustDomain());
        SortedMap<String, Policy> deny = new TreeMap<>();
        SortedMap<String, Policy> audit = new TreeMap<>();
        SortedMap<String, Policy> allow = new TreeMap<>();
        SortedMap<String, Policy> dryRunDeny = new TreeMap<>();
        SortedMap<String, Policy> dryRunAllow = new TreeMap<>();
        boolean anyAllow = false;
        boolean anyDryRunAllow = false;
        List<RuleStatus> statuses = new ArrayList<>();
        for (AuthorizationPolicy p : selected) {
            SortedMap<String, Policy> target;
            EnforcementStatus status;
            String where;
            switch (p.action()) {
                case DENY -> {
                    target = p.dryRun() ? dryRunDeny : deny;
                    status = p.dryRun() ? EnforcementStatus.DRY_RUN : EnforcementStatus.ENFORCED;
                    where = p.dryRun()
                            ? "shadow rules of the dry-run DENY filter: logged, never enforced"
                            : "DENY filter";
                }
                case AUDIT -> {
                    target = audit;
                    status = EnforcementStatus.AUDIT;
                    where = "AUDIT (LOG) filter: marks matching requests in the flow log";
                }
                default -> {
                    target = p.dryRun() ? dryRunAllow : allow;
                    status = p.dryRun() ? EnforcementStatus.DRY_RUN : EnforcementStatus.ENFORCED;
                    where = p.dryRun()
                            ? "shadow rules of the dry-run ALLOW filter: logged, never enforced"
                            : "ALLOW filter";
                    if (p.dryRun()) {
                        anyDryRunAllow = true;
                    } else {
                        anyAllow = true;
                    }
                }
            }
            for (int i = 0; i < p.rules().size(); i++) {
                Rule rule = p.rules().get(i);
                target.put(RbacPolicyNames.of(p.ref(), i), translator.policy(rule));
                statuses.add(new RuleStatus(p.ref(), i, status, where + undeclaredPortsNote(rule, workload)));
            }
        }

        List<RBAC> filters = new ArrayList<>();
        if (!deny.isEmpty()) {
            filters.add(enforced(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY, deny));
        }
        if (!audit.isEmpty()) {
            filters.add(enforced(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.LOG, audit));
        }
        if (anyAllow || mesh.defaultAction() == DefaultAction.DENY) {
            // With no ALLOW policy and default-deny: an ALLOW filter with no policies denies everything.
            filters.add(enforced(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW, allow));
        }
        if (!dryRunDeny.isEmpty()) {
            filters.add(shadow(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY, dryRunDeny));
        }
        if (anyDryRunAllow) {
            filters.add(shadow(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW, dryRunAllow));
        }

        List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> network = new ArrayList<>();
        if (workload.ports().stream().anyMatch(port -> port.protocol().isOpaque())) {
            for (RBAC http : filters) {
                io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC tcp = toNetwork(http);
                io.envoyproxy.envoy.config.rbac.v3.RBAC rules = tcp.hasRules() ? tcp.getRules() : tcp.getShadowRules();
                // Like the HTTP list: a DENY or LOG filter left without policies says nothing; an ALLOW one does.
                if (rules.getPoliciesCount() > 0
                        || rules.getAction() == io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW) {
                    network.add(tcp);
                }
            }
        }
        return CompiledWorkloadPolicy.builder(workload, mtls)
                .httpFilters(filters)
                .networkFilters(network)
                .ruleStatuses(statuses)
                .policies(selected.stream().map(AuthorizationPolicy::ref).toList())
                .build();
    }

    /**
     * Whether an object of {@code namespace} with {@code selector} applies to {@code workload}: same
     * namespace, or the root namespace, and the workload's labels include the selector's.
     */
    public static boolean applies(String namespace, WorkloadSelector selector, Workload workload) {
        return (namespace.equals(workload.namespace()) || namespace.equals(MeshConfig.ROOT_NAMESPACE))
                && selector.matches(workload.labels());
    }

    private static RBAC enforced(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action action, Map<String, Policy> policies) {
        return RBAC.newBuilder().setRules(rbac(action, policies)).build();
    }

    private static RBAC shadow(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action action, Map<String, Policy> policies) {
        return RBAC.newBuilder()
                .setShadowRules(rbac(action, policies))
                .setShadowRulesStatPrefix(DRY_RUN_STAT_PREFIX)
                .build();
    }

    private static io.envoyproxy.envoy.config.rbac.v3.RBAC rbac(
            io.envoyproxy.envoy.config.rbac.v3.RBAC.Action action, Map<String, Policy> policies) {
        return io.envoyproxy
                .envoy
                .config
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setAction(action)
                .putAllPolicies(policies)
                .build();
    }

    /**
     * The network filter of an HTTP filter: the same filter, policies and names, with {@code
     * stat_prefix} {@code palisade_tcp}, projected to L4. A permission entry (one {@code to} entry
     * with its request conditions) that contains an HTTP matcher ({@code header}, {@code url_path})
     * is left out: the opaque-port check above has proven that it constrains the destination port to
     * HTTP ports, so it can never match a connection on an opaque port, and the engine refuses HTTP
     * matchers in network filters. A policy left without permissions is left out (it could never
     * match there). An ALLOW filter keeps its place even when no policy is left, so that it still
     * denies what nothing allows; the caller drops other filters left empty.
     */
    private static io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC toNetwork(RBAC http) {
        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.Builder network = io.envoyproxy
                .envoy
                .extensions
                .filters
                .network
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setStatPrefix(TCP_STAT_PREFIX);
        if (http.hasRules()) {
            network.setRules(l4Projection(http.getRules()));
        }
        if (http.hasShadowRules()) {
            network.setShadowRules(l4Projection(http.getShadowRules()))
                    .setShadowRulesStatPrefix(http.getShadowRulesStatPrefix());
        }
        return network.build();
    }

    private static io.envoyproxy.envoy.config.rbac.v3.RBAC l4Projection(io.envoyproxy.envoy.config.rbac.v3.RBAC rbac) {
        io.envoyproxy.envoy.config.rbac.v3.RBAC.Builder projected =
                rbac.toBuilder().clearPolicies();
        for (Map.Entry<String, Policy> entry : new TreeMap<>(rbac.getPoliciesMap()).entrySet()) {
            List<Permission> kept = entry.getValue().getPermissionsList().stream()
                    .filter(p -> !usesHttp(p))
                    .toList();
            if (!kept.isEmpty()) {
                projected.putPolicies(
                        entry.getKey(),
                        entry.getValue().toBuilder()
                                .clearPermissions()
                                .addAllPermissions(kept)
                                .build());
            }
        }
        return projected.build();
    }

    private static boolean usesHttp(Permission p) {
        return switch (p.getRuleCase()) {
            case HEADER, URL_PATH -> true;
            case AND_RULES -> p.getAndRules().getRulesList().stream().anyMatch(PolicyCompiler::usesHttp);
            case OR_RULES -> p.getOrRules().getRulesList().stream().anyMatch(PolicyCompiler::usesHttp);
            case NOT_RULE -> usesHttp(p.getNotRule());
            default -> false;
        };
    }

    // ---------------------------------------------------------------- opaque ports

    /** Why {@code rule} cannot be compiled for {@code workload}, or {@code null} if it can. */
    private static @Nullable String opaquePortRefusal(Rule rule, Workload workload) {
        Set<Integer> opaque = workload.ports().stream()
                .filter(p -> p.protocol().isOpaque())
                .map(WorkloadPort::port)
                .collect(Collectors.toCollection(TreeSet::new));
        if (opaque.isEmpty()) {
            return null;
        }
        if (rule.to().isEmpty()) {
            return opaquePortRefusal(rule, null, "", workload, opaque);
        }
        for (int i = 0; i < rule.to().size(); i++) {
            String refusal = opaquePortRefusal(rule, rule.to().get(i), "to[" + i + "] ", workload, opaque);
            if (refusal != null) {
                return refusal;
            }
        }
        return null;
    }

    private static @Nullable String opaquePortRefusal(
            Rule rule, @Nullable Operation op, String where, Workload workload, Set<Integer> opaque) {
        List<String> httpFields = new ArrayList<>();
        if (op != null) {
            httpFields.addAll(op.httpOnlyFields());
        }
        for (Condition c : rule.when()) {
            if (c.attribute() == ConditionAttribute.REQUEST_HEADER) {
                httpFields.add("when " + c.key());
            }
        }
        if (httpFields.isEmpty()) {
            return null;
        }
        Set<Integer> ports = portsOf(op, workload);
        for (Condition c : rule.when()) {
            if (c.attribute() == ConditionAttribute.DESTINATION_PORT) {
                if (!c.values().isEmpty()) {
                    ports.retainAll(c.values().stream().map(Integer::valueOf).toList());
                }
                c.notValues().forEach(p -> ports.remove(Integer.valueOf(p)));
            }
        }
        ports.retainAll(opaque);
        if (ports.isEmpty()) {
            return null;
        }
        String portList = ports.stream().map(String::valueOf).collect(Collectors.joining(", "));
        return where + "uses HTTP-only fields (" + String.join(", ", httpFields) + ") but can apply to "
                + (ports.size() == 1 ? "port " : "ports ") + portList + ", which workload "
                + workload.ref().qualifiedName() + " declares TCP (opaque): no HTTP request is seen there, so"
                + " the rule would be silently narrowed or widened; name the HTTP ports in 'ports', or split the rule";
    }

    /** The ports a {@code to} entry can apply to: its ports, else every declared port but its notPorts. */
    private static Set<Integer> portsOf(@Nullable Operation op, Workload workload) {
        Set<Integer> ports = new TreeSet<>();
        if (op != null && !op.ports().isEmpty()) {
            op.ports().forEach(p -> ports.add(Integer.valueOf(p)));
        } else {
            workload.ports().forEach(p -> ports.add(p.port()));
        }
        if (op != null) {
            op.notPorts().forEach(p -> ports.remove(Integer.valueOf(p)));
        }
        return ports;
    }

    private static String undeclaredPortsNote(Rule rule, Workload workload) {
        Set<Integer> undeclared = new TreeSet<>();
        for (Operation op : rule.to()) {
            op.ports().forEach(p -> undeclared.add(Integer.valueOf(p)));
        }
        for (Condition c : rule.when()) {
            if (c.attribute() == ConditionAttribute.DESTINATION_PORT) {
                c.values().forEach(p -> undeclared.add(Integer.valueOf(p)));
            }
        }
        workload.ports().forEach(p -> undeclared.remove(p.port()));
        if (undeclared.isEmpty()) {
            return "";
        }
        return " (note: the workload declares no port "
                + undeclared.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")";
    }

    // ---------------------------------------------------------------- PeerAuthentication

    private static EffectiveMtls effectiveMtls(
            PolicySet set, MeshConfig mesh, Workload workload, List<String> problems) {
        List<PeerAuthentication> workloadLevel = new ArrayList<>();
        List<PeerAuthentication> namespaceLevel = new ArrayList<>();
        List<PeerAuthentication> meshLevel = new ArrayList<>();
        for (PeerAuthentication pa : set.peerAuthentications()) {
            boolean sameNamespace = pa.namespace().equals(workload.namespace());
            boolean root = pa.namespace().equals(MeshConfig.ROOT_NAMESPACE);
            if (sameNamespace && !pa.selector().selectsAll() && pa.selector().matches(workload.labels())) {
                workloadLevel.add(pa);
            } else if (sameNamespace && pa.selector().selectsAll()) {
                namespaceLevel.add(pa);
            } else if (root && pa.selector().selectsAll()) {
                meshLevel.add(pa);
            }
        }
        PeerAuthentication chosen = null;
        Map<String, List<PeerAuthentication>> levels = new LinkedHashMap<>();
        levels.put("select the workload", workloadLevel);
        levels.put("are namespace-wide in " + workload.namespace(), namespaceLevel);
        levels.put("are mesh-wide", meshLevel);
        for (Map.Entry<String, List<PeerAuthentication>> level : levels.entrySet()) {
            List<PeerAuthentication> candidates = level.getValue();
            if (candidates.size() > 1) {
                // Istio takes the oldest; there is no "oldest" in a directory, and guessing is worse.
                problems.add("PeerAuthentications "
                        + candidates.stream()
                                .map(pa -> pa.ref().qualifiedName())
                                .collect(Collectors.joining(", "))
                        + " all " + level.getKey() + ": which one applies is ambiguous; keep one");
                return new EffectiveMtls(mesh.defaultMtlsMode(), Map.of(), null);
            }
            if (candidates.size() == 1) {
                chosen = candidates.get(0);
                break;
            }
        }
        MtlsMode mode = chosen == null ? mesh.defaultMtlsMode() : chosen.mode();
        Map<Integer, MtlsMode> ports = new HashMap<>();
        for (WorkloadPort port : workload.ports()) {
            MtlsMode portMode = chosen == null ? null : chosen.portLevelMtls().get(port.port());
            ports.put(port.port(), portMode == null ? mode : portMode);
        }
        return new EffectiveMtls(mode, ports, chosen == null ? null : chosen.ref());
    }
}
