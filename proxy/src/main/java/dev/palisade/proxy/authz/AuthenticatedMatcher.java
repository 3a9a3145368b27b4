package dev.palisade.proxy.authz;

import org.jspecify.annotations.Nullable;

/**
 * {@code authenticated}: the peer presented a verified SPIFFE certificate, and, when {@code
 * principal_name} is set, its SPIFFE ID matches. A plaintext peer never matches. The compiler
 * only lets literal comparisons (and the regex {@code .+} for "any authenticated peer") through,
 * so a {@code .} in a principal is a dot.
 */
final class AuthenticatedMatcher implements Matcher {

    private final @Nullable StringMatch principalName;

    /** @param principalName the SPIFFE ID comparison, or {@code null}: any authenticated peer */
    AuthenticatedMatcher(@Nullable StringMatch principalName) {
        this.principalName = principalName;
    }

    @Override
    public boolean matches(AuthzRequest request) {
        String peer = request.peerPrincipal();
        return peer != null && (principalName == null || principalName.matches(peer));
    }

    @Override
    public Trace trace(AuthzRequest request) {
        String peer = request.peerPrincipal();
        return Trace.leaf(
                matches(request),
                Rejection.printable("principal " + (peer == null ? "(none: plaintext peer)" : peer)),
                Rejection.printable(expected()));
    }

    private String expected() {
        return principalName == null ? "any authenticated peer" : principalName.describe();
    }

    @Override
    public String describe() {
        return "authenticated " + expected();
    }
}
