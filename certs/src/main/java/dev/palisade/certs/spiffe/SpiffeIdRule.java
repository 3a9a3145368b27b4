package dev.palisade.certs.spiffe;

/**
 * The rules of the SPIFFE ID specification (SPIFFE-ID.md §2), one constant each, so that a refusal
 * says exactly which one an input broke.
 */
public enum SpiffeIdRule {
    EMPTY("SPIFFE ID is empty"),
    SCHEME("scheme must be exactly 'spiffe://' (lower case)"),
    TRUST_DOMAIN_MISSING("trust domain is missing"),
    TRUST_DOMAIN_CHARACTERS(
            "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores"),
    TRUST_DOMAIN_TOO_LONG("trust domain is longer than 255 bytes"),
    PORT("trust domain must not contain a port"),
    USER_INFO("SPIFFE ID must not contain user info"),
    PERCENT_ENCODING("SPIFFE ID must not contain percent-encoded characters"),
    QUERY("SPIFFE ID must not contain a query"),
    FRAGMENT("SPIFFE ID must not contain a fragment"),
    PATH_EMPTY_SEGMENT("path cannot contain empty segments"),
    PATH_DOT_SEGMENT("path cannot contain dot segments ('.' or '..')"),
    PATH_TRAILING_SLASH("path cannot have a trailing slash"),
    PATH_CHARACTERS("path segment characters are limited to letters, numbers, dots, dashes, and underscores"),
    PATH_REQUIRED("a workload SPIFFE ID must have a non-empty path"),
    TOO_LONG("SPIFFE ID is longer than 2048 bytes");

    private final String message;

    SpiffeIdRule(String message) {
        this.message = message;
    }

    /** A sentence that explains the rule to an operator. */
    public String message() {
        return message;
    }
}
