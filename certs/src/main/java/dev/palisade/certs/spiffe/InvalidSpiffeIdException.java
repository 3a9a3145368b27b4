package dev.palisade.certs.spiffe;

import static java.util.Objects.requireNonNull;

/** Thrown when a string is not a valid SPIFFE ID or trust domain; {@link #rule()} says which rule it broke. */
public final class InvalidSpiffeIdException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final SpiffeIdRule rule;
    private final String input;

    public InvalidSpiffeIdException(SpiffeIdRule rule, String input) {
        super(rule.message() + ": '" + printable(input) + "'");
        this.rule = requireNonNull(rule, "rule");
        this.input = input;
    }

    public SpiffeIdRule rule() {
        return rule;
    }

    /** The rejected input, verbatim. */
    public String input() {
        return input;
    }

    /** Escapes control characters so that a hostile input cannot forge log lines. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 300));
        for (int i = 0; i < s.length() && i < 256; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (s.length() > 256) {
            sb.append("...");
        }
        return sb.toString();
    }
}
