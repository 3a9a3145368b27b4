package dev.palisade.proxy.inbound;

import dev.palisade.proxy.authz.AuthzEngine;
import dev.palisade.proxy.authz.RbacCompiler;
import dev.palisade.proxy.authz.RbacConfigException;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/**
 * Hand-written Envoy RBAC configs, as the control plane compiles AuthorizationPolicies, for the inbound tests.
 *
 * <p>The HTTP policy of version {@code v1}: DENY {@code /admin*} for everyone; ALLOW everything to {@link
 * TestPki#CHECKOUT}; ALLOW {@code /public*} to anyone, plaintext peers included. Version {@code v2} denies everything
 * ({@code /} prefix DENY). The TCP policy allows {@link TestPki#CHECKOUT} only.
 */
final class Policies {

    private Policies() {}

    static AuthzEngine httpV1() {
        return compile(
                "v1",
                rules(RBAC.Action.DENY, "deny-admin", pathPrefix("/admin"), anyPrincipal()),
                rules(RBAC.Action.ALLOW, "checkout", anyPermission(), principal(TestPki.CHECKOUT)),
                rules(RBAC.Action.ALLOW, "public", pathPrefix("/public"), anyPrincipal()));
    }

    static AuthzEngine httpDenyAll(String version) {
        return compile(version, rules(RBAC.Action.DENY, "deny-all", pathPrefix("/"), anyPrincipal()));
    }

    static AuthzEngine tcpCheckoutOnly() {
        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC filter = io.envoyproxy
                .envoy
                .extensions
                .filters
                .network
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setRules(RBAC.newBuilder()
                        .setAction(RBAC.Action.ALLOW)
                        .putPolicies(name("tcp-checkout"), policy(anyPermission(), principal(TestPki.CHECKOUT))))
                .build();
        try {
            return RbacCompiler.compileTcp("tcp-v1", List.of(filter));
        } catch (RbacConfigException e) {
            throw new AssertionError(e);
        }
    }

    /** No TCP filter: the mesh default allows every peer, plaintext ones included. */
    static AuthzEngine tcpAllowAll() {
        try {
            return RbacCompiler.compileTcp("tcp-open", List.of());
        } catch (RbacConfigException e) {
            throw new AssertionError(e);
        }
    }

    /** One HTTP filter: DENY and ALLOW policies of several names must share one filter per action. */
    private static RBAC rules(RBAC.Action action, String policyName, Permission permission, Principal principal) {
        return RBAC.newBuilder()
                .setAction(action)
                .putPolicies(name(policyName), policy(permission, principal))
                .build();
    }

    private static AuthzEngine compile(String version, RBAC... configs) {
        // Merge configs of the same action into one filter, in the contract's order (DENY, then ALLOW).
        RBAC.Builder deny = null;
        RBAC.Builder allow = null;
        for (RBAC config : configs) {
            if (config.getAction() == RBAC.Action.DENY) {
                deny = deny == null ? config.toBuilder() : deny.putAllPolicies(config.getPoliciesMap());
            } else {
                allow = allow == null ? config.toBuilder() : allow.putAllPolicies(config.getPoliciesMap());
            }
        }
        java.util.ArrayList<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> filters =
                new java.util.ArrayList<>();
        if (deny != null) {
            filters.add(io.envoyproxy
                    .envoy
                    .extensions
                    .filters
                    .http
                    .rbac
                    .v3
                    .RBAC
                    .newBuilder()
                    .setRules(deny)
                    .build());
        }
        if (allow != null) {
            filters.add(io.envoyproxy
                    .envoy
                    .extensions
                    .filters
                    .http
                    .rbac
                    .v3
                    .RBAC
                    .newBuilder()
                    .setRules(allow)
                    .build());
        }
        try {
            return RbacCompiler.compile(version, filters);
        } catch (RbacConfigException e) {
            throw new AssertionError(e);
        }
    }

    private static String name(String policy) {
        return "ns[shop]-policy[" + policy + "]-rule[0]";
    }

    private static Policy policy(Permission permission, Principal principal) {
        return Policy.newBuilder()
                .addPermissions(permission)
                .addPrincipals(principal)
                .build();
    }

    private static Permission anyPermission() {
        return Permission.newBuilder().setAny(true).build();
    }

    private static Permission pathPrefix(String prefix) {
        return Permission.newBuilder()
                .setUrlPath(PathMatcher.newBuilder()
                        .setPath(StringMatcher.newBuilder().setPrefix(prefix)))
                .build();
    }

    private static Principal anyPrincipal() {
        return Principal.newBuilder().setAny(true).build();
    }

    private static Principal principal(String spiffeId) {
        return Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.newBuilder()
                        .setPrincipalName(StringMatcher.newBuilder().setExact(spiffeId)))
                .build();
    }
}
