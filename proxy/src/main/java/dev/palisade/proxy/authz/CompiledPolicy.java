package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

/**
 * One RBAC {@code Policy}, compiled: it matches when any of its permissions and any of its
 * principals match. Immutable and thread-safe.
 */
final class CompiledPolicy {

    private final PolicyRef ref;
    private final Matcher permissions;
    private final Matcher principals;
    private final Prefilter prefilter;

    CompiledPolicy(PolicyRef ref, Matcher permissions, Matcher principals) {
        this.ref = requireNonNull(ref, "ref");
        this.permissions = requireNonNull(permissions, "permissions");
        this.principals = requireNonNull(principals, "principals");
        this.prefilter = permissions.prefilter();
    }

    PolicyRef ref() {
        return ref;
    }

    boolean matches(AuthzRequest request) {
        return prefilter.admits(request) && permissions.matches(request) && principals.matches(request);
    }

    /** Both halves traced; the failure is the first failed condition, permissions first (Envoy's order). */
    Trace trace(AuthzRequest request) {
        Trace permissionTrace = permissions.trace(request);
        Trace principalTrace = principals.trace(request);
        String failure;
        if (!permissionTrace.matched()) {
            failure = "permissions: " + permissionTrace.failure();
        } else if (!principalTrace.matched()) {
            failure = "principals: " + principalTrace.failure();
        } else {
            failure = "";
        }
        return new Trace(
                permissionTrace.matched() && principalTrace.matched(),
                permissionTrace.satisfied() + principalTrace.satisfied(),
                permissionTrace.total() + principalTrace.total(),
                failure,
                null,
                null);
    }

    @Override
    public String toString() {
        return ref.name() + ": permissions " + permissions.describe() + ", principals " + principals.describe();
    }
}
