package dev.palisade.certs.tls;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.CertificateSigningRequest;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.x509.SvidRule;
import dev.palisade.certs.x509.SvidVerificationException;
import dev.palisade.certs.x509.SvidVerifier;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.testkit.pki.TestCertificate;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Interoperability with an outside X.509 and TLS implementation: the {@code openssl} command-line
 * tool (OpenSSL 3). Palisade-issued chains must pass {@code openssl verify}; {@code s_client} and
 * {@code s_server} must complete mutual TLS 1.3 with Palisade's Netty contexts on both providers; and
 * a CA and leaves made by {@code openssl} alone must be accepted, or refused for the right rule, by
 * {@link SvidVerifier}.
 *
 * <p>{@code openssl} must be on the {@code PATH}; without it the class fails, unless
 * {@code PALISADE_SKIP_OPENSSL=1} is set, in which case it is skipped.
 */
@Timeout(value = 120, unit = SECONDS)
class OpenSslInteropIT {
    private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(10);
    private static final String LOOPBACK = "127.0.0.1";
    private static final InetAddress LOOPBACK_ADDRESS = loopback();

    private static final TrustDomain TRUST_DOMAIN = TrustDomain.parse("example.org");
    private static final SpiffeId CLIENT_ID = SpiffeId.forWorkload(TRUST_DOMAIN, "shop", "checkout");
    private static final SpiffeId SERVER_ID = SpiffeId.forWorkload(TRUST_DOMAIN, "shop", "payments");
    private static final SpiffeId OTHER_ID = SpiffeId.forWorkload(TRUST_DOMAIN, "shop", "inventory");
    private static final SpiffeId OPENSSL_LEAF_ID = SpiffeId.parse("spiffe://example.org/ns/default/sa/openssl");

    /** The leaf extensions of an X.509-SVID, as an {@code openssl x509 -extfile}, in file order. */
    private static final Map<String, String> SVID_EXTENSIONS = svidExtensions();

    private static String openssl = "openssl";
    private static @Nullable EventLoopGroup group;

    @TempDir
    Path dir;

    private final List<Channel> channels = new ArrayList<>();
    private final List<SslContext> contexts = new ArrayList<>();
    private @Nullable Process opensslServer;

    @BeforeAll
    static void requireOpenssl() {
        Optional<Path> found = findOnPath("openssl");
        if (found.isEmpty()) {
            if ("1".equals(System.getenv("PALISADE_SKIP_OPENSSL"))) {
                Assumptions.abort("openssl is not on the PATH and PALISADE_SKIP_OPENSSL=1: skipping the interop tests");
            }
            fail("The openssl command-line tool is not on the PATH (" + System.getenv("PATH") + "). Install it"
                    + " (Debian/Ubuntu: apt-get install openssl), or set PALISADE_SKIP_OPENSSL=1 to skip these tests.");
        }
        openssl = found.get().toString();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void shutDownEventLoops() {
        EventLoopGroup g = group;
        if (g != null) {
            g.shutdownGracefully(0, 1, SECONDS).awaitUninterruptibly(5, SECONDS);
        }
    }

    @AfterEach
    void closeEverything() throws InterruptedException {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly(5, SECONDS);
        }
        for (SslContext context : contexts) {
            ReferenceCountUtil.release(context);
        }
        Process server = opensslServer;
        if (server != null) {
            server.destroyForcibly();
            assertThat(server.waitFor(10, SECONDS))
                    .as("openssl s_server did not exit after destroyForcibly()")
                    .isTrue();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 1. openssl verify accepts Palisade-issued chains

    @ParameterizedTest
    @EnumSource(
            value = KeyAlgorithm.class,
            names = {"EC_P256", "EC_P384", "RSA_2048"})
    void palisadeIssuedChainPassesOpensslVerify(KeyAlgorithm algorithm) throws Exception {
        CertificateAuthority ca =
                CertificateAuthority.createRoot(TRUST_DOMAIN, algorithm, Duration.ofDays(1), Clock.systemUTC());
        KeyPair keys = algorithm.generate();
        List<X509Certificate> chain = ca.sign(
                CertificateSigningRequest.create(keys, CLIENT_ID),
                CLIENT_ID,
                CertificateAuthority.DEFAULT_WORKLOAD_TTL);
        assertThat(chain).as("a root CA hands out just the leaf").hasSize(1);
        Path root = writeCertificates("root.pem", ca.trustBundle().roots());
        Path leaf = writeCertificates("leaf.pem", chain);

        for (String purpose : List.of("sslclient", "sslserver")) {
            Result verify =
                    run("verify", "-x509_strict", "-CAfile", root.toString(), "-purpose", purpose, leaf.toString());
            assertSucceeded(verify);
            assertThat(verify.output()).as(verify.describe()).contains(leaf + ": OK");
        }

        // The same command must fail when the root is not the leaf's issuer: the check above can fail.
        CertificateAuthority foreign =
                CertificateAuthority.createRoot(TRUST_DOMAIN, algorithm, Duration.ofDays(1), Clock.systemUTC());
        Path foreignRoot =
                writeCertificates("foreign-root.pem", foreign.trustBundle().roots());
        Result refused = run("verify", "-CAfile", foreignRoot.toString(), "-purpose", "sslclient", leaf.toString());
        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
        assertThat(refused.output()).as(refused.describe()).doesNotContain(": OK");
    }

    @Test
    void palisadeChainThroughAnIntermediatePassesOpensslVerify() throws Exception {
        TestCertificate root = TestCertificate.root("OpenSslInteropIT root");
        TestCertificate intermediate = TestCertificate.builder()
                .commonName("OpenSslInteropIT intermediate")
                .ca(0)
                .validFor(Duration.ofDays(30))
                .issuedBy(root)
                .build();
        TrustBundle bundle = TrustBundle.of(TRUST_DOMAIN, List.of(root.certificate()));
        CertificateAuthority ca = CertificateAuthority.load(
                TRUST_DOMAIN,
                intermediate.privateKey(),
                List.of(intermediate.certificate(), root.certificate()),
                bundle,
                Clock.systemUTC());
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        List<X509Certificate> chain = ca.sign(
                CertificateSigningRequest.create(keys, SERVER_ID),
                SERVER_ID,
                CertificateAuthority.DEFAULT_WORKLOAD_TTL);
        assertThat(chain).as("leaf, then the intermediate; never the root").hasSize(2);
        assertThat(chain.get(1)).isEqualTo(intermediate.certificate());
        Path rootPem = writeCertificates("root.pem", List.of(root.certificate()));
        Path intermediates = writeCertificates("intermediates.pem", chain.subList(1, chain.size()));
        Path leaf = writeCertificates("leaf.pem", chain.subList(0, 1));

        for (String purpose : List.of("sslclient", "sslserver")) {
            Result verify = run(
                    "verify",
                    "-x509_strict",
                    "-CAfile",
                    rootPem.toString(),
                    "-untrusted",
                    intermediates.toString(),
                    "-purpose",
                    purpose,
                    leaf.toString());
            assertSucceeded(verify);
            assertThat(verify.output()).as(verify.describe()).contains(leaf + ": OK");
        }
        // Palisade's own verifier agrees with openssl on the same chain.
        assertThat(SvidVerifier.of(TrustBundleSet.of(bundle)).verify(chain)).isEqualTo(SERVER_ID);

        // Without the intermediate, openssl cannot build the path: the positive check is meaningful.
        Result missing = run("verify", "-CAfile", rootPem.toString(), "-purpose", "sslclient", leaf.toString());
        assertThat(missing.exitCode()).as(missing.describe()).isNotZero();
        assertThat(missing.output()).as(missing.describe()).contains("unable to get local issuer certificate");
    }

    // ---------------------------------------------------------------------------------------------
    // 2. openssl s_client against a Palisade server

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void opensslClientCompletesMutualTlsWithPalisadeServer(TlsProvider provider) throws Exception {
        Pki pki = Pki.create();
        CompletableFuture<SpiffeId> serverSaw = new CompletableFuture<>();
        int port = startPalisadeServer(pki.serverSvid(), pki.bundles(), provider, serverSaw);
        Path clientCert = writeCertificates("c.crt", pki.clientSvid().chain());
        Path clientKey = writeKey("c.key", pki.clientSvid());
        Path root = writeCertificates("root.pem", pki.ca().trustBundle().roots());

        Result client = run(
                "s_client",
                "-connect",
                LOOPBACK + ":" + port,
                "-cert",
                clientCert.toString(),
                "-key",
                clientKey.toString(),
                "-CAfile",
                root.toString(),
                "-tls1_3",
                "-verify_return_error",
                // Keep reading after stdin's EOF until the server closes: in TLS 1.3 the server checks the
                // client's certificate after the client considers the handshake done.
                "-ign_eof");

        assertSucceeded(client);
        assertThat(client.output())
                .as(client.describe())
                .contains("Verify return code: 0 (ok)")
                .contains("TLSv1.3")
                .contains(CLIENT_ID + "\n");
        assertThat(serverSaw).succeedsWithin(NETWORK_TIMEOUT).isEqualTo(CLIENT_ID);
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void opensslClientWithoutCertificateIsRefusedByPalisadeServer(TlsProvider provider) throws Exception {
        Pki pki = Pki.create();
        CompletableFuture<SpiffeId> serverSaw = new CompletableFuture<>();
        int port = startPalisadeServer(pki.serverSvid(), pki.bundles(), provider, serverSaw);
        Path root = writeCertificates("root.pem", pki.ca().trustBundle().roots());

        Result client = run(
                "s_client",
                "-connect",
                LOOPBACK + ":" + port,
                "-CAfile",
                root.toString(),
                "-tls1_3",
                "-verify_return_error",
                "-ign_eof");

        assertThat(client.exitCode()).as(client.describe()).isNotZero();
        assertThat(client.output())
                .as(client.describe())
                // The client did verify the server; it is the server that refused the client.
                .contains("Verify return code: 0 (ok)")
                // BoringSSL sends TLS 1.3's certificate_required (RFC 8446 §4.4.2.4); the JDK sends bad_certificate.
                .contains(provider == TlsProvider.OPENSSL ? "alert certificate required" : "alert bad certificate")
                .doesNotContain("spiffe://");
        assertThat(serverSaw)
                .failsWithin(NETWORK_TIMEOUT)
                .withThrowableThat()
                .satisfies(e -> causeOfType(e, SSLHandshakeException.class));
    }

    // ---------------------------------------------------------------------------------------------
    // 3. A Palisade client against openssl s_server

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void palisadeClientCompletesMutualTlsWithOpensslServer(TlsProvider provider) throws Exception {
        Pki pki = Pki.create();
        int port = startOpensslServer(pki);
        SslContext context = context(SpiffeSslContexts.forClient(
                pki.clientSvid(),
                pki.bundles(),
                TlsOptions.defaults().withProvider(provider),
                PeerAuthorizer.exactly(SERVER_ID)));

        Client client = connect(context, port);
        Future<Channel> handshake = client.ssl().handshakeFuture();
        assertThat(handshake.await(NETWORK_TIMEOUT.toMillis())).isTrue();
        assertThat(handshake.cause()).as("handshake failure").isNull();
        assertThat(PeerIdentity.of(client.ssl())).contains(SERVER_ID);
        assertThat(client.ssl().engine().getSession().getProtocol()).isEqualTo("TLSv1.3");

        ChannelFuture request = client.channel()
                .writeAndFlush(ByteBufUtil.writeAscii(client.channel().alloc(), "GET / HTTP/1.0\r\n\r\n"));
        assertThat(request.await(NETWORK_TIMEOUT.toMillis()))
                .as("request written")
                .isTrue();
        assertThat(request.cause()).as("request failure").isNull();

        String response = awaitResponse(client);
        assertThat(response)
                .as("s_server's response")
                .startsWith("HTTP/1.0 200")
                // s_server -www prints the client certificate it verified, SAN included.
                .contains("URI:" + CLIENT_ID);
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void palisadeClientRefusesOpensslServerWithUnexpectedSpiffeId(TlsProvider provider) throws Exception {
        Pki pki = Pki.create();
        int port = startOpensslServer(pki);
        SslContext context = context(SpiffeSslContexts.forClient(
                pki.clientSvid(),
                pki.bundles(),
                TlsOptions.defaults().withProvider(provider),
                PeerAuthorizer.exactly(OTHER_ID)));

        Client client = connect(context, port);
        Future<Channel> handshake = client.ssl().handshakeFuture();
        assertThat(handshake.await(NETWORK_TIMEOUT.toMillis())).isTrue();
        assertThat(handshake.isSuccess()).as("handshake succeeded").isFalse();
        SvidVerificationException refusal = causeOfType(handshake.cause(), SvidVerificationException.class);
        assertThat(refusal.rule()).as(refusal.toString()).isEqualTo(SvidRule.UNEXPECTED_SPIFFE_ID);
        assertThat(refusal).hasMessageContaining(SERVER_ID.toString());
        assertThat(PeerIdentity.of(client.ssl())).isEmpty();
        assertThat(client.channel().closeFuture().await(NETWORK_TIMEOUT.toMillis()))
                .isTrue();
    }

    // ---------------------------------------------------------------------------------------------
    // 4. A CA and leaves made by openssl alone, checked by Palisade

    @Test
    void opensslMadeCaAndLeafAreAcceptedByPalisade() throws Exception {
        Path root = opensslRoot("root", "/O=OpenSSL-made/CN=root");
        Path leaf = opensslLeaf("leaf", "root", extensionFile(Map.of()));

        TrustBundle bundle = TrustBundle.read(TRUST_DOMAIN, root);
        List<X509Certificate> chain = Pem.readCertificates(leaf);
        assertThat(SvidVerifier.of(TrustBundleSet.of(bundle)).verify(chain)).isEqualTo(OPENSSL_LEAF_ID);

        X509Svid svid = X509Svid.load(leaf, dir.resolve("leaf.key"));
        assertThat(svid.id()).isEqualTo(OPENSSL_LEAF_ID);
        assertThat(svid.leaf()).isEqualTo(chain.get(0));
        assertThat(Files.readString(dir.resolve("leaf.key"), US_ASCII))
                .as("openssl 3 writes PKCS#8 keys")
                .startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @ParameterizedTest
    @EnumSource(
            value = TlsProvider.class,
            names = {"OPENSSL", "JDK"})
    void opensslMadeSvidsCompleteMutualTlsWithPalisadeServer(TlsProvider provider) throws Exception {
        SpiffeId clientId = SpiffeId.parse("spiffe://example.org/ns/default/sa/openssl-client");
        Path root = opensslRoot("root", "/O=OpenSSL-made/CN=root");
        Path serverLeaf = opensslLeaf("server", "root", extensionFile(Map.of()));
        Path clientLeaf = opensslLeaf("client", "root", extensionFile(Map.of("subjectAltName", "URI:" + clientId)));
        X509Svid serverSvid = X509Svid.load(serverLeaf, dir.resolve("server.key"));
        TrustBundleSet bundles = TrustBundleSet.of(TrustBundle.read(TRUST_DOMAIN, root));
        CompletableFuture<SpiffeId> serverSaw = new CompletableFuture<>();
        int port = startPalisadeServer(serverSvid, bundles, provider, serverSaw);

        Result client = run(
                "s_client",
                "-connect",
                LOOPBACK + ":" + port,
                "-cert",
                clientLeaf.toString(),
                "-key",
                "client.key",
                "-CAfile",
                root.toString(),
                "-tls1_3",
                "-verify_return_error",
                "-ign_eof");

        assertSucceeded(client);
        assertThat(client.output())
                .as(client.describe())
                .contains("Verify return code: 0 (ok)")
                .contains(clientId + "\n");
        assertThat(serverSaw).succeedsWithin(NETWORK_TIMEOUT).isEqualTo(clientId);
    }

    static Stream<Arguments> opensslMadeLeavesBreakingTheSvidProfile() {
        return Stream.of(
                arguments(
                        "two URI SANs",
                        Map.of("subjectAltName", "URI:spiffe://example.org/a,URI:spiffe://example.org/b"),
                        SvidRule.MULTIPLE_URI_SANS),
                arguments(
                        "keyUsage not critical",
                        Map.of("keyUsage", "digitalSignature"),
                        SvidRule.KEY_USAGE_NOT_CRITICAL),
                arguments("no keyUsage", Map.of("keyUsage", ""), SvidRule.KEY_USAGE_MISSING),
                arguments(
                        "keyUsage with keyCertSign",
                        Map.of("keyUsage", "critical,digitalSignature,keyCertSign"),
                        SvidRule.LEAF_CAN_SIGN),
                arguments("leaf is a CA", Map.of("basicConstraints", "critical,CA:TRUE"), SvidRule.LEAF_IS_CA),
                arguments("only a DNS SAN", Map.of("subjectAltName", "DNS:openssl.example.org"), SvidRule.NO_URI_SAN),
                arguments("serverAuth only", Map.of("extendedKeyUsage", "serverAuth"), SvidRule.EXTENDED_KEY_USAGE),
                arguments(
                        "trailing slash in the SPIFFE ID",
                        Map.of("subjectAltName", "URI:spiffe://example.org/ns/default/sa/openssl/"),
                        SvidRule.INVALID_SPIFFE_ID),
                arguments(
                        "foreign trust domain",
                        Map.of("subjectAltName", "URI:spiffe://other.org/ns/default/sa/openssl"),
                        SvidRule.UNKNOWN_TRUST_DOMAIN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("opensslMadeLeavesBreakingTheSvidProfile")
    void opensslMadeLeafBreakingTheSvidProfileIsRefused(
            String description, Map<String, String> overrides, SvidRule expected) throws Exception {
        Path root = opensslRoot("root", "/O=OpenSSL-made/CN=root");
        Path leaf = opensslLeaf("leaf", "root", extensionFile(overrides));
        SvidVerifier verifier = SvidVerifier.of(TrustBundleSet.of(TrustBundle.read(TRUST_DOMAIN, root)));
        List<X509Certificate> chain = Pem.readCertificates(leaf);

        assertThatThrownBy(() -> verifier.verify(chain))
                .as(description)
                .isInstanceOfSatisfying(
                        SvidVerificationException.class,
                        e -> assertThat(e.rule()).as(e.getMessage()).isEqualTo(expected));
    }

    @Test
    void opensslMadeLeafOfAnotherCaIsRefused() throws Exception {
        Path trusted = opensslRoot("root", "/O=OpenSSL-made/CN=root");
        // Same subject as the trusted root, different key: only the signature tells them apart.
        opensslRoot("impostor", "/O=OpenSSL-made/CN=root");
        opensslRoot("stranger", "/O=OpenSSL-made/CN=stranger");
        Path byImpostor = opensslLeaf("by-impostor", "impostor", extensionFile(Map.of()));
        Path byStranger = opensslLeaf("by-stranger", "stranger", extensionFile(Map.of()));
        SvidVerifier verifier = SvidVerifier.of(TrustBundleSet.of(TrustBundle.read(TRUST_DOMAIN, trusted)));

        assertThatThrownBy(() -> verifier.verify(Pem.readCertificates(byImpostor)))
                .isInstanceOfSatisfying(
                        SvidVerificationException.class,
                        e -> assertThat(e.rule()).as(e.getMessage()).isEqualTo(SvidRule.BAD_SIGNATURE));
        assertThatThrownBy(() -> verifier.verify(Pem.readCertificates(byStranger)))
                .isInstanceOfSatisfying(
                        SvidVerificationException.class,
                        e -> assertThat(e.rule()).as(e.getMessage()).isEqualTo(SvidRule.UNKNOWN_ISSUER));
    }

    // ---------------------------------------------------------------------------------------------
    // PKI

    /** A Palisade root CA of {@link #TRUST_DOMAIN} and SVIDs for the client and the server, issued via CSRs. */
    private record Pki(CertificateAuthority ca, X509Svid clientSvid, X509Svid serverSvid) {
        static Pki create() throws Exception {
            CertificateAuthority ca = CertificateAuthority.createRoot(
                    TRUST_DOMAIN, KeyAlgorithm.EC_P256, Duration.ofDays(1), Clock.systemUTC());
            return new Pki(ca, issue(ca, CLIENT_ID), issue(ca, SERVER_ID));
        }

        private static X509Svid issue(CertificateAuthority ca, SpiffeId id) throws Exception {
            KeyPair keys = KeyAlgorithm.EC_P256.generate();
            List<X509Certificate> chain =
                    ca.sign(CertificateSigningRequest.create(keys, id), id, CertificateAuthority.DEFAULT_WORKLOAD_TTL);
            return new X509Svid(id, chain, keys.getPrivate());
        }

        TrustBundleSet bundles() {
            return TrustBundleSet.of(ca.trustBundle());
        }
    }

    private Path writeCertificates(String name, List<X509Certificate> certificates) {
        Path file = dir.resolve(name);
        Pem.writeCertificates(file, certificates);
        return file;
    }

    private Path writeKey(String name, X509Svid svid) {
        Path file = dir.resolve(name);
        Pem.writePrivateKey(file, svid.privateKey());
        return file;
    }

    /** Makes {@code <name>.pem} and {@code <name>.key}: a self-signed EC P-256 CA, with openssl alone. */
    private Path opensslRoot(String name, String subject) throws Exception {
        assertSucceeded(run(
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                name + ".key",
                "-out",
                name + ".pem",
                "-subj",
                subject,
                "-days",
                "30",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign"));
        return dir.resolve(name + ".pem");
    }

    /** Makes {@code <name>.pem} and {@code <name>.key}: a leaf signed by {@code <issuer>.pem}, with openssl alone. */
    private Path opensslLeaf(String name, String issuer, Path extensions) throws Exception {
        assertSucceeded(run(
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                name + ".key",
                "-out",
                name + ".csr",
                "-subj",
                "/O=OpenSSL-made/CN=" + name));
        assertSucceeded(run(
                "x509",
                "-req",
                "-in",
                name + ".csr",
                "-CA",
                issuer + ".pem",
                "-CAkey",
                issuer + ".key",
                "-days",
                "1",
                "-sha256",
                "-extfile",
                extensions.toString(),
                "-out",
                name + ".pem"));
        return dir.resolve(name + ".pem");
    }

    /** An {@code -extfile} with the SVID leaf extensions; an override with an empty value drops that one. */
    private Path extensionFile(Map<String, String> overrides) throws IOException {
        Map<String, String> extensions = new LinkedHashMap<>(SVID_EXTENSIONS);
        extensions.putAll(overrides);
        StringBuilder text = new StringBuilder();
        extensions.forEach((key, value) -> {
            if (!value.isEmpty()) {
                text.append(key).append(" = ").append(value).append('\n');
            }
        });
        Path file = Files.createTempFile(dir, "ext-", ".cnf");
        Files.writeString(file, text, US_ASCII);
        return file;
    }

    private static Map<String, String> svidExtensions() {
        Map<String, String> extensions = new LinkedHashMap<>();
        extensions.put("basicConstraints", "critical,CA:FALSE");
        extensions.put("keyUsage", "critical,digitalSignature");
        extensions.put("extendedKeyUsage", "serverAuth,clientAuth");
        extensions.put("subjectAltName", "URI:" + OPENSSL_LEAF_ID);
        extensions.put("subjectKeyIdentifier", "hash");
        extensions.put("authorityKeyIdentifier", "keyid");
        return extensions;
    }

    // ---------------------------------------------------------------------------------------------
    // Netty

    private SslContext context(SslContext context) {
        contexts.add(context);
        return context;
    }

    /**
     * Starts a Palisade server that, once the handshake is done, writes the client's SPIFFE ID and a
     * newline and closes. {@code serverSaw} completes with that ID, or with the handshake's failure.
     */
    private int startPalisadeServer(
            X509Svid svid, TrustBundleSet bundles, TlsProvider provider, CompletableFuture<SpiffeId> serverSaw)
            throws Exception {
        SslContext context = context(
                SpiffeSslContexts.forServer(svid, bundles, TlsOptions.defaults().withProvider(provider)));
        assertThat(context.isServer()).isTrue();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(eventLoops())
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        SslHandler ssl = context.newHandler(ch.alloc());
                        ch.pipeline().addLast(ssl, new IdentityEchoHandler(ssl, serverSaw));
                    }
                });
        ChannelFuture bind = bootstrap.bind(LOOPBACK_ADDRESS, 0);
        assertThat(bind.await(NETWORK_TIMEOUT.toMillis())).as("bind").isTrue();
        assertThat(bind.cause()).as("bind failure").isNull();
        channels.add(bind.channel());
        return ((InetSocketAddress) bind.channel().localAddress()).getPort();
    }

    /**
     * Writes the verified peer's SPIFFE ID after the handshake, then closes; discards what it reads. Close
     * futures go unchecked: the test observes the outcome through {@code serverSaw} and the client.
     */
    @SuppressWarnings("FutureReturnValueIgnored")
    private static final class IdentityEchoHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final SslHandler ssl;
        private final CompletableFuture<SpiffeId> serverSaw;

        IdentityEchoHandler(SslHandler ssl, CompletableFuture<SpiffeId> serverSaw) {
            this.ssl = ssl;
            this.serverSaw = serverSaw;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent completion) {
                if (!completion.isSuccess()) {
                    serverSaw.completeExceptionally(completion.cause());
                    ctx.close();
                } else {
                    Optional<SpiffeId> peer = PeerIdentity.of(ssl);
                    if (peer.isPresent()) {
                        serverSaw.complete(peer.get());
                        ctx.writeAndFlush(ByteBufUtil.writeAscii(ctx.alloc(), peer.get() + "\n"))
                                .addListener(ChannelFutureListener.CLOSE);
                    } else {
                        serverSaw.completeExceptionally(
                                new AssertionError("handshake succeeded without a peer SPIFFE ID"));
                        ctx.close();
                    }
                }
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            // Discarded; SimpleChannelInboundHandler releases it.
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            serverSaw.completeExceptionally(new IllegalStateException("closed before the handshake completed"));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            serverSaw.completeExceptionally(cause);
            ctx.close();
        }
    }

    private record Client(Channel channel, SslHandler ssl, CompletableFuture<String> response) {}

    /** Connects a TLS client; {@code response} completes with everything read when the channel closes. */
    private Client connect(SslContext context, int port) throws InterruptedException {
        CompletableFuture<String> response = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap()
                .group(eventLoops())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) NETWORK_TIMEOUT.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(context.newHandler(ch.alloc(), LOOPBACK, port));
                        ch.pipeline().addLast(new ResponseCollector(response));
                    }
                });
        ChannelFuture connect = bootstrap.connect(LOOPBACK_ADDRESS, port);
        assertThat(connect.await(NETWORK_TIMEOUT.toMillis())).as("connect").isTrue();
        channels.add(connect.channel());
        assertThat(connect.cause()).as("connect failure").isNull();
        SslHandler ssl = connect.channel().pipeline().get(SslHandler.class);
        assertThat(ssl).isNotNull();
        return new Client(connect.channel(), ssl, response);
    }

    /**
     * Accumulates the decrypted bytes and completes with them when the connection closes. Close futures go
     * unchecked: {@code channelInactive} completes the response either way.
     */
    @SuppressWarnings("FutureReturnValueIgnored")
    private static final class ResponseCollector extends SimpleChannelInboundHandler<ByteBuf> {
        private final CompletableFuture<String> response;
        // Only touched on the channel's event loop.
        private final StringBuilder received = new StringBuilder();

        ResponseCollector(CompletableFuture<String> response) {
            this.response = response;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslCloseCompletionEvent) {
                // s_server sent close_notify after its response and waits for ours before it closes the
                // socket. Netty's BoringSSL engine answers close_notify; the JDK's TLS 1.3 engine treats it as
                // a half-close and does not. Close, as an HTTP/1.0 client does at the end of a response.
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            received.append(msg.toString(US_ASCII));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            response.complete(received.toString());
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            response.completeExceptionally(cause);
            ctx.close();
        }
    }

    private static EventLoopGroup eventLoops() {
        EventLoopGroup g = group;
        assertThat(g).as("event loop group").isNotNull();
        return g;
    }

    private static <T extends Throwable> T causeOfType(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in the cause chain of " + failure, failure);
    }

    // ---------------------------------------------------------------------------------------------
    // openssl processes

    /**
     * Starts {@code openssl s_server -www} requiring a client certificate from the Palisade root, serving
     * the Palisade server SVID, and waits until it accepts connections.
     */
    private int startOpensslServer(Pki pki) throws Exception {
        Path cert = writeCertificates("s.crt", pki.serverSvid().chain());
        Path key = writeKey("s.key", pki.serverSvid());
        Path root = writeCertificates("root.pem", pki.ca().trustBundle().roots());
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK_ADDRESS)) {
            port = probe.getLocalPort();
        }
        Path log = dir.resolve("s_server.log");
        List<String> command = List.of(
                openssl,
                "s_server",
                "-accept",
                LOOPBACK + ":" + port,
                "-cert",
                cert.toString(),
                "-key",
                key.toString(),
                "-CAfile",
                root.toString(),
                "-Verify",
                "1",
                "-verify_return_error",
                "-tls1_3",
                "-www");
        Process server = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        opensslServer = server;

        long deadline = System.nanoTime() + NETWORK_TIMEOUT.toNanos();
        while (true) {
            if (!server.isAlive()) {
                fail(
                        "%s exited with %d before accepting connections; output:%n%s",
                        command, server.exitValue(), Files.readString(log, ISO_8859_1));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(LOOPBACK_ADDRESS, port), 200);
                return port;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    fail(
                            "%s did not accept connections on port %d within %s; output:%n%s",
                            command, port, NETWORK_TIMEOUT, Files.readString(log, ISO_8859_1));
                }
                Thread.sleep(50);
            }
        }
    }

    /** Waits for {@code client}'s connection to close and returns what it read, failing with s_server's log. */
    private String awaitResponse(Client client) throws Exception {
        try {
            return client.response().get(NETWORK_TIMEOUT.toSeconds(), SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("no complete response from openssl s_server; its output:\n" + serverLog(), e);
        }
    }

    private String serverLog() throws IOException {
        Path log = dir.resolve("s_server.log");
        return Files.exists(log) ? Files.readString(log, ISO_8859_1) : "(none)";
    }

    /** The outcome of an {@code openssl} run: its exit code and its stdout and stderr, interleaved. */
    private record Result(List<String> command, int exitCode, String output) {
        String describe() {
            return String.join(" ", command) + " exited with " + exitCode + "; output:\n" + output;
        }
    }

    private static void assertSucceeded(Result result) {
        assertThat(result.exitCode()).as(result.describe()).isZero();
    }

    /**
     * Runs {@code openssl args...} in the test's directory with stdin at EOF, waits at most
     * {@link #PROCESS_TIMEOUT}, and returns the exit code and output; a process that hangs fails the test.
     */
    private Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(openssl);
        command.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "openssl-" + args[0] + "-", ".log");
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        if (!process.waitFor(PROCESS_TIMEOUT.toSeconds(), SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, SECONDS);
            fail(
                    "%s did not exit within %s; output so far:%n%s",
                    command, PROCESS_TIMEOUT, Files.readString(log, ISO_8859_1));
        }
        return new Result(command, process.exitValue(), Files.readString(log, ISO_8859_1));
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Optional<Path> findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String entry : path.split(File.pathSeparator, -1)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(entry, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
