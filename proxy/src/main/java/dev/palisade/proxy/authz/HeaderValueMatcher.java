package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A {@code HeaderMatcher} with a {@code string_match}, under a {@link MultiValueMode} fixed at
 * compile time.
 *
 * <p>{@link MultiValueMode#ANY}: the condition holds when any field value matches, or any element
 * of a comma-separated field value (trimmed of spaces and tabs), or all field values joined with
 * {@code ,} (what Envoy matches). The elements count because RFC 9110 §5.3 makes {@code x: a, b}
 * one field and {@code x: a} plus {@code x: b} two fields the same header: without them a client
 * would evade a DENY condition on {@code b} by joining the values itself. {@link
 * MultiValueMode#EVERY}: every field value, whole, matches, and there is at least one; values are
 * not split, since many headers (User-Agent, dates) carry commas that do not separate list
 * elements, and a whole value that does not match already fails.
 *
 * <p>An absent header never matches, inverted or not, as in Envoy. {@code invert_match} negates
 * the operand evaluated in the flipped mode, so in a DENY filter an inverted condition holds when
 * some value fails to match, and in an ALLOW filter only when no value, element or joined value
 * matches.
 */
final class HeaderValueMatcher implements Matcher {

    private final HeaderRef header;
    private final StringMatch match;
    private final MultiValueMode mode;
    private final boolean inverted;

    HeaderValueMatcher(HeaderRef header, StringMatch match, MultiValueMode mode, boolean inverted) {
        this.header = requireNonNull(header, "header");
        this.match = requireNonNull(match, "match");
        this.mode = requireNonNull(mode, "mode");
        this.inverted = inverted;
    }

    HeaderRef header() {
        return header;
    }

    StringMatch match() {
        return match;
    }

    MultiValueMode mode() {
        return mode;
    }

    boolean inverted() {
        return inverted;
    }

    @Override
    public Prefilter prefilter() {
        if (!inverted && header.isMethod() && match.kind() == StringMatch.Kind.EXACT && !match.ignoreCase()) {
            return Prefilter.method(match.pattern());
        }
        return Prefilter.NONE;
    }

    @Override
    public boolean matches(AuthzRequest request) {
        if (header.isPseudo()) {
            String value = header.pseudoValue(request);
            return value != null && match.matches(value) != inverted;
        }
        List<String> values = header.fieldValues(request);
        if (values.isEmpty()) {
            return false;
        }
        boolean operand = (inverted ? mode.flip() : mode) == MultiValueMode.ANY ? any(values) : every(values);
        return operand != inverted;
    }

    private boolean any(List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (match.matches(values.get(i))) {
                return true;
            }
        }
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            if (value.indexOf(',') >= 0 && anyElement(value)) {
                return true;
            }
        }
        return values.size() > 1 && match.matches(String.join(",", values));
    }

    /** Whether an element of the comma-separated list {@code value} matches; empty elements are skipped (RFC 9110 §5.6.1). */
    private boolean anyElement(String value) {
        int start = 0;
        while (start <= value.length()) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? value.length() : comma;
            int from = start;
            int to = end;
            while (from < to && isWhitespace(value.charAt(from))) {
                from++;
            }
            while (to > from && isWhitespace(value.charAt(to - 1))) {
                to--;
            }
            if (to > from && match.matches(value.substring(from, to))) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    private boolean every(List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (!match.matches(values.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Trace trace(AuthzRequest request) {
        boolean several = header.allValues(request).size() > 1;
        MultiValueMode operandMode = inverted ? mode.flip() : mode;
        String quantifier = !several ? "" : operandMode == MultiValueMode.ANY ? " (any value)" : " (every value)";
        String expected = (inverted ? "not " : "") + match.describe() + quantifier;
        return Trace.leaf(matches(request), header.subject(request), Rejection.printable(expected));
    }

    @Override
    public String describe() {
        return "header " + header + (inverted ? " not " : " ") + match.describe();
    }
}
