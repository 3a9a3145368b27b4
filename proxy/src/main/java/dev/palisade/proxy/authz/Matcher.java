package dev.palisade.proxy.authz;

/**
 * One node of a compiled RBAC {@code Permission} or {@code Principal} tree: plain Java, no proto,
 * made once by {@link RbacCompiler} and shared by every request. Implementations are immutable and
 * thread-safe.
 */
interface Matcher {

    /** Whether the request matches; the data path's question, so allocation-free where possible. */
    boolean matches(AuthzRequest request);

    /** The same answer as {@link #matches}, with the reasons; for explanations only. */
    Trace trace(AuthzRequest request);

    /** A necessary condition on method and path for this matcher to match ({@link Prefilter}). */
    default Prefilter prefilter() {
        return Prefilter.NONE;
    }

    /** This matcher in words, such as {@code header :method GET} or {@code not(url_path prefix /a)}. */
    String describe();
}
