package dev.palisade.certs.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.x509.SvidVerifier;
import dev.palisade.testkit.pki.KeyType;
import dev.palisade.testkit.pki.TestCertificate;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
    static final TrustDomain TD = TrustDomain.parse("example.org");
    static final SpiffeId ORDERS = SpiffeId.forWorkload(TD, "shop", "orders");
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    static final CertificateAuthority ca =
            CertificateAuthority.createRoot(TD, KeyAlgorithm.EC_P256, Duration.ofDays(30), CLOCK);

    static SvidVerifier verifierAt(CertificateAuthority authority, Instant at) {
        return SvidVerifier.of(
                TrustBundleSet.of(authority.trustBundle()), Clock.fixed(at, ZoneOffset.UTC), Duration.ZERO);
    }

    // --- refusals first ---

    @Test
    void refusesCsrForAnotherIdentity() {
        CertificateSigningRequest csr = CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generate(), ORDERS);
        SpiffeId payments = SpiffeId.forWorkload(TD, "shop", "payments");
        assertThatThrownBy(() -> ca.sign(csr, payments, Duration.ofHours(1)))
                .isInstanceOfSatisfying(CsrException.class, e -> {
                    assertThat(e.reason()).isEqualTo(CsrException.Reason.ID_MISMATCH);
                    assertThat(e.getMessage()).contains(ORDERS.toString()).contains(payments.toString());
                });
    }

    @Test
    void refusesCsrForAnotherTrustDomainEvenWhenEntitled() {
        SpiffeId foreign = SpiffeId.parse("spiffe://other.org/ns/shop/sa/orders");
        CertificateSigningRequest csr = CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generate(), foreign);
        assertThatThrownBy(() -> ca.sign(csr, foreign, Duration.ofHours(1)))
                .isInstanceOfSatisfying(
                        CsrException.class, e -> assertThat(e.reason()).isEqualTo(CsrException.Reason.ID_MISMATCH));
    }

    @Test
    void refusesCsrWhoseSignatureDoesNotVerify() throws Exception {
        byte[] der = CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generate(), ORDERS)
                .encoded();
        der[der.length - 5] ^= 0x01; // inside the signature value
        CertificateSigningRequest tampered = CertificateSigningRequest.parse(der);
        assertThatThrownBy(tampered::verify).isInstanceOfSatisfying(CsrException.class, e -> assertThat(e.reason())
                .isEqualTo(CsrException.Reason.BAD_SIGNATURE));
    }

    @Test
    void refusesMalformedCsr() {
        assertThatThrownBy(() -> CertificateSigningRequest.parse(new byte[] {0x30, 0x03, 0x02, 0x01}))
                .isInstanceOfSatisfying(
                        CsrException.class, e -> assertThat(e.reason()).isEqualTo(CsrException.Reason.MALFORMED));
        assertThatThrownBy(() -> CertificateSigningRequest.parsePem("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"))
                .isInstanceOfSatisfying(
                        CsrException.class, e -> assertThat(e.reason()).isEqualTo(CsrException.Reason.MALFORMED));
    }

    @Test
    void refusesWeakRsaKey() {
        KeyPair weak = KeyType.RSA_1024.generate();
        assertThatThrownBy(() -> ca.issue(ORDERS, weak.getPublic(), Duration.ofHours(1)))
                .isInstanceOfSatisfying(
                        CsrException.class, e -> assertThat(e.reason()).isEqualTo(CsrException.Reason.KEY_NOT_ALLOWED));
    }

    @Test
    void refusesNonPositiveTtl() {
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        assertThatThrownBy(() -> ca.issue(ORDERS, keys.getPublic(), Duration.ZERO))
                .isInstanceOfSatisfying(CsrException.class, e -> assertThat(e.reason())
                        .isEqualTo(CsrException.Reason.INVALID_LIFETIME));
    }

    @Test
    void expiredCaCannotIssue() {
        Clock later = Clock.fixed(NOW.plus(Duration.ofDays(31)), ZoneOffset.UTC);
        assertThatThrownBy(() -> CertificateAuthority.load(TD, ca.privateKey(), ca.chain(), ca.trustBundle(), later))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expired");
    }

    @Test
    void loadRefusesKeyThatDoesNotMatchTheCaCertificate() {
        KeyPair other = KeyAlgorithm.EC_P256.generate();
        assertThatThrownBy(() -> CertificateAuthority.load(TD, other.getPrivate(), ca.chain(), ca.trustBundle(), CLOCK))
                .hasMessageContaining("does not match");
    }

    @Test
    void loadRefusesCaWithoutKeyUsage() {
        TestCertificate root =
                TestCertificate.builder().commonName("noku").ca().noKeyUsage().build();
        assertThatThrownBy(() -> CertificateAuthority.load(
                        TD,
                        root.privateKey(),
                        List.of(root.certificate()),
                        TrustBundle.of(TD, List.of(root.certificate())),
                        Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no keyUsage extension");
    }

    @Test
    void refusesKeysOnCurvesOtherThanP256AndP384() {
        KeyPair k1 = KeyType.EC_SECP256K1.generate();
        assertThat(KeyAlgorithm.of(k1.getPublic())).isEmpty();
        assertThatThrownBy(() -> ca.issue(ORDERS, k1.getPublic(), Duration.ofHours(1)))
                .isInstanceOfSatisfying(
                        CsrException.class, e -> assertThat(e.reason()).isEqualTo(CsrException.Reason.KEY_NOT_ALLOWED));
        assertThat(KeyAlgorithm.of(KeyAlgorithm.EC_P256.generate().getPublic())).contains(KeyAlgorithm.EC_P256);
        assertThat(KeyAlgorithm.of(KeyAlgorithm.EC_P384.generate().getPublic())).contains(KeyAlgorithm.EC_P384);
    }

    @Test
    void loadRefusesLeafAsCa() {
        TestCertificate root = TestCertificate.root("r");
        TestCertificate leaf = TestCertificate.leaf("spiffe://example.org/a", root);
        assertThatThrownBy(() -> CertificateAuthority.load(
                        TD,
                        leaf.privateKey(),
                        List.of(leaf.certificate()),
                        TrustBundle.of(TD, List.of(root.certificate())),
                        Clock.systemUTC()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a CA");
    }

    // --- what a good leaf looks like ---

    @Test
    void signedLeafFollowsTheX509SvidProfile() throws Exception {
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        List<X509Certificate> chain =
                ca.sign(CertificateSigningRequest.create(keys, ORDERS), ORDERS, Duration.ofHours(24));
        assertThat(chain).hasSize(1);
        X509Certificate leaf = chain.get(0);

        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        assertThat(leaf.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(leaf.getKeyUsage()[5]).as("keyCertSign").isFalse();
        assertThat(leaf.getExtendedKeyUsage())
                .containsExactlyInAnyOrder(
                        KeyPurposeId.id_kp_serverAuth.getId(), KeyPurposeId.id_kp_clientAuth.getId());
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, ORDERS.toString()));
        assertThat(leaf.getExtensionValue("2.5.29.14")).as("SKI").isNotNull();
        assertThat(leaf.getExtensionValue("2.5.29.35")).as("AKI").isNotNull();
        assertThat(leaf.getPublicKey()).isEqualTo(keys.getPublic());
        assertThat(leaf.getNotBefore().toInstant()).isEqualTo(NOW.minus(CertificateAuthority.BACKDATE));
        assertThat(leaf.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(24)));
        assertThat(verifierAt(ca, NOW).verify(chain)).isEqualTo(ORDERS);
    }

    @Test
    void serialsAreRandomPositiveAndAbout128Bits() throws Exception {
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        Set<BigInteger> serials = new HashSet<>();
        int longest = 0;
        for (int i = 0; i < 64; i++) {
            BigInteger serial = ca.issue(ORDERS, keys.getPublic(), Duration.ofHours(1))
                    .get(0)
                    .getSerialNumber();
            assertThat(serial.signum()).isPositive();
            assertThat(serial.bitLength()).isLessThanOrEqualTo(128);
            longest = Math.max(longest, serial.bitLength());
            serials.add(serial);
        }
        assertThat(serials).hasSize(64);
        assertThat(longest).isGreaterThan(120);
    }

    @Test
    void lifetimeIsCappedByMaxTtlAndByTheCaRemainingLifetime() throws Exception {
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        X509Certificate capped = ca.withMaxTtl(Duration.ofHours(2))
                .issue(ORDERS, keys.getPublic(), Duration.ofDays(7))
                .get(0);
        assertThat(capped.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(2)));

        X509Certificate outlived = ca.withMaxTtl(Duration.ofDays(365))
                .issue(ORDERS, keys.getPublic(), Duration.ofDays(365))
                .get(0);
        assertThat(outlived.getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
    }

    @Test
    void rootFollowsTheSigningCertificateProfile() {
        X509Certificate root = ca.certificate();
        assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(root.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(root.getKeyUsage()[6]).as("cRLSign").isTrue();
        assertThat(root.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        assertThat(ca.trustBundle().roots()).containsExactly(root);
    }

    @Test
    void operatorSuppliedIntermediateSignsLeavesThatChainToTheOperatorRoot() throws Exception {
        TestCertificate operatorRoot = TestCertificate.root("operator root");
        TestCertificate intermediate = TestCertificate.builder()
                .commonName("palisade intermediate")
                .ca(0)
                .validFor(Duration.ofDays(60))
                .issuedBy(operatorRoot)
                .build();
        TrustBundle bundle = TrustBundle.of(TD, List.of(operatorRoot.certificate()));
        CertificateAuthority sub = CertificateAuthority.load(
                TD,
                intermediate.privateKey(),
                List.of(intermediate.certificate(), operatorRoot.certificate()),
                bundle,
                Clock.systemUTC());
        assertThat(sub.chain()).containsExactly(intermediate.certificate());

        KeyPair keys = KeyAlgorithm.EC_P384.generate();
        List<X509Certificate> chain =
                sub.sign(CertificateSigningRequest.create(keys, ORDERS), ORDERS, Duration.ofHours(1));
        assertThat(chain).hasSize(2).element(1).isEqualTo(intermediate.certificate());
        assertThat(SvidVerifier.of(TrustBundleSet.of(bundle)).verify(chain)).isEqualTo(ORDERS);
    }

    @Test
    void rsaRootSignsEcLeaves() throws Exception {
        CertificateAuthority rsa =
                CertificateAuthority.createRoot(TD, KeyAlgorithm.RSA_2048, Duration.ofDays(2), CLOCK);
        List<X509Certificate> chain =
                rsa.issue(ORDERS, KeyAlgorithm.EC_P256.generate().getPublic(), Duration.ofHours(1));
        assertThat(chain.get(0).getSigAlgName()).isEqualTo("SHA256withRSA");
        assertThat(verifierAt(rsa, NOW).verify(chain)).isEqualTo(ORDERS);
    }

    @Test
    void csrRoundTripsThroughPemAndDer() throws Exception {
        CertificateSigningRequest csr = CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generate(), ORDERS);
        assertThat(CertificateSigningRequest.parsePem(csr.toPem()).verify()).isEqualTo(ORDERS);
        assertThat(CertificateSigningRequest.parse(csr.encoded()).verifyFor(ORDERS))
                .isEqualTo(ORDERS);
    }

    // --- the CA directory ---

    @Test
    void caDirectoryRoundTripsAndKeepsTheKeyPrivate(@TempDir Path dir) throws Exception {
        Path caDir = dir.resolve("ca");
        CertificateAuthority created =
                CaDirectory.init(caDir, TD, KeyAlgorithm.EC_P256, Duration.ofDays(10), Clock.systemUTC());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(caDir.resolve(CaDirectory.KEY_FILE))))
                .isEqualTo("rw-------");

        CertificateAuthority loaded = CaDirectory.load(caDir, Clock.systemUTC());
        assertThat(loaded.certificate()).isEqualTo(created.certificate());
        assertThat(loaded.trustDomain()).isEqualTo(TD);
        assertThat(loaded.trustBundle()).isEqualTo(created.trustBundle());
        assertThat(Pem.readPrivateKey(caDir.resolve(CaDirectory.KEY_FILE)).getEncoded())
                .isEqualTo(created.privateKey().getEncoded());
    }

    @Test
    void caDirectoryRefusesToOverwriteAnExistingCa(@TempDir Path dir) {
        CaDirectory.init(dir, TD, KeyAlgorithm.EC_P256, Duration.ofDays(10), Clock.systemUTC());
        assertThatThrownBy(
                        () -> CaDirectory.init(dir, TD, KeyAlgorithm.EC_P256, Duration.ofDays(10), Clock.systemUTC()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to overwrite");
    }

    @Test
    void caDirectoryImportsAnOperatorIntermediate(@TempDir Path dir) throws Exception {
        TestCertificate operatorRoot = TestCertificate.root("operator root");
        TestCertificate intermediate = TestCertificate.builder()
                .ca(0)
                .validFor(Duration.ofDays(60))
                .issuedBy(operatorRoot)
                .build();
        intermediate.writeTo(dir, "intermediate");
        Files.writeString(dir.resolve("root.pem"), operatorRoot.certificatePem());

        CaDirectory.importCa(
                dir.resolve("ca"),
                TD,
                dir.resolve("intermediate.key"),
                dir.resolve("intermediate.crt"),
                dir.resolve("root.pem"),
                Clock.systemUTC());
        CertificateAuthority loaded = CaDirectory.load(dir.resolve("ca"), Clock.systemUTC());
        List<X509Certificate> chain =
                loaded.issue(ORDERS, KeyAlgorithm.EC_P256.generate().getPublic(), Duration.ofHours(1));
        assertThat(SvidVerifier.of(TrustBundleSet.of(loaded.trustBundle())).verify(chain))
                .isEqualTo(ORDERS);
    }
}
