package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One version of a workload's authorization policies, compiled by {@link RbacCompiler} from the
 * Envoy RBAC filter configs into plain Java matchers: no proto is touched per request.
 *
 * <p>Evaluation order (the contract with the policy compiler, Istio's semantics):
 *
 * <ol>
 *   <li>DENY: the first DENY policy that matches, in policy-name order, denies.
 *   <li>AUDIT: every matching AUDIT policy is recorded ({@link AuthzDecision#audits()}), whether
 *       the request is allowed or denied.
 *   <li>ALLOW: without an ALLOW filter, the mesh default allows; with an empty one (mesh
 *       default-deny), the mesh default denies; otherwise the first matching ALLOW policy, in
 *       policy-name order, allows, and when none matches the request is denied.
 *   <li>Dry run: the dry-run filters are evaluated on their own ({@link DryRunResult}) and never
 *       change the decision.
 * </ol>
 *
 * <p>"Policy-name order" is {@link String#compareTo} on the RBAC policy names, as in the contract:
 * {@code rule[10]} comes before {@code rule[2]}. Only which policy is reported depends on it,
 * never whether the request is allowed.
 *
 * <p>Immutable and thread-safe: the data path shares one instance between event loops, and a
 * policy update builds a new one ({@link AuthzPolicyHolder}).
 */
public final class AuthzEngine {

    /** Longer keys are evaluated without the cache, so that hostile paths cannot fill it with large entries. */
    static final int MAX_CACHED_KEY_LENGTH = 1024;

    private final String version;
    private final List<CompiledPolicy> deny;
    private final List<CompiledPolicy> audit;
    private final List<CompiledPolicy> allow;
    private final List<CompiledPolicy> dryRunDeny;
    private final List<CompiledPolicy> dryRunAllow;
    private final boolean hasAllowFilter;
    private final boolean hasDryRunAllowFilter;
    private final boolean hasDryRun;
    private final KeyShape keyShape;
    private final int policyCount;

    /**
     * @param version the version of the policies (the xDS resource version)
     * @param filters the compiled policies of each filter present, each list in policy-name order
     * @param keyShape what the policies look at
     */
    AuthzEngine(String version, Map<FilterKind, List<CompiledPolicy>> filters, KeyShape keyShape) {
        this.version = requireNonNull(version, "version");
        this.keyShape = requireNonNull(keyShape, "keyShape");
        EnumMap<FilterKind, List<CompiledPolicy>> copy = new EnumMap<>(FilterKind.class);
        filters.forEach((kind, policies) -> copy.put(kind, List.copyOf(policies)));
        this.deny = copy.getOrDefault(FilterKind.DENY, List.of());
        this.audit = copy.getOrDefault(FilterKind.AUDIT, List.of());
        this.allow = copy.getOrDefault(FilterKind.ALLOW, List.of());
        this.dryRunDeny = copy.getOrDefault(FilterKind.DRY_RUN_DENY, List.of());
        this.dryRunAllow = copy.getOrDefault(FilterKind.DRY_RUN_ALLOW, List.of());
        this.hasAllowFilter = copy.containsKey(FilterKind.ALLOW);
        this.hasDryRunAllowFilter = copy.containsKey(FilterKind.DRY_RUN_ALLOW);
        this.hasDryRun = hasDryRunAllowFilter || copy.containsKey(FilterKind.DRY_RUN_DENY);
        this.policyCount = copy.values().stream().mapToInt(List::size).sum();
    }

    /** The version of the policies, as given to {@link RbacCompiler}; every decision carries it. */
    public String version() {
        return version;
    }

    /** The number of RBAC policies (rules of {@code AuthorizationPolicy} objects) in all filters. */
    public int policyCount() {
        return policyCount;
    }

    /**
     * Whether a decision depends only on {@code :method}, {@code :authority}, {@code :path} and
     * connection facts, and may therefore be cached (decided when the policies were compiled).
     */
    public boolean isCacheable() {
        return keyShape.cacheable();
    }

    /** Decides one request. Allocation-light, lock-free; the data path's call. */
    public AuthzDecision evaluate(AuthzRequest request) {
        requireNonNull(request, "request");
        CompiledPolicy denying = firstMatch(deny, request);
        List<PolicyRef> audits = allMatches(audit, request);
        DryRunResult dryRun = dryRun(request);
        if (denying != null) {
            return new AuthzDecision(false, AuthzDecision.Reason.DENY_POLICY, denying.ref(), audits, dryRun, version);
        }
        if (!hasAllowFilter) {
            return new AuthzDecision(
                    true, AuthzDecision.Reason.MESH_DEFAULT, PolicyRef.MESH_DEFAULT, audits, dryRun, version);
        }
        if (allow.isEmpty()) {
            return new AuthzDecision(
                    false, AuthzDecision.Reason.MESH_DEFAULT, PolicyRef.MESH_DEFAULT, audits, dryRun, version);
        }
        CompiledPolicy allowing = firstMatch(allow, request);
        if (allowing != null) {
            return new AuthzDecision(true, AuthzDecision.Reason.ALLOW_POLICY, allowing.ref(), audits, dryRun, version);
        }
        return new AuthzDecision(
                false,
                AuthzDecision.Reason.NO_MATCHING_ALLOW_POLICY,
                PolicyRef.NO_MATCHING_ALLOW,
                audits,
                dryRun,
                version);
    }

    /**
     * Decides one request and, for a denial, finds the ALLOW policy that came closest and the
     * first of its conditions that failed. Slower than {@link #evaluate}: for {@code palisade
     * authz check} and the admin server, never for the data path.
     */
    public Explanation explain(AuthzRequest request) {
        AuthzDecision decision = evaluate(request);
        if (decision.allowed() || allow.isEmpty()) {
            return new Explanation(decision, null, null);
        }
        CompiledPolicy closest = null;
        Trace closestTrace = null;
        for (CompiledPolicy policy : allow) {
            Trace trace = policy.trace(request);
            if (closestTrace == null || rank(trace) > rank(closestTrace)) {
                closest = policy;
                closestTrace = trace;
            }
        }
        requireNonNull(closest);
        requireNonNull(closestTrace);
        return new Explanation(
                decision, closest.ref(), closestTrace.matched() ? null : closest.ref() + ": " + closestTrace.failure());
    }

    /** A matching policy first, then the largest share of satisfied conditions. */
    private static double rank(Trace trace) {
        return trace.matched() ? 2.0 : trace.score();
    }

    /**
     * The cache key for {@code request}, or {@code null} when its decision must not be cached:
     * the engine is not {@linkplain #isCacheable() cacheable}, or the key would be too long.
     */
    @Nullable
    DecisionKey cacheKey(AuthzRequest request) {
        if (!keyShape.cacheable()) {
            return null;
        }
        NormalizedRequest http = request.http();
        if (http != null && http.path().length() + http.authority().length() > MAX_CACHED_KEY_LENGTH) {
            return null;
        }
        return new DecisionKey(
                http == null ? null : http.method(),
                http == null ? null : http.path(),
                http == null ? null : http.authority(),
                request.peerPrincipal(),
                request.destinationPort(),
                keyShape.sourceIp() ? request.sourceIp() : null,
                keyShape.destinationIp() ? request.destinationIp() : null,
                keyShape.serverName() ? request.requestedServerName() : null);
    }

    private DryRunResult dryRun(AuthzRequest request) {
        if (!hasDryRun) {
            return DryRunResult.NOT_CONFIGURED;
        }
        CompiledPolicy denying = firstMatch(dryRunDeny, request);
        if (denying != null) {
            return new DryRunResult(DryRunResult.Verdict.WOULD_DENY, denying.ref());
        }
        if (!hasDryRunAllowFilter) {
            return DryRunResult.WOULD_ALLOW;
        }
        CompiledPolicy allowing = firstMatch(dryRunAllow, request);
        return allowing != null
                ? new DryRunResult(DryRunResult.Verdict.WOULD_ALLOW, allowing.ref())
                : new DryRunResult(DryRunResult.Verdict.WOULD_DENY, PolicyRef.NO_MATCHING_ALLOW);
    }

    private static @Nullable CompiledPolicy firstMatch(List<CompiledPolicy> policies, AuthzRequest request) {
        for (int i = 0; i < policies.size(); i++) {
            CompiledPolicy policy = policies.get(i);
            if (policy.matches(request)) {
                return policy;
            }
        }
        return null;
    }

    private static List<PolicyRef> allMatches(List<CompiledPolicy> policies, AuthzRequest request) {
        List<PolicyRef> matches = null;
        for (int i = 0; i < policies.size(); i++) {
            CompiledPolicy policy = policies.get(i);
            if (policy.matches(request)) {
                if (matches == null) {
                    matches = new ArrayList<>(2);
                }
                matches.add(policy.ref());
            }
        }
        return matches == null ? List.of() : matches;
    }

    /** Every compiled policy in words, by filter: for the admin server's {@code /config}. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>(policyCount + 5);
        describe(lines, FilterKind.DENY, deny, !deny.isEmpty());
        describe(lines, FilterKind.AUDIT, audit, !audit.isEmpty());
        describe(lines, FilterKind.ALLOW, allow, hasAllowFilter);
        describe(lines, FilterKind.DRY_RUN_DENY, dryRunDeny, !dryRunDeny.isEmpty());
        describe(lines, FilterKind.DRY_RUN_ALLOW, dryRunAllow, hasDryRunAllowFilter);
        return List.copyOf(lines);
    }

    private static void describe(List<String> lines, FilterKind kind, List<CompiledPolicy> policies, boolean present) {
        if (present) {
            lines.add(kind + " (" + policies.size() + (policies.size() == 1 ? " policy)" : " policies)"));
            policies.forEach(policy -> lines.add("  " + policy));
        }
    }

    @Override
    public String toString() {
        return "AuthzEngine{version=" + version + ", deny=" + deny.size() + ", audit=" + audit.size() + ", allow="
                + (hasAllowFilter ? Integer.toString(allow.size()) : "none") + ", dryRunDeny=" + dryRunDeny.size()
                + ", dryRunAllow=" + (hasDryRunAllowFilter ? Integer.toString(dryRunAllow.size()) : "none")
                + ", cacheable=" + keyShape.cacheable() + '}';
    }
}
