package dev.palisade.certs.spiffe;

import static java.util.Objects.requireNonNull;

/**
 * A SPIFFE trust domain: the authority part of a SPIFFE ID, such as {@code cluster.local}.
 *
 * <p>Immutable. Two trust domains are equal when their names are equal; names are always lower case
 * (SPIFFE-ID.md §2.1), so there is no case folding to get wrong.
 */
public final class TrustDomain {
    static final int MAX_LENGTH = 255;

    private final String name;

    private TrustDomain(String name) {
        this.name = name;
    }

    /**
     * Parses a trust domain name ({@code example.org}) or the SPIFFE ID of a trust domain
     * ({@code spiffe://example.org}).
     *
     * @throws InvalidSpiffeIdException naming the broken rule
     */
    public static TrustDomain parse(String nameOrId) {
        requireNonNull(nameOrId, "nameOrId");
        if (nameOrId.isEmpty()) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.TRUST_DOMAIN_MISSING, nameOrId);
        }
        if (nameOrId.contains(":/")) {
            SpiffeId id = SpiffeId.parseAny(nameOrId);
            if (!id.path().isEmpty()) {
                throw new InvalidSpiffeIdException(SpiffeIdRule.TRUST_DOMAIN_CHARACTERS, nameOrId);
            }
            return id.trustDomain();
        }
        return new TrustDomain(validateName(nameOrId, nameOrId));
    }

    /** For names already checked by {@link #validateName}. */
    static TrustDomain ofValidated(String name) {
        return new TrustDomain(name);
    }

    /** Checks {@code name} against SPIFFE-ID.md §2.1 and returns it; {@code input} is the whole string, for messages. */
    static String validateName(String name, String input) {
        if (name.isEmpty()) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.TRUST_DOMAIN_MISSING, input);
        }
        if (name.length() > MAX_LENGTH) {
            throw new InvalidSpiffeIdException(SpiffeIdRule.TRUST_DOMAIN_TOO_LONG, input);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') {
                continue;
            }
            throw new InvalidSpiffeIdException(ruleForTrustDomainChar(c), input);
        }
        return name;
    }

    private static SpiffeIdRule ruleForTrustDomainChar(char c) {
        return switch (c) {
            case ':' -> SpiffeIdRule.PORT;
            case '@' -> SpiffeIdRule.USER_INFO;
            case '%' -> SpiffeIdRule.PERCENT_ENCODING;
            case '?' -> SpiffeIdRule.QUERY;
            case '#' -> SpiffeIdRule.FRAGMENT;
            default -> SpiffeIdRule.TRUST_DOMAIN_CHARACTERS;
        };
    }

    /** The trust domain's name, for example {@code cluster.local}. */
    public String name() {
        return name;
    }

    /** The SPIFFE ID of the trust domain itself, {@code spiffe://<name>}. */
    public SpiffeId id() {
        return SpiffeId.of(this, "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustDomain other && name.equals(other.name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
