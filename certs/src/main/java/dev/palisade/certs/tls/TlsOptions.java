package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.x509.SvidVerifier;
import java.time.Duration;
import java.util.List;

/**
 * How Palisade's TLS contexts are built.
 *
 * @param minVersion the oldest version accepted; TLS 1.3 by default, 1.2 when an operator allows it
 * @param provider BoringSSL or the JDK
 * @param groups key-exchange groups in preference order (BoringSSL only; the JDK 17 provider uses its
 *     own defaults, X25519 first); {@code X25519MLKEM768} is dropped where the BoringSSL build does
 *     not know it
 * @param alpn application protocols to offer or accept, in preference order (empty: no ALPN)
 * @param clockSkew tolerated difference between the peers' clocks when checking validity windows
 */
public record TlsOptions(
        TlsVersion minVersion, TlsProvider provider, List<String> groups, List<String> alpn, Duration clockSkew) {

    /** The hybrid post-quantum group (ML-KEM-768 + X25519), as Linkerd and Chrome already offer it. */
    public static final String X25519_MLKEM768 = "X25519MLKEM768";

    public static final List<String> DEFAULT_GROUPS = List.of(X25519_MLKEM768, "X25519", "P-256");

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
