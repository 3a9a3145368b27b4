package dev.palisade.certs.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.CertificateSigningRequest;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.x509.SvidRule;
import dev.palisade.certs.x509.SvidVerificationException;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.testkit.net.TlsTestPeer;
import dev.palisade.testkit.pki.TestCertificate;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real mutual TLS handshakes on loopback between Netty endpoints built by {@link SpiffeSslContexts}, on BoringSSL and
 * on the JDK provider: good SVIDs connect and see each other's SPIFFE ID; each bad certificate is refused with its own
 * rule, whichever side presents it.
 */
@Timeout(120)
class MutualTlsIT {
    static final TrustDomain TD = TrustDomain.parse("example.org");
    static final SpiffeId CLIENT_ID = SpiffeId.forWorkload(TD, "shop", "checkout");
    static final SpiffeId SERVER_ID = SpiffeId.forWorkload(TD, "shop", "payments");

    static final CertificateAuthority ca =
            CertificateAuthority.createRoot(TD, KeyAlgorithm.EC_P256, Duration.ofDays(2), Clock.systemUTC());
    static final TrustBundleSet bundles = TrustBundleSet.of(ca.trustBundle());
    /** The testkit's own root, trusted for nothing here, and a root of another trust domain. */
    static final TestCertificate stranger = TestCertificate.root("stranger");

    static final TestCertificate otherDomainRoot = TestCertificate.root("other.org root");
    static final TrustBundleSet bundlesWithOtherDomain = TrustBundleSet.of(
            ca.trustBundle(), TrustBundle.of(TrustDomain.parse("other.org"), List.of(otherDomainRoot.certificate())));

    /** A certificate as a CA-signed test fixture: the key and the chain a peer would send. */
    record Presented(PrivateKey key, List<X509Certificate> chain) {}

    static Optional<String> peerId(SSLSession session) {
        return PeerIdentity.of(session).map(Object::toString);
    }

    static X509Svid issue(SpiffeId id) {
        try {
            KeyPair keys = KeyAlgorithm.EC_P256.generate();
            return X509Svid.of(
                    ca.sign(CertificateSigningRequest.create(keys, id), id, Duration.ofHours(1)), keys.getPrivate());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A leaf signed by the product CA's key, but with properties the test chooses. */
    static TestCertificate.Builder leafFromOurCa(String uri) {
        TestCertificate caAsFixture = caFixture();
        return TestCertificate.builder().uri(uri).issuedBy(caAsFixture);
    }

    private static volatile TestCertificate caFixture;

    /** The product CA's certificate and key, wrapped for the fixture builder. */
    static TestCertificate caFixture() {
        if (caFixture == null) {
            caFixture = TestCertificate.wrap(ca.certificate(), ca.privateKey());
        }
        return caFixture;
    }

    static Presented of(TestCertificate c) {
        return new Presented(c.privateKey(), c.chain());
    }

    static Stream<Arguments> badCertificates() {
        String id = "spiffe://example.org/ns/shop/sa/mallory";
        List<Arguments> cases = new ArrayList<>();
        List<Object[]> table = List.of(
                new Object[] {
                    "expired",
                    SvidRule.EXPIRED,
                    (Supplier<Presented>) () -> of(leafFromOurCa(id).expired().build())
                },
                new Object[] {
                    "not yet valid",
                    SvidRule.NOT_YET_VALID,
                    (Supplier<Presented>)
                            () -> of(leafFromOurCa(id).notYetValid().build())
                },
                new Object[] {
                    "other trust domain's CA vouching for ours",
                    SvidRule.UNKNOWN_ISSUER,
                    (Supplier<Presented>) () -> of(TestCertificate.leaf(id, otherDomainRoot))
                },
                new Object[] {
                    "two URI SANs",
                    SvidRule.MULTIPLE_URI_SANS,
                    (Supplier<Presented>)
                            () -> of(leafFromOurCa(id).uri(SERVER_ID.toString()).build())
                },
                new Object[] {
                    "no URI SAN",
                    SvidRule.NO_URI_SAN,
                    (Supplier<Presented>) () -> of(TestCertificate.builder()
                            .dnsName("payments.shop.svc")
                            .issuedBy(caFixture())
                            .build())
                },
                new Object[] {
                    "CA:TRUE leaf",
                    SvidRule.LEAF_IS_CA,
                    (Supplier<Presented>)
                            () -> of(leafFromOurCa(id).caFlagOnly().build())
                },
                new Object[] {
                    "no digitalSignature",
                    SvidRule.MISSING_DIGITAL_SIGNATURE,
                    (Supplier<Presented>) () ->
                            of(leafFromOurCa(id).keyUsage(KeyUsage.keyAgreement).build())
                },
                new Object[] {
                    "keyCertSign on a leaf",
                    SvidRule.LEAF_CAN_SIGN,
                    (Supplier<Presented>) () -> of(leafFromOurCa(id)
                            .keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign)
                            .build())
                },
                new Object[] {
                    "unknown issuer",
                    SvidRule.UNKNOWN_ISSUER,
                    (Supplier<Presented>) () -> of(TestCertificate.leaf(id, stranger))
                },
                new Object[] {
                    "truncated chain",
                    SvidRule.UNKNOWN_ISSUER,
                    (Supplier<Presented>) () -> {
                        TestCertificate intermediate = TestCertificate.builder()
                                .ca(0)
                                .issuedBy(caFixture())
                                .build();
                        TestCertificate leaf = TestCertificate.leaf(id, intermediate);
                        return new Presented(leaf.privateKey(), List.of(leaf.certificate()));
                    }
                },
                new Object[] {
                    "bad SPIFFE ID in the SAN",
                    SvidRule.INVALID_SPIFFE_ID,
                    (Supplier<Presented>) () -> of(TestCertificate.builder()
                            .rawUri("spiffe://example.org/ns/shop/../sa/admin")
                            .issuedBy(caFixture())
                            .build())
                });
        for (TlsProvider provider : new TlsProvider[] {TlsProvider.OPENSSL, TlsProvider.JDK}) {
            for (Object[] row : table) {
                cases.add(Arguments.of(provider, row[0], row[1], row[2]));
            }
        }
        return cases.stream();
    }

    static TlsOptions options(TlsProvider provider) {
        return TlsOptions.defaults().withProvider(provider);
    }

    /**
     * A peer that presents {@code presented} no matter what: the JDK provider with a key manager that skips the
     * usual issuer and key-usage filtering (BoringSSL refuses to sign with a leaf that lacks digitalSignature).
     */
    static SslContext rawClient(Presented presented) throws Exception {
        return SslContextBuilder.forClient()
                .sslProvider(SslProvider.JDK)
                .keyManager(new AlwaysPresentKeyManager(presented.key(), presented.chain()))
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .protocols("TLSv1.3")
                .build();
    }

    static SslContext rawServer(Presented presented) throws Exception {
        return SslContextBuilder.forServer(new AlwaysPresentKeyManager(presented.key(), presented.chain()))
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3")
                .build();
    }

    /**
     * Asserts that {@code failure} is our verifier's refusal for {@code rule}. One exception: BoringSSL checks the
     * peer leaf's digitalSignature bit itself, before it hands the chain to the trust manager, and refuses with its
     * own KEY_USAGE_BIT_INCORRECT; the handshake is refused either way.
     */
    static void assertRefusedFor(Throwable failure, SvidRule rule, TlsProvider verifyingSide) {
        if (verifyingSide == TlsProvider.OPENSSL
                && rule == SvidRule.MISSING_DIGITAL_SIGNATURE
                && String.valueOf(failure.getMessage()).contains("KEY_USAGE_BIT_INCORRECT")) {
            return;
        }
        assertRefusedFor(failure, rule);
    }

    static void assertRefusedFor(Throwable failure, SvidRule rule) {
        Throwable t = failure;
        while (t != null && !(t instanceof SvidVerificationException)) {
            t = t.getCause();
        }
        assertThat(t)
                .as("cause chain of %s should contain an SvidVerificationException", failure)
                .isInstanceOfSatisfying(SvidVerificationException.class, e -> assertThat(e.rule())
                        .isEqualTo(rule));
    }

    @ParameterizedTest(name = "{0}: client presents {1}")
    @MethodSource("badCertificates")
    void serverRefusesBadClientCertificate(TlsProvider provider, String name, SvidRule rule, Supplier<Presented> bad)
            throws Exception {
        SslContext server = SpiffeSslContexts.forServer(issue(SERVER_ID), bundlesWithOtherDomain, options(provider));
        try (TlsTestPeer peer = new TlsTestPeer(server, MutualTlsIT::peerId);
                TlsTestPeer.Client client = peer.connect(rawClient(bad.get()))) {
            TlsTestPeer.Handshake atServer = peer.nextServerHandshake();
            assertThat(atServer.success()).as("server handshake with %s", name).isFalse();
            assertRefusedFor(atServer.cause(), rule, provider);
            client.closed.get(10, TimeUnit.SECONDS);
            assertThat(client.lines)
                    .as("the server must never answer a refused peer")
                    .isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}: server presents {1}")
    @MethodSource("badCertificates")
    void clientRefusesBadServerCertificate(TlsProvider provider, String name, SvidRule rule, Supplier<Presented> bad)
            throws Exception {
        SslContext client = SpiffeSslContexts.forClient(
                issue(CLIENT_ID), bundlesWithOtherDomain, options(provider), PeerAuthorizer.memberOf(TD));
        try (TlsTestPeer peer = new TlsTestPeer(rawServer(bad.get()), MutualTlsIT::peerId);
                TlsTestPeer.Client connection = peer.connect(client)) {
            TlsTestPeer.Handshake atClient = connection.handshake();
            assertThat(atClient.success()).as("client handshake with %s", name).isFalse();
            assertRefusedFor(atClient.cause(), rule, provider);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void clientWithoutCertificateIsRefused(TlsProvider provider) throws Exception {
        SslContext server = SpiffeSslContexts.forServer(issue(SERVER_ID), bundles, options(provider));
        SslContext anonymous = SslContextBuilder.forClient()
                .sslProvider(SpiffeSslContexts.resolveProvider(provider))
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .build();
        try (TlsTestPeer peer = new TlsTestPeer(server, MutualTlsIT::peerId);
                TlsTestPeer.Client client = peer.connect(anonymous)) {
            assertThat(peer.nextServerHandshake().success()).isFalse();
            client.closed.get(10, TimeUnit.SECONDS);
            assertThat(client.lines).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void clientRefusesServerWithUnexpectedIdentity(TlsProvider provider) throws Exception {
        SslContext server = SpiffeSslContexts.forServer(issue(SERVER_ID), bundles, options(provider));
        SslContext client = SpiffeSslContexts.forClient(
                issue(CLIENT_ID),
                bundles,
                options(provider),
                PeerAuthorizer.exactly(SpiffeId.forWorkload(TD, "shop", "orders")));
        try (TlsTestPeer peer = new TlsTestPeer(server, MutualTlsIT::peerId);
                TlsTestPeer.Client connection = peer.connect(client)) {
            TlsTestPeer.Handshake atClient = connection.handshake();
            assertThat(atClient.success()).isFalse();
            assertRefusedFor(atClient.cause(), SvidRule.UNEXPECTED_SPIFFE_ID);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void tls12ClientIsRefusedUnlessTheFloorAllowsIt(TlsProvider provider) throws Exception {
        X509Svid clientSvid = issue(CLIENT_ID);
        SslContext tls12Client = SslContextBuilder.forClient()
                .sslProvider(SpiffeSslContexts.resolveProvider(provider))
                .keyManager(clientSvid.privateKey(), clientSvid.chain())
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .protocols("TLSv1.2")
                .build();
        try (TlsTestPeer peer = new TlsTestPeer(
                        SpiffeSslContexts.forServer(issue(SERVER_ID), bundles, options(provider)),
                        MutualTlsIT::peerId);
                TlsTestPeer.Client client = peer.connect(tls12Client)) {
            assertThat(peer.nextServerHandshake().success()).isFalse();
        }
        SslContext floor12 = SpiffeSslContexts.forServer(
                issue(SERVER_ID), bundles, options(provider).withMinVersion(TlsVersion.TLS_1_2));
        try (TlsTestPeer peer = new TlsTestPeer(floor12, MutualTlsIT::peerId);
                TlsTestPeer.Client client = peer.connect(tls12Client)) {
            TlsTestPeer.Handshake atServer = peer.nextServerHandshake();
            assertThat(atServer.success()).isTrue();
            assertThat(atServer.protocol()).isEqualTo("TLSv1.2");
            assertThat(atServer.peerId()).contains(CLIENT_ID.toString());
        }
    }

    static Stream<Arguments> providerPairs() {
        return Stream.of(
                Arguments.of(TlsProvider.OPENSSL, TlsProvider.OPENSSL),
                Arguments.of(TlsProvider.JDK, TlsProvider.JDK),
                Arguments.of(TlsProvider.OPENSSL, TlsProvider.JDK),
                Arguments.of(TlsProvider.JDK, TlsProvider.OPENSSL));
    }

    @ParameterizedTest(name = "server {0}, client {1}")
    @MethodSource("providerPairs")
    void goodSvidsCompleteMutualTls13AndSeeEachOthersIds(TlsProvider serverProvider, TlsProvider clientProvider)
            throws Exception {
        SslContext server = SpiffeSslContexts.forServer(issue(SERVER_ID), bundles, options(serverProvider));
        SslContext client = SpiffeSslContexts.forClient(
                issue(CLIENT_ID), bundles, options(clientProvider), PeerAuthorizer.exactly(SERVER_ID));
        try (TlsTestPeer peer = new TlsTestPeer(server, MutualTlsIT::peerId);
                TlsTestPeer.Client connection = peer.connect(client)) {
            TlsTestPeer.Handshake atClient = connection.handshake();
            assertThat(atClient.success())
                    .as("client handshake: %s", atClient.cause())
                    .isTrue();
            assertThat(atClient.protocol()).isEqualTo("TLSv1.3");
            assertThat(atClient.peerId()).contains(SERVER_ID.toString());

            TlsTestPeer.Handshake atServer = peer.nextServerHandshake();
            assertThat(atServer.success()).isTrue();
            assertThat(atServer.peerId()).contains(CLIENT_ID.toString());
            assertThat(connection.nextLine()).isEqualTo(CLIENT_ID.toString());
            connection.send("ping\n");
            assertThat(connection.nextLine()).isEqualTo("ping");
        }
    }

    @Test
    void boringSslOffersTheHybridPostQuantumGroup() throws Exception {
        assertThat(SpiffeSslContexts.resolveProvider(TlsProvider.AUTO)).hasToString("OPENSSL");
        assertThat(GroupSupport.isSupported(TlsOptions.X25519_MLKEM768)).isTrue();
        assertThat(GroupSupport.isSupported("NOT-A-GROUP")).isFalse();
        // Every group an operator may choose is one this build offers: none is dropped silently.
        assertThat(TlsOptions.KNOWN_GROUPS).allMatch(GroupSupport::isSupported);
        assertThat(SpiffeSslContexts.supportedGroups(List.of("NOT-A-GROUP", "X25519")))
                .containsExactly("X25519");
        // The OpenSSL server and client both prefer it, and still complete a handshake.
        goodSvidsCompleteMutualTls13AndSeeEachOthersIds(TlsProvider.OPENSSL, TlsProvider.OPENSSL);
    }

    /** The group BoringSSL negotiated on a client connection (netty-tcnative's own accessor; tests only). */
    static String negotiatedGroup(TlsTestPeer.Client connection) throws Exception {
        return io.netty.internal.tcnative.SSL.getGroupName(
                ((io.netty.handler.ssl.ReferenceCountedOpenSslEngine) connection.ssl.engine()).sslPointer());
    }

    static Stream<Arguments> groupChoices() {
        return Stream.of(
                // server's groups, client's groups, the group they agree on
                Arguments.of(TlsOptions.DEFAULT_GROUPS, TlsOptions.DEFAULT_GROUPS, TlsOptions.X25519_MLKEM768),
                Arguments.of(TlsOptions.DEFAULT_GROUPS, List.of("X25519", "P-256"), "X25519"),
                Arguments.of(List.of("X25519", "P-256"), TlsOptions.DEFAULT_GROUPS, "X25519"),
                Arguments.of(TlsOptions.DEFAULT_GROUPS, List.of("P-384", "P-256"), "P-256"),
                // no group in common: both sides fail the handshake
                Arguments.of(List.of("P-384"), TlsOptions.DEFAULT_GROUPS.subList(0, 1), null),
                // the client's key share is X25519; the server asks again (HelloRetryRequest) for P-384
                Arguments.of(List.of("P-384"), List.of("X25519", "P-384"), "P-384"));
    }

    @ParameterizedTest(name = "server {0}, client {1}")
    @MethodSource("groupChoices")
    void theSidesAgreeOnAGroupBothChoseOrRefuseCleanly(
            List<String> serverGroups, List<String> clientGroups, String agreed) throws Exception {
        SslContext server = SpiffeSslContexts.forServer(
                issue(SERVER_ID), bundles, options(TlsProvider.OPENSSL).withGroups(serverGroups));
        SslContext client = SpiffeSslContexts.forClient(
                issue(CLIENT_ID),
                bundles,
                options(TlsProvider.OPENSSL).withGroups(clientGroups),
                PeerAuthorizer.exactly(SERVER_ID));
        try (TlsTestPeer peer = new TlsTestPeer(server, MutualTlsIT::peerId)) {
            try (TlsTestPeer.Client connection = peer.connect(client)) {
                TlsTestPeer.Handshake atClient = connection.handshake();
                if (agreed == null) {
                    assertThat(atClient.success()).isFalse();
                    assertThat(atClient.cause()).hasStackTraceContaining("HANDSHAKE_FAILURE");
                    assertThat(peer.nextServerHandshake().success()).isFalse();
                    connection.closed.get(10, TimeUnit.SECONDS);
                } else {
                    assertThat(atClient.success())
                            .as("client handshake: %s", atClient.cause())
                            .isTrue();
                    assertThat(negotiatedGroup(connection)).isEqualTo(agreed);
                    assertThat(peer.nextServerHandshake().success()).isTrue();
                    assertThat(connection.nextLine()).isEqualTo(CLIENT_ID.toString());
                }
            }
            // A client with the server's own groups still gets through afterwards.
            SslContext usual = SpiffeSslContexts.forClient(
                    issue(CLIENT_ID),
                    bundles,
                    options(TlsProvider.OPENSSL).withGroups(serverGroups),
                    PeerAuthorizer.exactly(SERVER_ID));
            try (TlsTestPeer.Client next = peer.connect(usual)) {
                assertThat(next.handshake().success()).isTrue();
                assertThat(next.nextLine()).isEqualTo(CLIENT_ID.toString());
            }
        }
    }

    @Test
    void theJdkProviderRefusesGroupsItCannotSet() throws Exception {
        assertThatThrownBy(() -> SpiffeSslContexts.forServer(
                        issue(SERVER_ID), bundles, options(TlsProvider.JDK).withGroups(List.of("P-384"))))
                .isInstanceOf(SSLException.class)
                .hasMessageStartingWith("the key-exchange groups P-384 need BoringSSL (netty-tcnative), but the TLS"
                        + " provider is the JDK's");
        // The defaults are the JDK's to choose, as before.
        assertThat(SpiffeSslContexts.forServer(issue(SERVER_ID), bundles, options(TlsProvider.JDK)))
                .isNotNull();
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void newSvidAppliesToNewHandshakesWhileOpenConnectionsContinue(TlsProvider provider) throws Exception {
        X509Svid first = issue(SERVER_ID);
        SvidSslContextSource source = new SvidSslContextSource(
                first,
                bundles,
                options(provider),
                PeerAuthorizer.anyVerified(),
                PeerAuthorizer.memberOf(TD),
                Clock.systemUTC());
        SslContext client = SpiffeSslContexts.forClient(
                issue(CLIENT_ID), bundles, options(provider), PeerAuthorizer.exactly(SERVER_ID));
        try (TlsTestPeer peer = new TlsTestPeer(source::server, MutualTlsIT::peerId);
                TlsTestPeer.Client before = peer.connect(client)) {
            assertThat(before.handshake().success()).isTrue();
            assertThat(before.nextLine()).isEqualTo(CLIENT_ID.toString());
            X509Certificate servedBefore =
                    (X509Certificate) before.ssl.engine().getSession().getPeerCertificates()[0];
            assertThat(servedBefore).isEqualTo(first.leaf());

            X509Svid second = issue(SERVER_ID);
            source.update(second, bundles);

            before.send("still here\n");
            assertThat(before.nextLine()).isEqualTo("still here");

            try (TlsTestPeer.Client after = peer.connect(client)) {
                assertThat(after.handshake().success()).isTrue();
                X509Certificate servedAfter =
                        (X509Certificate) after.ssl.engine().getSession().getPeerCertificates()[0];
                assertThat(servedAfter).isEqualTo(second.leaf()).isNotEqualTo(first.leaf());
            }
        }
    }
}
