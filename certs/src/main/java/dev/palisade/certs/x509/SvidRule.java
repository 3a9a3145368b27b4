package dev.palisade.certs.x509;

/**
 * The rules a peer's X.509-SVID chain must satisfy (SPIFFE X.509-SVID §4 and §5, RFC 5280), one
 * constant each. {@link SvidVerificationException#rule()} names the first one a chain broke.
 */
public enum SvidRule {
    /** The peer sent no certificate. */
    EMPTY_CHAIN,
    /** The leaf has no URI SAN (X.509-SVID §2). */
    NO_URI_SAN,
    /** The leaf has more than one URI SAN (X.509-SVID §2: exactly one). */
    MULTIPLE_URI_SANS,
    /** The URI SAN holds bytes no SPIFFE ID can contain (NUL, controls, spaces, non-ASCII). */
    MALFORMED_SAN,
    /** The URI SAN is not a valid workload SPIFFE ID (SPIFFE-ID.md §2; a non-empty path is required). */
    INVALID_SPIFFE_ID,
    /** The leaf's basicConstraints says CA:TRUE (X.509-SVID §4.1). */
    LEAF_IS_CA,
    /** The leaf has no keyUsage extension (X.509-SVID §4.3). */
    KEY_USAGE_MISSING,
    /** The leaf's keyUsage extension is not marked critical (X.509-SVID §4.3). */
    KEY_USAGE_NOT_CRITICAL,
    /** The leaf's keyUsage lacks digitalSignature (X.509-SVID §4.3). */
    MISSING_DIGITAL_SIGNATURE,
    /** The leaf's keyUsage has keyCertSign or cRLSign (X.509-SVID §4.3: a leaf must not sign). */
    LEAF_CAN_SIGN,
    /** The leaf has an extendedKeyUsage without both serverAuth and clientAuth (X.509-SVID §4.4). */
    EXTENDED_KEY_USAGE,
    /** A certificate of the chain, or the root, is not valid yet (beyond the allowed clock skew). */
    NOT_YET_VALID,
    /** A certificate of the chain, or the root, has expired (beyond the allowed clock skew). */
    EXPIRED,
    /** No trust bundle is configured for the trust domain of the peer's SPIFFE ID (X.509-SVID §5.2). */
    UNKNOWN_TRUST_DOMAIN,
    /** The chain does not lead to a root of its trust domain's bundle: a foreign CA or a missing intermediate. */
    UNKNOWN_ISSUER,
    /** A signature in the chain does not verify. */
    BAD_SIGNATURE,
    /** A certificate that signed another one is not a CA (basicConstraints CA:TRUE). */
    ISSUER_NOT_CA,
    /** A certificate that signed another one lacks keyCertSign. */
    ISSUER_CANNOT_SIGN,
    /** The key is too weak: RSA under 2048 bits, or an EC curve other than P-256 / P-384. */
    WEAK_KEY,
    /** A certificate of the chain is signed with a weak algorithm (SHA-1, MD5) or one Palisade does not know. */
    WEAK_SIGNATURE,
    /** Any other RFC 5280 path-validation failure (path length, name constraints, critical extensions). */
    PATH_VALIDATION,
    /** The chain is valid, but the peer's SPIFFE ID is not the one this connection expects. */
    UNEXPECTED_SPIFFE_ID
}
