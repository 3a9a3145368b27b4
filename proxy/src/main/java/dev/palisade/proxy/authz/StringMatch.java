package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import com.google.re2j.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A compiled Envoy {@code StringMatcher}: exact, prefix, suffix, contains or {@code safe_regex},
 * with {@code ignore_case} for all but the regex.
 *
 * <p>{@code ignore_case} folds ASCII letters only, as Envoy does ({@code absl::EqualsIgnoreCase}):
 * Java's own case-insensitive comparisons also fold non-ASCII characters (the Kelvin sign is a
 * {@code k} to {@link String#equalsIgnoreCase}), which would let a value that Envoy sees as
 * different match. A regex matches the whole value (Envoy's {@code safe_regex} is a full match)
 * with RE2 semantics, through RE2/J: linear time, no backreferences. Immutable and thread-safe.
 */
final class StringMatch {

    /** Which comparison. */
    enum Kind {
        EXACT,
        PREFIX,
        SUFFIX,
        CONTAINS,
        REGEX
    }

    private final Kind kind;
    private final String pattern;
    private final boolean ignoreCase;
    private final @Nullable Pattern regex;

    private StringMatch(Kind kind, String pattern, boolean ignoreCase, @Nullable Pattern regex) {
        this.kind = kind;
        this.pattern = pattern;
        this.ignoreCase = ignoreCase;
        this.regex = regex;
    }

    /** An exact, prefix, suffix or contains comparison. */
    static StringMatch literal(Kind kind, String pattern, boolean ignoreCase) {
        requireNonNull(kind, "kind");
        requireNonNull(pattern, "pattern");
        if (kind == Kind.REGEX) {
            throw new IllegalArgumentException("kind: REGEX (expected: a literal comparison)");
        }
        return new StringMatch(kind, ignoreCase ? lowerAscii(pattern) : pattern, ignoreCase, null);
    }

    /** A full match of a compiled RE2 regex. */
    static StringMatch regex(Pattern regex) {
        return new StringMatch(Kind.REGEX, regex.pattern(), false, regex);
    }

    Kind kind() {
        return kind;
    }

    boolean ignoreCase() {
        return ignoreCase;
    }

    /** The pattern; lower-cased (ASCII) when {@code ignore_case}. */
    String pattern() {
        return pattern;
    }

    boolean matches(String value) {
        return switch (kind) {
            case EXACT ->
                ignoreCase ? value.length() == pattern.length() && regionMatchesAscii(value, 0) : value.equals(pattern);
            case PREFIX ->
                ignoreCase
                        ? value.length() >= pattern.length() && regionMatchesAscii(value, 0)
                        : value.startsWith(pattern);
            case SUFFIX ->
                ignoreCase
                        ? value.length() >= pattern.length()
                                && regionMatchesAscii(value, value.length() - pattern.length())
                        : value.endsWith(pattern);
            case CONTAINS -> ignoreCase ? containsAscii(value) : value.contains(pattern);
            case REGEX -> requireNonNull(regex).matches(value);
        };
    }

    /** The matcher in words: {@code /v1/admin}, {@code prefix /v1/}, {@code regex .+ }... */
    String describe() {
        String text =
                switch (kind) {
                    case EXACT -> pattern.isEmpty() ? "\"\"" : pattern;
                    case PREFIX -> "prefix " + pattern;
                    case SUFFIX -> "suffix " + pattern;
                    case CONTAINS -> "contains " + pattern;
                    case REGEX -> "regex " + pattern;
                };
        return ignoreCase ? text + " (ignoring case)" : text;
    }

    @Override
    public String toString() {
        return describe();
    }

    private boolean regionMatchesAscii(String value, int offset) {
        for (int i = 0; i < pattern.length(); i++) {
            if (lowerAscii(value.charAt(offset + i)) != pattern.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean containsAscii(String value) {
        for (int offset = 0; offset + pattern.length() <= value.length(); offset++) {
            if (regionMatchesAscii(value, offset)) {
                return true;
            }
        }
        return false;
    }

    private static char lowerAscii(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    static String lowerAscii(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            out.append(lowerAscii(s.charAt(i)));
        }
        return out.toString();
    }
}
