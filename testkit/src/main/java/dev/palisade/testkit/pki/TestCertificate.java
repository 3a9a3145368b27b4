package dev.palisade.testkit.pki;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DERIA5String;
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
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * A certificate and its private key, minted for a test (in the spirit of OkHttp's
 * {@code HeldCertificate} and Netty's {@code CertificateBuilder}).
 *
 * <p>The defaults make a valid X.509-SVID leaf: ECDSA P-256, valid from an hour ago for 24 hours,
 * {@code basicConstraints CA:false} (critical), {@code keyUsage digitalSignature} (critical),
 * {@code extendedKeyUsage serverAuth, clientAuth}, SKI and AKI. {@link Builder#ca()} makes a CA
 * instead. Every other builder method exists to break one of those properties on purpose.
 */
public final class TestCertificate {

    private static final SecureRandom random = new SecureRandom();

    private final X509Certificate certificate;
    private final KeyPair keyPair;
    private final @Nullable TestCertificate issuer;

    private TestCertificate(X509Certificate certificate, KeyPair keyPair, @Nullable TestCertificate issuer) {
        this.certificate = certificate;
        this.keyPair = keyPair;
        this.issuer = issuer;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A self-signed root CA for {@code commonName}, valid for a year. */
    public static TestCertificate root(String commonName) {
        return builder()
                .commonName(commonName)
                .ca()
                .validFor(Duration.ofDays(365))
                .build();
    }

    /**
     * Wraps an existing CA certificate and its key (for example the product CA's) so that the builder can mint
     * deliberately broken leaves under it. The wrapped certificate is treated as a root: it is never part of
     * {@link #chain()} of what it issues.
     */
    public static TestCertificate wrap(X509Certificate certificate, PrivateKey privateKey) {
        return new TestCertificate(certificate, new KeyPair(certificate.getPublicKey(), privateKey), null);
    }

    /** A valid SVID leaf with {@code spiffeId} as its one URI SAN, signed by {@code issuer}. */
    public static TestCertificate leaf(String spiffeId, TestCertificate issuer) {
        return builder().uri(spiffeId).issuedBy(issuer).build();
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    public PrivateKey privateKey() {
        return keyPair.getPrivate();
    }

    public @Nullable TestCertificate issuer() {
        return issuer;
    }

    /** This certificate followed by its issuers, excluding the self-signed root at the top. */
    public List<X509Certificate> chain() {
        List<X509Certificate> chain = new ArrayList<>();
        for (TestCertificate c = this; c != null; c = c.issuer) {
            if (c.issuer == null && c != this) {
                break; // the root: trust anchors are not sent in a chain
            }
            chain.add(c.certificate);
        }
        return Collections.unmodifiableList(chain);
    }

    public String certificatePem() {
        return pem(certificate);
    }

    /** {@link #chain()} as concatenated PEM blocks. */
    public String chainPem() {
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : chain()) {
            sb.append(pem(c));
        }
        return sb.toString();
    }

    /** The private key as a PKCS#8 PEM block. */
    public String privateKeyPem() {
        try {
            return pem(new JcaPKCS8Generator(keyPair.getPrivate(), null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code <name>.crt} (the chain) and {@code <name>.key} into {@code dir}. */
    public void writeTo(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".crt"), chainPem(), StandardCharsets.US_ASCII);
            Files.writeString(dir.resolve(name + ".key"), privateKeyPem(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return "TestCertificate(" + certificate.getSubjectX500Principal().getName() + ")";
    }

    /** Builds a {@link TestCertificate}; see the class comment for the defaults. */
    public static final class Builder {
        private String commonName = "palisade-test";
        private KeyType keyType = KeyType.EC_P256;
        private @Nullable KeyPair keyPair;
        private Instant notBefore = Instant.now().minus(Duration.ofHours(1));
        private Instant notAfter = notBefore.plus(Duration.ofHours(25));
        private final List<GeneralName> sans = new ArrayList<>();
        private boolean ca;
        private @Nullable Integer pathLength;
        private boolean basicConstraints = true;
        private @Nullable Integer keyUsage;
        private boolean keyUsageCritical = true;
        private boolean omitKeyUsage;
        private @Nullable List<KeyPurposeId> extendedKeyUsage;
        private boolean omitExtendedKeyUsage;
        private @Nullable TestCertificate issuer;
        private @Nullable BigInteger serial;
        private @Nullable String signatureAlgorithm;

        private Builder() {}

        public Builder commonName(String commonName) {
            this.commonName = requireNonNull(commonName, "commonName");
            return this;
        }

        public Builder keyType(KeyType keyType) {
            this.keyType = requireNonNull(keyType, "keyType");
            return this;
        }

        /** Uses an existing key pair (for example one whose CSR a test wants to sign). */
        public Builder keyPair(KeyPair keyPair) {
            this.keyPair = requireNonNull(keyPair, "keyPair");
            return this;
        }

        public Builder validity(Instant notBefore, Instant notAfter) {
            this.notBefore = requireNonNull(notBefore, "notBefore");
            this.notAfter = requireNonNull(notAfter, "notAfter");
            return this;
        }

        /** Valid from an hour ago for {@code duration}. */
        public Builder validFor(Duration duration) {
            this.notBefore = Instant.now().minus(Duration.ofHours(1));
            this.notAfter = Instant.now().plus(duration);
            return this;
        }

        /** Expired an hour ago. */
        public Builder expired() {
            return validity(
                    Instant.now().minus(Duration.ofDays(2)), Instant.now().minus(Duration.ofHours(1)));
        }

        /** Valid only from tomorrow. */
        public Builder notYetValid() {
            return validity(
                    Instant.now().plus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(2)));
        }

        /** Adds a URI SAN. Call twice for a certificate with two. */
        public Builder uri(String uri) {
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
            return this;
        }

        /**
         * Adds a URI SAN verbatim, without Bouncy Castle's URI checks: for NULs and other content no
         * conforming issuer would write.
         */
        public Builder rawUri(String uri) {
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, new DERIA5String(uri, false)));
            return this;
        }

        public Builder dnsName(String dnsName) {
            sans.add(new GeneralName(GeneralName.dNSName, dnsName));
            return this;
        }

        /** Makes a CA: {@code CA:true}, {@code keyCertSign | cRLSign}, no extended key usage. */
        public Builder ca() {
            this.ca = true;
            return this;
        }

        /** Sets {@code CA:true} with a path length constraint. */
        public Builder ca(int pathLength) {
            this.ca = true;
            this.pathLength = pathLength;
            return this;
        }

        /** Sets {@code CA:true} in basicConstraints but keeps every other leaf default. */
        public Builder caFlagOnly() {
            this.ca = true;
            if (keyUsage == null) {
                keyUsage = KeyUsage.digitalSignature;
            }
            if (extendedKeyUsage == null) {
                extendedKeyUsage = List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth);
            }
            return this;
        }

        public Builder noBasicConstraints() {
            this.basicConstraints = false;
            return this;
        }

        /** Sets the keyUsage bits ({@link KeyUsage} constants, OR-ed). */
        public Builder keyUsage(int bits) {
            this.keyUsage = bits;
            return this;
        }

        public Builder keyUsageNotCritical() {
            this.keyUsageCritical = false;
            return this;
        }

        public Builder noKeyUsage() {
            this.omitKeyUsage = true;
            return this;
        }

        public Builder extendedKeyUsage(KeyPurposeId... purposes) {
            this.extendedKeyUsage = List.of(purposes);
            return this;
        }

        public Builder noExtendedKeyUsage() {
            this.omitExtendedKeyUsage = true;
            return this;
        }

        public Builder issuedBy(TestCertificate issuer) {
            this.issuer = requireNonNull(issuer, "issuer");
            return this;
        }

        /** Signs with {@code algorithm} (a JCA name such as {@code SHA1withECDSA}) instead of the key type's default. */
        public Builder signatureAlgorithm(String algorithm) {
            this.signatureAlgorithm = requireNonNull(algorithm, "algorithm");
            return this;
        }

        public Builder serial(BigInteger serial) {
            this.serial = requireNonNull(serial, "serial");
            return this;
        }

        public TestCertificate build() {
            KeyPair keys = keyPair != null ? keyPair : keyType.generate();
            X500Name subject = new X500Name("CN=" + commonName + ",O=Palisade Test");
            X500Name issuerName = issuer == null
                    ? subject
                    : X500Name.getInstance(
                            issuer.certificate.getSubjectX500Principal().getEncoded());
            PrivateKey signingKey = issuer == null ? keys.getPrivate() : issuer.privateKey();
            String algorithm = signatureAlgorithm != null
                    ? signatureAlgorithm
                    : issuer == null ? keyType.signatureAlgorithm() : signatureAlgorithmFor(issuer.certificate);
            try {
                JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                        issuerName,
                        serial != null ? serial : new BigInteger(127, random).add(BigInteger.ONE),
                        Date.from(notBefore),
                        Date.from(notAfter),
                        subject,
                        keys.getPublic());
                if (basicConstraints) {
                    BasicConstraints bc = !ca
                            ? new BasicConstraints(false)
                            : pathLength != null ? new BasicConstraints(pathLength) : new BasicConstraints(true);
                    builder.addExtension(Extension.basicConstraints, true, bc);
                }
                int usage = keyUsage != null
                        ? keyUsage
                        : ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature;
                if (!omitKeyUsage) {
                    builder.addExtension(Extension.keyUsage, keyUsageCritical, new KeyUsage(usage));
                }
                List<KeyPurposeId> eku = extendedKeyUsage != null
                        ? extendedKeyUsage
                        : ca ? List.of() : List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth);
                if (!omitExtendedKeyUsage && !eku.isEmpty()) {
                    builder.addExtension(
                            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku.toArray(new KeyPurposeId[0])));
                }
                if (!sans.isEmpty()) {
                    // RFC 5280 §4.1.2.6: an empty subject would require a critical SAN; ours has a CN.
                    builder.addExtension(
                            Extension.subjectAlternativeName,
                            false,
                            new GeneralNames(sans.toArray(new GeneralName[0])));
                }
                builder.addExtension(
                        Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
                if (issuer != null) {
                    builder.addExtension(
                            Extension.authorityKeyIdentifier,
                            false,
                            extensions.createAuthorityKeyIdentifier(issuer.certificate.getPublicKey()));
                }
                X509Certificate cert = new JcaX509CertificateConverter()
                        .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(signingKey)));
                return new TestCertificate(cert, keys, issuer);
            } catch (IOException | CertificateException | OperatorCreationException | NoSuchAlgorithmException e) {
                throw new IllegalStateException("cannot mint test certificate " + commonName, e);
            }
        }

        private static String signatureAlgorithmFor(X509Certificate issuer) {
            return issuer.getPublicKey().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        }
    }
}
