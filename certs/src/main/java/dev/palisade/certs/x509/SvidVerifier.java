package dev.palisade.certs.x509;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.jspecify.annotations.Nullable;

/**
 * Verifies a peer's certificate chain as an X.509-SVID (SPIFFE X.509-SVID §4, §5) and returns the
 * peer's SPIFFE ID.
 *
 * <p>Order of checks: the leaf's own properties first (one URI SAN holding a valid workload SPIFFE
 * ID, not a CA, a critical keyUsage with digitalSignature and without keyCertSign / cRLSign, both
 * serverAuth and clientAuth when an extendedKeyUsage is present, a strong key), then the validity
 * window of every certificate (with {@code skew} of tolerance either way), then the chain itself
 * against the bundle of the leaf's own trust domain only (RFC 5280 path validation by the JDK's
 * PKIX validator, revocation off: SVIDs are short-lived instead). The first broken rule is thrown as
 * an {@link SvidVerificationException}.
 *
 * <p>The URI SAN is read from the DER of the extension, byte for byte: a NUL or any byte outside
 * printable ASCII is refused rather than truncated or decoded, so that the ID we authorise is the
 * ID the certificate carries.
 *
 * <p>Thread-safe and immutable; cheap enough to call on every handshake.
 */
public final class SvidVerifier {
    /** Default tolerance for clocks that disagree between peers. */
    public static final Duration DEFAULT_SKEW = Duration.ofMinutes(1);

    /**
     * The SPIFFE IDs of certificates parsed so far, by encoding. Parsing the subjectAltName with Bouncy Castle parses
     * the whole certificate, and a sidecar does it for every connection (the handshake, the resumption check, the
     * peer's identity for authorization) with the same few hundred peer certificates: it was 4 % of the server
     * sidecar's CPU in the handshake-bound load. A pure function of the bytes, so a hit is exactly what a parse would
     * give; failures are not cached. Bounded by the bytes it holds (1 MiB, about 1,500 SVIDs), not by count: the parse
     * comes before any signature check, so any peer can add its certificate, and a count would let large ones fill
     * the heap. Such a peer can only evict entries, which costs a parse again.
     */
    private static final Cache<Encoding, SpiffeId> SPIFFE_IDS = Caffeine.newBuilder()
            .maximumWeight(1 << 20)
            .weigher((Encoding key, SpiffeId id) -> key.der.length)
            .build();

    private final TrustBundleSet bundles;
    private final Clock clock;
    private final Duration skew;

    private SvidVerifier(TrustBundleSet bundles, Clock clock, Duration skew) {
        this.bundles = bundles;
        this.clock = clock;
        this.skew = skew;
    }

    /** A verifier for {@code bundles} with the system clock and {@link #DEFAULT_SKEW}. */
    public static SvidVerifier of(TrustBundleSet bundles) {
        return of(bundles, Clock.systemUTC(), DEFAULT_SKEW);
    }

    /** A verifier for {@code bundles} that reads time from {@code clock} and tolerates {@code skew}. */
    public static SvidVerifier of(TrustBundleSet bundles, Clock clock, Duration skew) {
        requireNonNull(bundles, "bundles");
        requireNonNull(clock, "clock");
        requireNonNull(skew, "skew");
        if (skew.isNegative() || skew.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("skew: " + skew + " (expected: 0s..1h)");
        }
        return new SvidVerifier(bundles, clock, skew);
    }

    public TrustBundleSet bundles() {
        return bundles;
    }

    /**
     * Verifies {@code chain} (leaf first, intermediates after; a trailing root is allowed and ignored)
     * and returns the leaf's SPIFFE ID.
     *
     * @throws SvidVerificationException naming the first broken rule
     */
    public SpiffeId verify(List<X509Certificate> chain) throws SvidVerificationException {
        requireNonNull(chain, "chain");
        if (chain.isEmpty()) {
            throw new SvidVerificationException(SvidRule.EMPTY_CHAIN, "the peer presented no certificate");
        }
        X509Certificate leaf = chain.get(0);
        SpiffeId id = spiffeIdOf(leaf);
        verifyLeafProfile(leaf);
        TrustBundle bundle = bundles.bundleFor(id.trustDomain())
                .orElseThrow(() -> new SvidVerificationException(
                        SvidRule.UNKNOWN_TRUST_DOMAIN,
                        "no trust bundle for trust domain '" + id.trustDomain() + "' of " + id));
        List<X509Certificate> path = withoutTrailingRoots(chain, bundle);
        for (int i = 0; i < path.size(); i++) {
            verifySignatureAlgorithm(path.get(i), i == 0 ? "leaf" : "intermediate " + i);
        }
        Instant now = clock.instant();
        for (int i = 0; i < path.size(); i++) {
            verifyValidity(path.get(i), i == 0 ? "leaf" : "intermediate " + i, now);
        }
        for (int i = 1; i < path.size(); i++) {
            verifyIssuerProfile(path.get(i), path.get(i - 1));
        }
        verifyPath(path, bundle, now);
        return id;
    }

    /**
     * Checks a chain again when a TLS session that was verified with {@link #verify} is resumed: the leaf must still
     * carry a valid SPIFFE ID of a trust domain this verifier has a bundle for, and every certificate of the path
     * must be valid now (within the skew). Signatures and the path are not checked again: a session is resumed only
     * by the TLS context that verified it, and a context is never reused across trust bundle sets, so the chain was
     * verified in full against these very bundles. Time is the one thing that has moved since (an SVID lives about an
     * hour; a session longer than its leaf would outlive the identity it proved).
     *
     * @throws SvidVerificationException naming the broken rule, {@link SvidRule#EXPIRED} above all
     */
    public SpiffeId verifyResumed(List<X509Certificate> chain) throws SvidVerificationException {
        requireNonNull(chain, "chain");
        if (chain.isEmpty()) {
            throw new SvidVerificationException(SvidRule.EMPTY_CHAIN, "the resumed session has no peer certificate");
        }
        SpiffeId id = spiffeIdOf(chain.get(0));
        TrustBundle bundle = bundles.bundleFor(id.trustDomain())
                .orElseThrow(() -> new SvidVerificationException(
                        SvidRule.UNKNOWN_TRUST_DOMAIN,
                        "no trust bundle for trust domain '" + id.trustDomain() + "' of " + id));
        List<X509Certificate> path = withoutTrailingRoots(chain, bundle);
        Instant now = clock.instant();
        for (int i = 0; i < path.size(); i++) {
            verifyValidity(path.get(i), i == 0 ? "leaf" : "intermediate " + i, now);
        }
        return id;
    }

    /**
     * Reads the SPIFFE ID from a certificate's one URI SAN, without verifying anything else.
     *
     * @throws SvidVerificationException when there is not exactly one URI SAN or it is not a valid
     *     workload SPIFFE ID
     */
    public static SpiffeId spiffeIdOf(X509Certificate leaf) throws SvidVerificationException {
        byte[] der;
        try {
            der = leaf.getEncoded();
        } catch (CertificateEncodingException e) {
            return parseSpiffeIdOf(leaf); // names what is wrong with it
        }
        Encoding key = new Encoding(der);
        SpiffeId cached = SPIFFE_IDS.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
        SpiffeId id = parseSpiffeIdOf(leaf);
        SPIFFE_IDS.put(key, id);
        return id;
    }

    /**
     * A certificate's DER encoding as a cache key: compared byte for byte, its hash computed once. The cache holds
     * what parsing those bytes gives, and nothing else: no verification, no time.
     */
    private static final class Encoding {
        private final byte[] der;
        private final int hash;

        Encoding(byte[] der) {
            this.der = der;
            this.hash = Arrays.hashCode(der);
        }

        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Encoding other && hash == other.hash && Arrays.equals(der, other.der);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private static SpiffeId parseSpiffeIdOf(X509Certificate leaf) throws SvidVerificationException {
        List<byte[]> uris = uriSans(leaf);
        if (uris.isEmpty()) {
            throw new SvidVerificationException(
                    SvidRule.NO_URI_SAN, "the leaf certificate " + name(leaf) + " has no URI SAN");
        }
        if (uris.size() > 1) {
            throw new SvidVerificationException(
                    SvidRule.MULTIPLE_URI_SANS,
                    "the leaf certificate " + name(leaf) + " has " + uris.size() + " URI SANs (expected exactly one)");
        }
        byte[] uri = uris.get(0);
        for (byte b : uri) {
            if (b < 0x21 || b > 0x7e) {
                throw new SvidVerificationException(
                        SvidRule.MALFORMED_SAN,
                        String.format(
                                Locale.ROOT,
                                "the URI SAN contains the byte 0x%02x, which no SPIFFE ID may hold",
                                b & 0xff));
            }
        }
        String text = new String(uri, StandardCharsets.US_ASCII);
        try {
            return SpiffeId.parse(text);
        } catch (InvalidSpiffeIdException e) {
            throw new SvidVerificationException(SvidRule.INVALID_SPIFFE_ID, "the URI SAN: " + e.getMessage(), e);
        }
    }

    private static List<byte[]> uriSans(X509Certificate cert) throws SvidVerificationException {
        List<byte[]> uris = new ArrayList<>();
        try {
            X509CertificateHolder holder = new X509CertificateHolder(cert.getEncoded());
            Extension san = holder.getExtension(Extension.subjectAlternativeName);
            if (san == null) {
                return uris;
            }
            for (GeneralName name :
                    GeneralNames.getInstance(san.getParsedValue()).getNames()) {
                if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                    uris.add(ASN1IA5String.getInstance(name.getName()).getOctets());
                }
            }
            return uris;
        } catch (IOException | CertificateEncodingException | IllegalArgumentException e) {
            throw new SvidVerificationException(
                    SvidRule.MALFORMED_SAN, "the subjectAltName extension of " + name(cert) + " does not parse", e);
        }
    }

    private static void verifyLeafProfile(X509Certificate leaf) throws SvidVerificationException {
        if (leaf.getBasicConstraints() >= 0) {
            throw new SvidVerificationException(
                    SvidRule.LEAF_IS_CA, "the leaf certificate " + name(leaf) + " is a CA (basicConstraints CA:TRUE)");
        }
        boolean[] usage = leaf.getKeyUsage();
        if (usage == null) {
            throw new SvidVerificationException(
                    SvidRule.KEY_USAGE_MISSING, "the leaf certificate has no keyUsage extension");
        }
        Set<String> critical = leaf.getCriticalExtensionOIDs();
        if (critical == null || !critical.contains(Extension.keyUsage.getId())) {
            throw new SvidVerificationException(
                    SvidRule.KEY_USAGE_NOT_CRITICAL, "the leaf certificate's keyUsage extension is not critical");
        }
        if (!bit(usage, 0)) {
            throw new SvidVerificationException(
                    SvidRule.MISSING_DIGITAL_SIGNATURE, "the leaf certificate's keyUsage lacks digitalSignature");
        }
        if (bit(usage, 5) || bit(usage, 6)) {
            throw new SvidVerificationException(
                    SvidRule.LEAF_CAN_SIGN,
                    "the leaf certificate's keyUsage has " + (bit(usage, 5) ? "keyCertSign" : "cRLSign"));
        }
        List<String> eku;
        try {
            eku = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new SvidVerificationException(SvidRule.EXTENDED_KEY_USAGE, "the extendedKeyUsage does not parse", e);
        }
        if (eku != null
                && !(eku.contains(KeyPurposeId.id_kp_serverAuth.getId())
                        && eku.contains(KeyPurposeId.id_kp_clientAuth.getId()))) {
            throw new SvidVerificationException(
                    SvidRule.EXTENDED_KEY_USAGE,
                    "the leaf certificate's extendedKeyUsage " + eku + " lacks serverAuth or clientAuth");
        }
        verifyKeyStrength(leaf.getPublicKey(), "the leaf certificate");
    }

    private static void verifyKeyStrength(PublicKey key, String what) throws SvidVerificationException {
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < 2048) {
                throw new SvidVerificationException(
                        SvidRule.WEAK_KEY,
                        what + " has a " + rsa.getModulus().bitLength() + "-bit RSA key (minimum 2048)");
            }
        } else if (key instanceof ECPublicKey ec) {
            if (KeyAlgorithm.of(ec).isEmpty()) {
                throw new SvidVerificationException(
                        SvidRule.WEAK_KEY,
                        what + " uses an EC curve other than P-256 or P-384 ("
                                + ec.getParams().getCurve().getField().getFieldSize() + "-bit)");
            }
        } else {
            throw new SvidVerificationException(
                    SvidRule.WEAK_KEY, what + " has an unsupported " + key.getAlgorithm() + " key");
        }
    }

    /**
     * Signature algorithms a chain may use: ECDSA, RSA PKCS#1 v1.5 and RSA-PSS with SHA-256, SHA-384 or SHA-512, and
     * Ed25519. SHA-1 and MD5 are refused: the JDK bans them only under its own built-in roots, and our roots are not
     * among those.
     */
    static final Set<String> SIGNATURE_ALGORITHMS = Set.of(
            "1.2.840.10045.4.3.2", // ecdsa-with-SHA256
            "1.2.840.10045.4.3.3", // ecdsa-with-SHA384
            "1.2.840.10045.4.3.4", // ecdsa-with-SHA512
            "1.2.840.113549.1.1.11", // sha256WithRSAEncryption
            "1.2.840.113549.1.1.12", // sha384WithRSAEncryption
            "1.2.840.113549.1.1.13", // sha512WithRSAEncryption
            "1.2.840.113549.1.1.10", // RSASSA-PSS
            "1.3.101.112"); // Ed25519

    private static void verifySignatureAlgorithm(X509Certificate cert, String what) throws SvidVerificationException {
        if (!SIGNATURE_ALGORITHMS.contains(cert.getSigAlgOID())) {
            throw new SvidVerificationException(
                    SvidRule.WEAK_SIGNATURE,
                    "the " + what + " certificate " + name(cert) + " is signed with " + cert.getSigAlgName()
                            + " (expected SHA-256 or stronger)");
        }
    }

    private static void verifyIssuerProfile(X509Certificate issuer, X509Certificate subject)
            throws SvidVerificationException {
        if (issuer.getBasicConstraints() < 0) {
            throw new SvidVerificationException(
                    SvidRule.ISSUER_NOT_CA, name(issuer) + " signed " + name(subject) + " but is not a CA");
        }
        boolean[] usage = issuer.getKeyUsage();
        if (usage == null || !bit(usage, 5)) {
            throw new SvidVerificationException(
                    SvidRule.ISSUER_CANNOT_SIGN, name(issuer) + " signed " + name(subject) + " but lacks keyCertSign");
        }
    }

    private void verifyValidity(X509Certificate cert, String what, Instant now) throws SvidVerificationException {
        Instant notBefore = cert.getNotBefore().toInstant();
        Instant notAfter = cert.getNotAfter().toInstant();
        if (now.plus(skew).isBefore(notBefore)) {
            throw new SvidVerificationException(
                    SvidRule.NOT_YET_VALID,
                    "the " + what + " certificate " + name(cert) + " is not valid before " + notBefore);
        }
        if (now.minus(skew).isAfter(notAfter)) {
            throw new SvidVerificationException(
                    SvidRule.EXPIRED, "the " + what + " certificate " + name(cert) + " expired at " + notAfter);
        }
    }

    private static List<X509Certificate> withoutTrailingRoots(List<X509Certificate> chain, TrustBundle bundle) {
        int end = chain.size();
        while (end > 1 && bundle.roots().contains(chain.get(end - 1))) {
            end--;
        }
        return chain.subList(0, end);
    }

    private void verifyPath(List<X509Certificate> path, TrustBundle bundle, Instant now)
            throws SvidVerificationException {
        X509Certificate top = path.get(path.size() - 1);
        List<X509Certificate> issuers = new ArrayList<>();
        for (X509Certificate root : bundle.roots()) {
            if (root.getSubjectX500Principal().equals(top.getIssuerX500Principal())) {
                issuers.add(root);
            }
        }
        if (issuers.isEmpty()) {
            throw new SvidVerificationException(
                    SvidRule.UNKNOWN_ISSUER,
                    "the chain ends at " + name(top) + ", issued by '"
                            + top.getIssuerX500Principal().getName()
                            + "', which is neither in the chain nor a root of the bundle for " + bundle.trustDomain()
                            + " (a missing intermediate, or a CA that does not vouch for this trust domain)");
        }
        X509Certificate root = null;
        for (X509Certificate candidate : issuers) {
            if (signedBy(top, candidate)) {
                root = candidate;
                break;
            }
        }
        if (root == null) {
            throw new SvidVerificationException(
                    SvidRule.BAD_SIGNATURE,
                    name(top) + " names a root of " + bundle.trustDomain()
                            + " as its issuer, but no such root signed it");
        }
        verifyValidity(root, "root", now);
        verifyIssuerProfile(root, top);

        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate r : bundle.roots()) {
            anchors.add(new TrustAnchor(r, null));
        }
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(pkixDate(path, root, now)));
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
        } catch (CertPathValidatorException e) {
            throw new SvidVerificationException(ruleFor(e), "path validation failed: " + e.getMessage(), e);
        } catch (InvalidAlgorithmParameterException e) {
            throw new SvidVerificationException(
                    SvidRule.PATH_VALIDATION, "invalid trust anchors: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new SvidVerificationException(
                    SvidRule.PATH_VALIDATION, e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    /**
     * The instant at which the JDK validator checks validity windows: {@code now}, moved by at most
     * {@code skew} into the window every certificate shares. Windows were checked with skew above;
     * this lets the validator agree with that tolerance instead of re-checking without it.
     */
    private Instant pkixDate(List<X509Certificate> path, X509Certificate root, Instant now)
            throws SvidVerificationException {
        Instant start = root.getNotBefore().toInstant();
        Instant end = root.getNotAfter().toInstant();
        for (X509Certificate c : path) {
            Instant nb = c.getNotBefore().toInstant();
            Instant na = c.getNotAfter().toInstant();
            start = nb.isAfter(start) ? nb : start;
            end = na.isBefore(end) ? na : end;
        }
        Instant date = now.isBefore(start) ? start : now.isAfter(end) ? end : now;
        if (start.isAfter(end) || Duration.between(now, date).abs().compareTo(skew) > 0) {
            throw new SvidVerificationException(
                    now.isBefore(start) ? SvidRule.NOT_YET_VALID : SvidRule.EXPIRED,
                    "the certificates of the chain are not valid together at " + now);
        }
        return date;
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static SvidRule ruleFor(CertPathValidatorException e) {
        CertPathValidatorException.Reason reason = e.getReason();
        if (reason == PKIXReason.NO_TRUST_ANCHOR) {
            return SvidRule.UNKNOWN_ISSUER;
        }
        if (reason == PKIXReason.NOT_CA_CERT) {
            return SvidRule.ISSUER_NOT_CA;
        }
        if (reason == PKIXReason.INVALID_KEY_USAGE) {
            return SvidRule.ISSUER_CANNOT_SIGN;
        }
        if (reason == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return SvidRule.BAD_SIGNATURE;
        }
        if (reason == CertPathValidatorException.BasicReason.EXPIRED) {
            return SvidRule.EXPIRED;
        }
        if (reason == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return SvidRule.NOT_YET_VALID;
        }
        if (reason == CertPathValidatorException.BasicReason.ALGORITHM_CONSTRAINED) {
            return SvidRule.WEAK_KEY;
        }
        return SvidRule.PATH_VALIDATION;
    }

    private static boolean bit(boolean[] bits, int index) {
        return bits.length > index && bits[index];
    }

    private static String name(X509Certificate cert) {
        return "'" + cert.getSubjectX500Principal().getName() + "'";
    }
}
