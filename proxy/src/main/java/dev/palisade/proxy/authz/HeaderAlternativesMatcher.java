package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Alternatives on one header field in {@link MultiValueMode#EVERY} mode: an {@code or_rules} (or
 * {@code or_ids}, or a policy's list of permissions or principals) whose operands are all
 * positive {@code string_match} conditions on the same regular header, in positive position in an
 * ALLOW filter or under a negation in a DENY or LOG filter. It matches when there is at least one
 * value and every value matches at least one of the alternatives.
 *
 * <p>This is how the policy compiler writes {@code when: [{key: request.headers[x-tenant], values:
 * [acme, "beta-*"]}]}: one header condition per value, under an {@code or_rules}. Evaluated
 * operand by operand, each operand would demand that every value match <em>it</em>, so {@code
 * x-tenant: acme} plus {@code x-tenant: beta-1} would fail although each value is one the policy
 * lists. Here the set of acceptable values is the union of the alternatives, and every value must
 * be in it: no more permissive than the intent (a value outside every alternative still fails
 * the whole condition), and no less. Values are not split at commas, as in {@link
 * HeaderValueMatcher}'s EVERY mode.
 *
 * <p>{@link RbacCompiler} builds this only where the operands would otherwise each be EVERY-mode
 * {@link HeaderValueMatcher}s; in ANY mode (positive in DENY, or under a negation in ALLOW) an
 * {@link OrMatcher} of ANY-mode operands already means "any value matches any alternative".
 * Immutable and thread-safe.
 */
final class HeaderAlternativesMatcher implements Matcher {

    private final HeaderRef header;
    private final List<StringMatch> alternatives;

    HeaderAlternativesMatcher(HeaderRef header, List<StringMatch> alternatives) {
        this.header = requireNonNull(header, "header");
        this.alternatives = List.copyOf(alternatives);
        if (header.isPseudo()) {
            throw new IllegalArgumentException("header: " + header + " (expected: a regular header field)");
        }
        if (this.alternatives.isEmpty()) {
            throw new IllegalArgumentException("alternatives: empty (expected: at least one)");
        }
    }

    /**
     * The matcher equivalent to an OR of {@code operands} when they are two or more EVERY-mode,
     * non-inverted {@link HeaderValueMatcher}s on the same regular header; {@code null} otherwise.
     */
    static @Nullable HeaderAlternativesMatcher of(List<Matcher> operands) {
        if (operands.size() < 2) {
            return null;
        }
        HeaderRef first = null;
        StringMatch[] alternatives = new StringMatch[operands.size()];
        for (int i = 0; i < operands.size(); i++) {
            if (!(operands.get(i) instanceof HeaderValueMatcher operand)
                    || operand.mode() != MultiValueMode.EVERY
                    || operand.inverted()
                    || operand.header().isPseudo()) {
                return null;
            }
            if (first == null) {
                first = operand.header();
            } else if (!first.name().equals(operand.header().name())) {
                return null;
            }
            alternatives[i] = operand.match();
        }
        return new HeaderAlternativesMatcher(requireNonNull(first), List.of(alternatives));
    }

    @Override
    public boolean matches(AuthzRequest request) {
        List<String> values = header.fieldValues(request);
        if (values.isEmpty()) {
            return false;
        }
        for (int i = 0; i < values.size(); i++) {
            if (!matchesAnAlternative(values.get(i))) {
                return false;
            }
        }
        return true;
    }

    private boolean matchesAnAlternative(String value) {
        for (int i = 0; i < alternatives.size(); i++) {
            if (alternatives.get(i).matches(value)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Trace trace(AuthzRequest request) {
        boolean several = header.fieldValues(request).size() > 1;
        String expected = alternatives() + (several ? " (every value)" : "");
        return Trace.leaf(matches(request), header.subject(request), Rejection.printable(expected));
    }

    private String alternatives() {
        return alternatives.stream().map(StringMatch::describe).collect(Collectors.joining(" or "));
    }

    @Override
    public String describe() {
        return "header " + header + " (" + alternatives() + ")";
    }
}
