package dev.palisade.certs.x509;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.testkit.pki.KeyType;
import dev.palisade.testkit.pki.TestCertificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The X.509-SVID rules, broken one at a time: each bad chain must fail with its own rule. */
class SvidVerifierTest {
    static final String ID = "spiffe://example.org/ns/shop/sa/orders";
    static final TrustDomain EXAMPLE = TrustDomain.parse("example.org");
    static final TrustDomain OTHER = TrustDomain.parse("other.org");

    static final TestCertificate root = TestCertificate.root("example root");
    static final TestCertificate intermediate = TestCertificate.builder()
            .commonName("example intermediate")
            .ca(0)
            .validFor(Duration.ofDays(30))
            .issuedBy(root)
            .build();
    static final TestCertificate foreignRoot = TestCertificate.root("other root");
    /** A root that copies our root's name but has its own key: it must never pass for ours. */
    static final TestCertificate impostorRoot = TestCertificate.root("example root");

    static final TrustBundleSet bundles = TrustBundleSet.of(
            TrustBundle.of(EXAMPLE, List.of(root.certificate())),
            TrustBundle.of(OTHER, List.of(foreignRoot.certificate())));

    static SvidVerifier verifier() {
        return SvidVerifier.of(bundles);
    }

    static TestCertificate.Builder leaf() {
        return TestCertificate.builder().uri(ID).issuedBy(root);
    }

    static Arguments bad(String name, SvidRule rule, Supplier<List<X509Certificate>> chain) {
        return Arguments.of(name, rule, chain);
    }

    static Stream<Arguments> badChains() {
        return Stream.of(
                bad("empty chain", SvidRule.EMPTY_CHAIN, List::of),
                bad("expired leaf", SvidRule.EXPIRED, () -> leaf().expired()
                        .build()
                        .chain()),
                bad("not yet valid leaf", SvidRule.NOT_YET_VALID, () -> leaf().notYetValid()
                        .build()
                        .chain()),
                bad("expired intermediate", SvidRule.EXPIRED, () -> {
                    TestCertificate ca = TestCertificate.builder()
                            .ca()
                            .expired()
                            .issuedBy(root)
                            .build();
                    return TestCertificate.leaf(ID, ca).chain();
                }),
                bad(
                        "leaf of another trust domain, signed by our root",
                        SvidRule.UNKNOWN_ISSUER,
                        () -> TestCertificate.leaf("spiffe://other.org/ns/shop/sa/orders", root)
                                .chain()),
                bad(
                        "leaf of our trust domain, signed by the other domain's root",
                        SvidRule.UNKNOWN_ISSUER,
                        () -> TestCertificate.leaf(ID, foreignRoot).chain()),
                bad("leaf of an unconfigured trust domain", SvidRule.UNKNOWN_TRUST_DOMAIN, () -> TestCertificate.leaf(
                                "spiffe://nowhere.org/a", root)
                        .chain()),
                bad("two URI SANs", SvidRule.MULTIPLE_URI_SANS, () -> leaf().uri(
                                "spiffe://example.org/ns/shop/sa/admin")
                        .build()
                        .chain()),
                bad("no URI SAN", SvidRule.NO_URI_SAN, () -> TestCertificate.builder()
                        .dnsName("orders.shop.svc")
                        .issuedBy(root)
                        .build()
                        .chain()),
                bad(
                        "no SAN extension",
                        SvidRule.NO_URI_SAN,
                        () -> TestCertificate.builder().issuedBy(root).build().chain()),
                bad("CA:TRUE leaf", SvidRule.LEAF_IS_CA, () -> leaf().caFlagOnly()
                        .build()
                        .chain()),
                bad("keyUsage missing", SvidRule.KEY_USAGE_MISSING, () -> leaf().noKeyUsage()
                        .build()
                        .chain()),
                bad("keyUsage not critical", SvidRule.KEY_USAGE_NOT_CRITICAL, () -> leaf().keyUsageNotCritical()
                        .build()
                        .chain()),
                bad(
                        "no digitalSignature",
                        SvidRule.MISSING_DIGITAL_SIGNATURE,
                        () -> leaf().keyUsage(KeyUsage.keyEncipherment).build().chain()),
                bad("keyCertSign on a leaf", SvidRule.LEAF_CAN_SIGN, () -> leaf().keyUsage(
                                KeyUsage.digitalSignature | KeyUsage.keyCertSign)
                        .build()
                        .chain()),
                bad("cRLSign on a leaf", SvidRule.LEAF_CAN_SIGN, () -> leaf().keyUsage(
                                KeyUsage.digitalSignature | KeyUsage.cRLSign)
                        .build()
                        .chain()),
                bad("EKU without clientAuth", SvidRule.EXTENDED_KEY_USAGE, () -> leaf().extendedKeyUsage(
                                KeyPurposeId.id_kp_serverAuth)
                        .build()
                        .chain()),
                bad("EKU codeSigning only", SvidRule.EXTENDED_KEY_USAGE, () -> leaf().extendedKeyUsage(
                                KeyPurposeId.id_kp_codeSigning)
                        .build()
                        .chain()),
                bad("unknown issuer", SvidRule.UNKNOWN_ISSUER, () -> {
                    TestCertificate stranger = TestCertificate.root("stranger");
                    return TestCertificate.leaf(ID, stranger).chain();
                }),
                bad(
                        "truncated chain (intermediate missing)",
                        SvidRule.UNKNOWN_ISSUER,
                        () -> List.of(TestCertificate.leaf(ID, intermediate).certificate())),
                bad("impostor root with our root's name", SvidRule.BAD_SIGNATURE, () -> TestCertificate.leaf(
                                ID, impostorRoot)
                        .chain()),
                bad(
                        "invalid SPIFFE ID in SAN (dot segment)",
                        SvidRule.INVALID_SPIFFE_ID,
                        () -> TestCertificate.builder()
                                .rawUri("spiffe://example.org/ns/../sa/admin")
                                .issuedBy(root)
                                .build()
                                .chain()),
                bad("SPIFFE ID without path", SvidRule.INVALID_SPIFFE_ID, () -> TestCertificate.builder()
                        .uri("spiffe://example.org")
                        .issuedBy(root)
                        .build()
                        .chain()),
                bad("https URI SAN", SvidRule.INVALID_SPIFFE_ID, () -> TestCertificate.builder()
                        .uri("https://example.org/ns/a")
                        .issuedBy(root)
                        .build()
                        .chain()),
                bad("NUL inside the URI SAN", SvidRule.MALFORMED_SAN, () -> TestCertificate.builder()
                        .rawUri("spiffe://example.org/ns/shop/sa/orders\u0000.evil")
                        .issuedBy(root)
                        .build()
                        .chain()),
                bad("1024-bit RSA leaf", SvidRule.WEAK_KEY, () -> leaf().keyType(KeyType.RSA_1024)
                        .build()
                        .chain()),
                bad(
                        "secp256k1 leaf (a 256-bit curve that is not P-256)",
                        SvidRule.WEAK_KEY,
                        () -> leaf().keyType(KeyType.EC_SECP256K1).build().chain()),
                bad("SHA-1 signed leaf", SvidRule.WEAK_SIGNATURE, () -> leaf().signatureAlgorithm("SHA1withECDSA")
                        .build()
                        .chain()),
                bad("intermediate that is not a CA", SvidRule.ISSUER_NOT_CA, () -> {
                    TestCertificate notCa = TestCertificate.builder()
                            .uri("spiffe://example.org/ns/x/sa/y")
                            .issuedBy(root)
                            .build();
                    return List.of(TestCertificate.leaf(ID, notCa).certificate(), notCa.certificate());
                }),
                bad("intermediate without keyCertSign", SvidRule.ISSUER_CANNOT_SIGN, () -> {
                    TestCertificate ca = TestCertificate.builder()
                            .ca()
                            .keyUsage(KeyUsage.cRLSign)
                            .issuedBy(root)
                            .build();
                    return TestCertificate.leaf(ID, ca).chain();
                }),
                bad("intermediate beyond its path length", SvidRule.PATH_VALIDATION, () -> {
                    TestCertificate sub = TestCertificate.builder()
                            .ca()
                            .issuedBy(intermediate)
                            .build();
                    return TestCertificate.leaf(ID, sub).chain();
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badChains")
    void refusesBadChainNamingTheRule(String name, SvidRule rule, Supplier<List<X509Certificate>> chain) {
        List<X509Certificate> certificates = chain.get();
        assertThatThrownBy(() -> verifier().verify(certificates))
                .isInstanceOfSatisfying(
                        SvidVerificationException.class,
                        e -> assertThat(e.rule()).as(e.getMessage()).isEqualTo(rule))
                .hasMessageStartingWith(rule.name());
    }

    @Test
    void expiredRootNeverVouches() {
        TestCertificate oldRoot = TestCertificate.builder()
                .commonName("old root")
                .ca()
                .validity(
                        Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)))
                .build();
        TestCertificate leafOfOld = TestCertificate.builder()
                .uri(ID)
                .issuedBy(oldRoot)
                .validity(Instant.now().minus(Duration.ofDays(2)), Instant.now().plus(Duration.ofDays(1)))
                .build();
        SvidVerifier v = SvidVerifier.of(TrustBundleSet.of(TrustBundle.of(EXAMPLE, List.of(oldRoot.certificate()))));
        assertThatThrownBy(() -> v.verify(leafOfOld.chain()))
                .isInstanceOfSatisfying(SvidVerificationException.class, e -> assertThat(e.rule())
                        .isEqualTo(SvidRule.EXPIRED));
    }

    @Test
    void spiffeIdsComeFromEachCertificatesOwnBytesEveryTime() throws Exception {
        // The parse is cached by encoding: two certificates that differ only in their URI SAN, asked for in turn,
        // must each give their own ID; a certificate that does not parse must fail every time, not only the first.
        X509Certificate orders = TestCertificate.leaf("spiffe://example.org/ns/shop/sa/orders", root)
                .certificate();
        X509Certificate payments = TestCertificate.leaf("spiffe://example.org/ns/shop/sa/payments", root)
                .certificate();
        X509Certificate twoUris =
                leaf().uri("spiffe://example.org/ns/shop/sa/admin").build().certificate();
        for (int i = 0; i < 3; i++) {
            assertThat(SvidVerifier.spiffeIdOf(orders)).hasToString("spiffe://example.org/ns/shop/sa/orders");
            assertThat(SvidVerifier.spiffeIdOf(payments)).hasToString("spiffe://example.org/ns/shop/sa/payments");
            assertThatThrownBy(() -> SvidVerifier.spiffeIdOf(twoUris))
                    .isInstanceOfSatisfying(SvidVerificationException.class, e -> assertThat(e.rule())
                            .isEqualTo(SvidRule.MULTIPLE_URI_SANS));
        }
    }

    @Test
    void acceptsLeafSignedByRoot() throws Exception {
        assertThat(verifier().verify(TestCertificate.leaf(ID, root).chain())).isEqualTo(SpiffeId.parse(ID));
    }

    @Test
    void acceptsLeafThroughIntermediate() throws Exception {
        TestCertificate leaf = TestCertificate.leaf(ID, intermediate);
        assertThat(leaf.chain()).hasSize(2);
        assertThat(verifier().verify(leaf.chain())).isEqualTo(SpiffeId.parse(ID));
    }

    @Test
    void acceptsChainThatIncludesTheRoot() throws Exception {
        TestCertificate leaf = TestCertificate.leaf(ID, intermediate);
        List<X509Certificate> withRoot = List.of(leaf.certificate(), intermediate.certificate(), root.certificate());
        assertThat(verifier().verify(withRoot)).isEqualTo(SpiffeId.parse(ID));
    }

    @Test
    void acceptsLeafWithoutExtendedKeyUsageAndWithDnsSans() throws Exception {
        TestCertificate leaf =
                leaf().noExtendedKeyUsage().dnsName("orders.shop.svc").build();
        assertThat(verifier().verify(leaf.chain())).isEqualTo(SpiffeId.parse(ID));
    }

    @Test
    void acceptsRsa2048AndP384Leaves() throws Exception {
        assertThat(verifier().verify(leaf().keyType(KeyType.RSA_2048).build().chain()))
                .isEqualTo(SpiffeId.parse(ID));
        assertThat(verifier().verify(leaf().keyType(KeyType.EC_P384).build().chain()))
                .isEqualTo(SpiffeId.parse(ID));
    }

    @Test
    void bundleWithTwoRootsAcceptsLeavesOfEitherDuringRotation() throws Exception {
        TestCertificate newRoot = TestCertificate.root("example root 2");
        SvidVerifier v = SvidVerifier.of(
                TrustBundleSet.of(TrustBundle.of(EXAMPLE, List.of(root.certificate(), newRoot.certificate()))));
        assertThat(v.verify(TestCertificate.leaf(ID, root).chain())).isEqualTo(SpiffeId.parse(ID));
        assertThat(v.verify(TestCertificate.leaf(ID, newRoot).chain())).isEqualTo(SpiffeId.parse(ID));
    }

    @Test
    void toleratesClockSkewOnlyUpToTheConfiguredBound() throws Exception {
        Instant now = Instant.now();
        TestCertificate leaf = leaf().validity(now.plusSeconds(30), now.plus(Duration.ofHours(1)))
                .build();
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        assertThat(SvidVerifier.of(bundles, clock, Duration.ofMinutes(1)).verify(leaf.chain()))
                .isEqualTo(SpiffeId.parse(ID));
        assertThatThrownBy(() ->
                        SvidVerifier.of(bundles, clock, Duration.ofSeconds(10)).verify(leaf.chain()))
                .isInstanceOfSatisfying(SvidVerificationException.class, e -> assertThat(e.rule())
                        .isEqualTo(SvidRule.NOT_YET_VALID));

        Clock later = Clock.fixed(now.plus(Duration.ofHours(1)).plusSeconds(30), ZoneOffset.UTC);
        assertThat(SvidVerifier.of(bundles, later, Duration.ofMinutes(1)).verify(leaf.chain()))
                .isEqualTo(SpiffeId.parse(ID));
        assertThatThrownBy(() -> SvidVerifier.of(bundles, later, Duration.ZERO).verify(leaf.chain()))
                .isInstanceOfSatisfying(SvidVerificationException.class, e -> assertThat(e.rule())
                        .isEqualTo(SvidRule.EXPIRED));
    }

    @Test
    void rejectsUnreasonableSkew() {
        assertThatThrownBy(() -> SvidVerifier.of(bundles, Clock.systemUTC(), Duration.ofDays(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skew");
    }
}
