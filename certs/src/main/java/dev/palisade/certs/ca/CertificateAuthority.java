package dev.palisade.certs.ca;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority for one trust domain that signs X.509-SVIDs.
 *
 * <p>It is either a self-signed root made by {@link #createRoot} or an operator-supplied root or
 * intermediate loaded with {@link #load}. Issued leaves follow SPIFFE X.509-SVID §4: exactly one URI
 * SAN, {@code basicConstraints CA:false} (critical), {@code keyUsage digitalSignature} (critical),
 * {@code extendedKeyUsage serverAuth, clientAuth}, SKI and AKI, a 128-bit random serial (CA/B
 * Forum's 64-bit minimum, doubled), a NotBefore back-dated by {@link #BACKDATE} for peers whose
 * clocks run behind, and a lifetime capped both by {@code maxTtl} and by the CA's own remaining
 * lifetime, so that no leaf outlives its issuer.
 *
 * <p>Thread-safe: signing uses only immutable state.
 */
public final class CertificateAuthority {
    /** How far a leaf's NotBefore is back-dated to absorb clock skew between peers. */
    public static final Duration BACKDATE = Duration.ofMinutes(5);
    /** Default lifetime of a root made by {@link #createRoot}. */
    public static final Duration DEFAULT_ROOT_LIFETIME = Duration.ofDays(365);
    /** Default lifetime of a workload certificate. */
    public static final Duration DEFAULT_WORKLOAD_TTL = Duration.ofHours(24);

    private static final SecureRandom random = new SecureRandom();

    private final TrustDomain trustDomain;
    private final PrivateKey key;
    private final List<X509Certificate> chain;
    private final TrustBundle bundle;
    private final Duration maxTtl;
    private final Clock clock;

    private CertificateAuthority(
            TrustDomain trustDomain,
            PrivateKey key,
            List<X509Certificate> chain,
            TrustBundle bundle,
            Duration maxTtl,
            Clock clock) {
        this.trustDomain = trustDomain;
        this.key = key;
        this.chain = chain;
        this.bundle = bundle;
        this.maxTtl = maxTtl;
        this.clock = clock;
    }

    /**
     * Creates a new self-signed root for {@code trustDomain}: CA:TRUE (critical), keyCertSign and
     * cRLSign (critical), the trust domain's SPIFFE ID as URI SAN (X.509-SVID §4.1 allows it on
     * signing certificates), valid from {@link #BACKDATE} ago for {@code lifetime}.
     */
    public static CertificateAuthority createRoot(
            TrustDomain trustDomain, KeyAlgorithm algorithm, Duration lifetime, Clock clock) {
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(algorithm, "algorithm");
        requireNonNull(lifetime, "lifetime");
        requireNonNull(clock, "clock");
        if (lifetime.compareTo(Duration.ofHours(1)) < 0) {
            throw new IllegalArgumentException("lifetime: " + lifetime + " (expected: at least 1h)");
        }
        KeyPair keys = algorithm.generate();
        Instant now = clock.instant();
        // The creation time in the name tells roots apart during a rotation, for operators and for verifiers that
        // pick issuers by name.
        String created = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT)
                .withZone(ZoneOffset.UTC)
                .format(now);
        X500Name name = new X500Name("O=Palisade,CN=Palisade Root CA " + trustDomain.name() + " " + created);
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            name,
                            serial(),
                            Date.from(now.minus(BACKDATE)),
                            Date.from(now.plus(lifetime)),
                            name,
                            keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectAlternativeName,
                            false,
                            new GeneralNames(new GeneralName(
                                    GeneralName.uniformResourceIdentifier,
                                    trustDomain.id().toString())))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate root = sign(builder, keys.getPrivate(), algorithm);
            return new CertificateAuthority(
                    trustDomain,
                    keys.getPrivate(),
                    List.of(root),
                    TrustBundle.of(trustDomain, List.of(root)),
                    DEFAULT_WORKLOAD_TTL,
                    clock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a root CA", e);
        }
    }

    /**
     * Loads an operator-supplied CA.
     *
     * @param key the CA's private key
     * @param chain the CA certificate first, then its issuers (for an intermediate: up to, and
     *     optionally including, the root)
     * @param bundle the roots peers will trust; must contain the root the chain leads to
     * @throws IllegalArgumentException naming what is wrong: the first certificate is not a CA or
     *     cannot sign certificates, the key does not match it, or it has expired
     */
    public static CertificateAuthority load(
            TrustDomain trustDomain, PrivateKey key, List<X509Certificate> chain, TrustBundle bundle, Clock clock) {
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(key, "key");
        requireNonNull(chain, "chain");
        requireNonNull(bundle, "bundle");
        requireNonNull(clock, "clock");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: the CA certificate first)");
        }
        if (!bundle.trustDomain().equals(trustDomain)) {
            throw new IllegalArgumentException(
                    "bundle: for " + bundle.trustDomain() + " (expected: " + trustDomain + ")");
        }
        X509Certificate ca = chain.get(0);
        if (ca.getBasicConstraints() < 0) {
            throw new IllegalArgumentException(
                    "chain: '" + ca.getSubjectX500Principal().getName() + "' is not a CA certificate");
        }
        boolean[] usage = ca.getKeyUsage();
        if (usage == null || !(usage.length > 5 && usage[5])) {
            // Verifiers (ours included) refuse leaves whose issuer lacks keyCertSign: refuse the CA now, not every
            // connection later.
            throw new IllegalArgumentException(
                    "chain: '" + ca.getSubjectX500Principal().getName() + "' lacks keyUsage keyCertSign"
                            + (usage == null ? " (no keyUsage extension)" : ""));
        }
        if (ca.getNotAfter().toInstant().isBefore(clock.instant())) {
            throw new IllegalArgumentException(
                    "chain: the CA certificate expired at " + ca.getNotAfter().toInstant());
        }
        Pem.verifyKeyMatches(key, ca.getPublicKey(), "CA key");
        X509Certificate top = chain.get(chain.size() - 1);
        boolean anchored = false;
        for (X509Certificate root : bundle.roots()) {
            if (root.equals(top) || root.getSubjectX500Principal().equals(top.getIssuerX500Principal())) {
                anchored = true;
                break;
            }
        }
        if (!anchored) {
            throw new IllegalArgumentException("bundle: no root of the bundle issued '"
                    + top.getSubjectX500Principal().getName() + "' (issuer '"
                    + top.getIssuerX500Principal().getName() + "')");
        }
        // Sent chains exclude the root: peers have it in their bundle.
        List<X509Certificate> sent = new ArrayList<>(chain);
        while (sent.size() > 1 && bundle.roots().contains(sent.get(sent.size() - 1))) {
            sent.remove(sent.size() - 1);
        }
        return new CertificateAuthority(trustDomain, key, List.copyOf(sent), bundle, DEFAULT_WORKLOAD_TTL, clock);
    }

    /** A CA identical to this one whose leaves live at most {@code maxTtl}. */
    public CertificateAuthority withMaxTtl(Duration maxTtl) {
        requireNonNull(maxTtl, "maxTtl");
        if (maxTtl.isNegative() || maxTtl.isZero()) {
            throw new IllegalArgumentException("maxTtl: " + maxTtl + " (expected: > 0)");
        }
        return new CertificateAuthority(trustDomain, key, chain, bundle, maxTtl, clock);
    }

    public TrustDomain trustDomain() {
        return trustDomain;
    }

    /** The CA certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The CA certificate followed by its issuers, excluding the root when the CA is an intermediate. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The roots that peers trust for this trust domain. */
    public TrustBundle trustBundle() {
        return bundle;
    }

    public PrivateKey privateKey() {
        return key;
    }

    public Duration maxTtl() {
        return maxTtl;
    }

    /**
     * Verifies {@code csr} for {@code entitled} and signs it.
     *
     * @return the chain to hand to the workload: the new leaf, then this CA's chain (for a self-signed
     *     root CA, just the leaf: the root travels in the bundle)
     * @throws CsrException when the request is malformed, not self-signed, asks for another ID or uses
     *     a refused key
     */
    public List<X509Certificate> sign(CertificateSigningRequest csr, SpiffeId entitled, Duration ttl)
            throws CsrException {
        requireNonNull(csr, "csr");
        SpiffeId id = csr.verifyFor(entitled);
        if (!id.isMemberOf(trustDomain)) {
            throw new CsrException(
                    CsrException.Reason.ID_MISMATCH, id + " is not in this CA's trust domain " + trustDomain);
        }
        return issue(id, csr.publicKey(), ttl);
    }

    /**
     * Issues a leaf for {@code id} and {@code publicKey} directly (the caller vouches for both).
     *
     * @param ttl requested lifetime; capped by {@link #maxTtl()} and by this CA's remaining lifetime
     */
    public List<X509Certificate> issue(SpiffeId id, PublicKey publicKey, Duration ttl) throws CsrException {
        requireNonNull(id, "id");
        requireNonNull(publicKey, "publicKey");
        requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new CsrException(CsrException.Reason.INVALID_LIFETIME, "ttl: " + ttl + " (expected: > 0)");
        }
        if (KeyAlgorithm.of(publicKey).isEmpty()) {
            throw new CsrException(CsrException.Reason.KEY_NOT_ALLOWED, "the key is not accepted");
        }
        Instant now = clock.instant();
        Instant notAfter = now.plus(ttl.compareTo(maxTtl) > 0 ? maxTtl : ttl);
        Instant caNotAfter = certificate().getNotAfter().toInstant();
        for (X509Certificate c : chain) {
            Instant t = c.getNotAfter().toInstant();
            caNotAfter = t.isBefore(caNotAfter) ? t : caNotAfter;
        }
        if (notAfter.isAfter(caNotAfter)) {
            notAfter = caNotAfter;
        }
        if (!notAfter.isAfter(now)) {
            throw new CsrException(
                    CsrException.Reason.INVALID_LIFETIME, "the CA expired at " + caNotAfter + " and can issue no more");
        }
        Instant notBefore = now.minus(BACKDATE);
        Instant caNotBefore = certificate().getNotBefore().toInstant();
        if (notBefore.isBefore(caNotBefore)) {
            notBefore = caNotBefore;
        }
        X509Certificate ca = certificate();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                            serial(),
                            Date.from(notBefore),
                            Date.from(notAfter),
                            new X500Name("O=Palisade"),
                            publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                    }))
                    .addExtension(
                            Extension.subjectAlternativeName,
                            false,
                            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey))
                    .addExtension(
                            Extension.authorityKeyIdentifier,
                            false,
                            utils.createAuthorityKeyIdentifier(ca.getPublicKey()));
            KeyAlgorithm caAlgorithm = KeyAlgorithm.of(ca.getPublicKey()).orElse(KeyAlgorithm.EC_P256);
            X509Certificate leaf = sign(builder, key, caAlgorithm);
            List<X509Certificate> out = new ArrayList<>();
            out.add(leaf);
            for (X509Certificate c : chain) {
                if (!isSelfSigned(c)) {
                    out.add(c);
                }
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a certificate for " + id, e);
        }
    }

    private static boolean isSelfSigned(X509Certificate c) {
        if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
            return false;
        }
        try {
            c.verify(c.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key, KeyAlgorithm algorithm)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder(algorithm.signatureAlgorithm()).build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with " + algorithm, e);
        }
    }

    /** A positive serial with 128 bits of randomness (RFC 5280 §4.1.2.2 allows up to 20 octets). */
    private static BigInteger serial() {
        BigInteger serial;
        do {
            serial = new BigInteger(128, random);
        } while (serial.signum() == 0);
        return serial;
    }

    @Override
    public String toString() {
        return "CertificateAuthority(" + trustDomain + ", '"
                + certificate().getSubjectX500Principal().getName() + "')";
    }
}
