package dev.palisade.proxy.authz;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.Int32Range;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Test-only builders of the Envoy RBAC protos exactly as the contract with the policy compiler
 * shapes them: policies named {@code ns[..]-policy[..]-rule[..]}, HTTP filters with {@code rules}
 * (DENY, LOG, ALLOW) or only {@code shadow_rules} (dry-run DENY, dry-run ALLOW).
 */
final class Rbac {

    static final String TRUST_DOMAIN = "cluster.local";

    private Rbac() {}

    // ---- names and policies

    /** {@code ns[<namespace>]-policy[<policy>]-rule[<rule>]}. */
    static String name(String namespace, String policy, int rule) {
        return "ns[" + namespace + "]-policy[" + policy + "]-rule[" + rule + "]";
    }

    /** A policy in namespace {@code shop} with rule 0. */
    static Map.Entry<String, Policy> policy(String policyName, Permission permission, Principal principal) {
        return Map.entry(name("shop", policyName, 0), policy(List.of(permission), List.of(principal)));
    }

    static Policy policy(List<Permission> permissions, List<Principal> principals) {
        return Policy.newBuilder()
                .addAllPermissions(permissions)
                .addAllPrincipals(principals)
                .build();
    }

    // ---- filters, in the contract's order

    @SafeVarargs
    static RBAC deny(Map.Entry<String, Policy>... policies) {
        return rules(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY, policies);
    }

    @SafeVarargs
    static RBAC audit(Map.Entry<String, Policy>... policies) {
        return rules(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.LOG, policies);
    }

    @SafeVarargs
    static RBAC allow(Map.Entry<String, Policy>... policies) {
        return rules(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW, policies);
    }

    @SafeVarargs
    static RBAC dryRunDeny(Map.Entry<String, Policy>... policies) {
        return RBAC.newBuilder()
                .setShadowRules(config(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY, policies))
                .setShadowRulesStatPrefix("palisade_dry_run_")
                .build();
    }

    @SafeVarargs
    static RBAC dryRunAllow(Map.Entry<String, Policy>... policies) {
        return RBAC.newBuilder()
                .setShadowRules(config(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW, policies))
                .setShadowRulesStatPrefix("palisade_dry_run_")
                .build();
    }

    @SafeVarargs
    private static RBAC rules(
            io.envoyproxy.envoy.config.rbac.v3.RBAC.Action action, Map.Entry<String, Policy>... policies) {
        return RBAC.newBuilder().setRules(config(action, policies)).build();
    }

    @SafeVarargs
    static io.envoyproxy.envoy.config.rbac.v3.RBAC config(
            io.envoyproxy.envoy.config.rbac.v3.RBAC.Action action, Map.Entry<String, Policy>... policies) {
        io.envoyproxy.envoy.config.rbac.v3.RBAC.Builder builder =
                io.envoyproxy.envoy.config.rbac.v3.RBAC.newBuilder().setAction(action);
        Arrays.stream(policies).forEach(p -> builder.putPolicies(p.getKey(), p.getValue()));
        return builder.build();
    }

    /** Compiles HTTP filters at version {@code v1}, failing the test on a config error. */
    static AuthzEngine compile(RBAC... filters) {
        return compile("v1", filters);
    }

    static AuthzEngine compile(String version, RBAC... filters) {
        try {
            return RbacCompiler.compile(version, List.of(filters));
        } catch (RbacConfigException e) {
            throw new AssertionError("does not compile: " + e.getMessage(), e);
        }
    }

    // ---- string matchers

    static StringMatcher exact(String value) {
        return StringMatcher.newBuilder().setExact(value).build();
    }

    static StringMatcher prefix(String value) {
        return StringMatcher.newBuilder().setPrefix(value).build();
    }

    static StringMatcher suffix(String value) {
        return StringMatcher.newBuilder().setSuffix(value).build();
    }

    static StringMatcher contains(String value) {
        return StringMatcher.newBuilder().setContains(value).build();
    }

    static StringMatcher regex(String regex) {
        return StringMatcher.newBuilder()
                .setSafeRegex(RegexMatcher.newBuilder().setRegex(regex))
                .build();
    }

    static StringMatcher ignoringCase(StringMatcher matcher) {
        return matcher.toBuilder().setIgnoreCase(true).build();
    }

    // ---- permissions

    static Permission anyPermission() {
        return Permission.newBuilder().setAny(true).build();
    }

    /** {@code methods: [M]}. */
    static Permission method(String method) {
        return header(":method", exact(method));
    }

    /** {@code paths: ["/exact"]}. */
    static Permission path(String exact) {
        return urlPath(exact(exact));
    }

    /** {@code paths: ["/prefix*"]}. */
    static Permission pathPrefix(String prefix) {
        return urlPath(prefix(prefix));
    }

    static Permission urlPath(StringMatcher matcher) {
        return Permission.newBuilder()
                .setUrlPath(PathMatcher.newBuilder().setPath(matcher))
                .build();
    }

    /** {@code hosts: ["a.example"]}. */
    static Permission host(String host) {
        return header(":authority", ignoringCase(exact(host)));
    }

    static Permission header(String name, StringMatcher matcher) {
        return Permission.newBuilder().setHeader(headerMatcher(name, matcher)).build();
    }

    static Permission headerInverted(String name, StringMatcher matcher) {
        return Permission.newBuilder()
                .setHeader(headerMatcher(name, matcher).toBuilder().setInvertMatch(true))
                .build();
    }

    static Permission headerPresent(String name, boolean present) {
        return Permission.newBuilder()
                .setHeader(HeaderMatcher.newBuilder().setName(name).setPresentMatch(present))
                .build();
    }

    static Permission headerPresentInverted(String name, boolean present) {
        return Permission.newBuilder()
                .setHeader(HeaderMatcher.newBuilder()
                        .setName(name)
                        .setPresentMatch(present)
                        .setInvertMatch(true))
                .build();
    }

    static HeaderMatcher headerMatcher(String name, StringMatcher matcher) {
        return HeaderMatcher.newBuilder().setName(name).setStringMatch(matcher).build();
    }

    static Permission port(int port) {
        return Permission.newBuilder().setDestinationPort(port).build();
    }

    static Permission portRange(int start, int end) {
        return Permission.newBuilder()
                .setDestinationPortRange(Int32Range.newBuilder().setStart(start).setEnd(end))
                .build();
    }

    static Permission destinationIp(String address, int prefixLength) {
        return Permission.newBuilder()
                .setDestinationIp(cidr(address, prefixLength))
                .build();
    }

    static Permission serverName(StringMatcher matcher) {
        return Permission.newBuilder().setRequestedServerName(matcher).build();
    }

    static Permission and(Permission... rules) {
        return Permission.newBuilder()
                .setAndRules(Permission.Set.newBuilder().addAllRules(List.of(rules)))
                .build();
    }

    static Permission or(Permission... rules) {
        return Permission.newBuilder()
                .setOrRules(Permission.Set.newBuilder().addAllRules(List.of(rules)))
                .build();
    }

    static Permission not(Permission rule) {
        return Permission.newBuilder().setNotRule(rule).build();
    }

    // ---- principals

    static Principal anyPrincipal() {
        return Principal.newBuilder().setAny(true).build();
    }

    /** {@code principals: ["spiffe://..."]}: an exact SPIFFE ID. */
    static Principal principal(String spiffeId) {
        return authenticated(exact(spiffeId));
    }

    /** {@code namespaces: ["ns"]}. */
    static Principal namespace(String namespace) {
        return authenticated(prefix("spiffe://" + TRUST_DOMAIN + "/ns/" + namespace + "/sa/"));
    }

    /** {@code principals: ["*"]}: any authenticated peer. */
    static Principal anyAuthenticated() {
        return authenticated(regex(".+"));
    }

    static Principal authenticated(StringMatcher matcher) {
        return Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(matcher))
                .build();
    }

    /** {@code ipBlocks: ["a/n"]}. */
    static Principal ipBlock(String address, int prefixLength) {
        return Principal.newBuilder()
                .setDirectRemoteIp(cidr(address, prefixLength))
                .build();
    }

    static Principal remoteIp(String address, int prefixLength) {
        return Principal.newBuilder().setRemoteIp(cidr(address, prefixLength)).build();
    }

    @SuppressWarnings("deprecation")
    static Principal sourceIp(String address, int prefixLength) {
        return Principal.newBuilder().setSourceIp(cidr(address, prefixLength)).build();
    }

    static Principal principalHeader(String name, StringMatcher matcher) {
        return Principal.newBuilder().setHeader(headerMatcher(name, matcher)).build();
    }

    static Principal principalPath(StringMatcher matcher) {
        return Principal.newBuilder()
                .setUrlPath(PathMatcher.newBuilder().setPath(matcher))
                .build();
    }

    static Principal andIds(Principal... ids) {
        return Principal.newBuilder()
                .setAndIds(Principal.Set.newBuilder().addAllIds(List.of(ids)))
                .build();
    }

    static Principal orIds(Principal... ids) {
        return Principal.newBuilder()
                .setOrIds(Principal.Set.newBuilder().addAllIds(List.of(ids)))
                .build();
    }

    static Principal notId(Principal id) {
        return Principal.newBuilder().setNotId(id).build();
    }

    static CidrRange cidr(String address, int prefixLength) {
        return CidrRange.newBuilder()
                .setAddressPrefix(address)
                .setPrefixLen(UInt32Value.of(prefixLength))
                .build();
    }
}
