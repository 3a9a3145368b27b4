package dev.palisade.proxy.authz;

/** {@code any: true}: matches every request. */
final class AnyMatcher implements Matcher {

    static final AnyMatcher INSTANCE = new AnyMatcher();

    private AnyMatcher() {}

    @Override
    public boolean matches(AuthzRequest request) {
        return true;
    }

    @Override
    public Trace trace(AuthzRequest request) {
        return Trace.leaf(true, "");
    }

    @Override
    public String describe() {
        return "any";
    }
}
