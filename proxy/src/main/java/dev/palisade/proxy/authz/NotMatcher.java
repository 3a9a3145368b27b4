package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

/**
 * {@code not_rule} / {@code not_id}: matches when the operand does not. The operand was compiled
 * with the flipped {@link MultiValueMode}, so that negating a header condition never loosens it.
 */
final class NotMatcher implements Matcher {

    private final Matcher operand;

    NotMatcher(Matcher operand) {
        this.operand = requireNonNull(operand, "operand");
    }

    @Override
    public boolean matches(AuthzRequest request) {
        return !operand.matches(request);
    }

    @Override
    public Trace trace(AuthzRequest request) {
        boolean matched = !operand.matches(request);
        return Trace.leaf(matched, operand.describe() + " matched, and the rule requires that it does not");
    }

    @Override
    public String describe() {
        return "not(" + operand.describe() + ")";
    }
}
