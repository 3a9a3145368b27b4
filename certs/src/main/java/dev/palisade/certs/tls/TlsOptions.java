package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.x509.SvidVerifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How Palisade's TLS contexts are built.
 *
 * @param minVersion the oldest version accepted; TLS 1.3 by default, 1.2 when an operator allows it
 * @param provider BoringSSL or the JDK
 * @param groups key-exchange groups in preference order (BoringSSL only; the JDK 17 provider uses its
 *     own defaults, X25519 first, so a context built on it refuses any other list); {@code X25519MLKEM768}
 *     is dropped where the BoringSSL build does not know it
 * @param alpn application protocols to offer or accept, in preference order (empty: no ALPN)
 * @param clockSkew tolerated difference between the peers' clocks when checking validity windows
 */
public record TlsOptions(
        TlsVersion minVersion, TlsProvider provider, List<String> groups, List<String> alpn, Duration clockSkew) {

    /** The hybrid post-quantum group (ML-KEM-768 + X25519), as Linkerd and Chrome already offer it. */
    public static final String X25519_MLKEM768 = "X25519MLKEM768";

    /** {@link #DEFAULT_GROUPS} as an option's value: a constant, for annotations and help texts. */
    public static final String DEFAULT_GROUPS_LINE = "X25519MLKEM768,X25519,P-256";

    public static final List<String> DEFAULT_GROUPS = List.of(DEFAULT_GROUPS_LINE.split(","));

    /**
     * The key-exchange groups an operator may choose from, by BoringSSL's names: the hybrid, X25519 and the NIST
     * curves of 256 bits and more. Every one is a strong choice; the list is closed so that a misspelt name is an
     * error at start-up instead of a group that BoringSSL silently does not offer.
     */
    public static final List<String> KNOWN_GROUPS = List.of(X25519_MLKEM768, "X25519", "P-256", "P-384", "P-521");

    /** {@link #KNOWN_GROUPS} for help texts. */
    public static final String KNOWN_GROUPS_TEXT = "X25519MLKEM768 (hybrid post-quantum), X25519, P-256, P-384, P-521";

    public TlsOptions {
        requireNonNull(minVersion, "minVersion");
        requireNonNull(provider, "provider");
        groups = List.copyOf(requireNonNull(groups, "groups"));
        alpn = List.copyOf(requireNonNull(alpn, "alpn"));
        requireNonNull(clockSkew, "clockSkew");
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("groups: empty (expected: at least one key-exchange group)");
        }
        if (clockSkew.isNegative() || clockSkew.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("clockSkew: " + clockSkew + " (expected: 0s..1h)");
        }
    }

    /**
     * Key-exchange groups from a comma-separated list in preference order, such as {@code X25519,P-256}.
     *
     * @throws IllegalArgumentException naming the first entry that is empty, unknown or repeated
     */
    public static List<String> parseGroups(String commaSeparated) {
        requireNonNull(commaSeparated, "commaSeparated");
        List<String> groups = new ArrayList<>();
        String[] entries = commaSeparated.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String group = entries[i].strip();
            String where = "entry " + (i + 1) + " of '" + commaSeparated + "'";
            if (group.isEmpty()) {
                throw new IllegalArgumentException(where + " is empty (expected: a comma-separated list of "
                        + String.join(", ", KNOWN_GROUPS) + ")");
            }
            if (!KNOWN_GROUPS.contains(group)) {
                throw new IllegalArgumentException(where + ", '" + group + "', is not a key-exchange group"
                        + " (expected one of " + String.join(", ", KNOWN_GROUPS) + "; names are case-sensitive)");
            }
            if (groups.contains(group)) {
                throw new IllegalArgumentException(where + ", '" + group + "', is given twice");
            }
            groups.add(group);
        }
        return List.copyOf(groups);
    }

    /** TLS 1.3 only, BoringSSL when available, post-quantum hybrid preferred, no ALPN, one minute of skew. */
    public static TlsOptions defaults() {
        return new TlsOptions(
                TlsVersion.TLS_1_3, TlsProvider.AUTO, DEFAULT_GROUPS, List.of(), SvidVerifier.DEFAULT_SKEW);
    }

    public TlsOptions withMinVersion(TlsVersion minVersion) {
        return new TlsOptions(minVersion, provider, groups, alpn, clockSkew);
    }

    public TlsOptions withProvider(TlsProvider provider) {
        return new TlsOptions(minVersion, provider, groups, alpn, clockSkew);
    }

    public TlsOptions withGroups(List<String> groups) {
        return new TlsOptions(minVersion, provider, groups, alpn, clockSkew);
    }

    public TlsOptions withAlpn(List<String> alpn) {
        return new TlsOptions(minVersion, provider, groups, alpn, clockSkew);
    }

    public TlsOptions withClockSkew(Duration clockSkew) {
        return new TlsOptions(minVersion, provider, groups, alpn, clockSkew);
    }
}
