package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.x509.SvidVerifier;
import dev.palisade.certs.x509.X509Svid;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds Netty {@link SslContext}s for mutual TLS between workloads from an {@link X509Svid} and a
 * {@link TrustBundleSet}.
 *
 * <p>Both sides present their SVID and require the other's: the server asks for a client certificate
 * and refuses a handshake without one. Peers are verified by {@link SpiffeTrustManager}. Protocols:
 * TLS 1.3, plus TLS 1.2 restricted to ECDHE with AEAD ciphers when {@link TlsOptions#minVersion()} is
 * 1.2. With BoringSSL, the key-exchange groups are set in the order of {@link TlsOptions#groups()};
 * a group this BoringSSL build does not know (for example {@code X25519MLKEM768} in an older one) is
 * dropped with a log line rather than failing start-up.
 *
 * <p>Session resumption: TLS 1.3 tickets, with BoringSSL's own ticket keys, which are per context. Each built context
 * therefore has its own session cache and its own keys, so a context built after a certificate, bundle or authorizer
 * change never resumes a session that was authenticated under the old one (Envoy CVE-2022-21654). On resumption
 * {@link ResumableSpiffeTrustManager} checks the peer's chain for expiry and its identity again (where Netty made the
 * handler: grpc-netty makes its own, without the check). A client resumes only when its handler is made with the peer's host and port, which is how the
 * client session cache is keyed: {@link #newClientHandler} does that for BoringSSL contexts, the ones that check
 * resumed sessions ({@link ResumableSpiffeTrustManager}).
 */
public final class SpiffeSslContexts {
    private static final Logger logger = LoggerFactory.getLogger(SpiffeSslContexts.class);

    /** TLS 1.3 suites first, then the TLS 1.2 ECDHE AEAD suites (used only when 1.2 is enabled). */
    static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /**
     * How long a client keeps a session to offer, in seconds (HAProxy's {@code tune.ssl.lifetime} default), and the
     * TLS 1.2 session timeout. Each TLS 1.3 resumption stores a fresh ticket, so this does not bound a chain of
     * resumptions: the context's life and the resumption check do.
     */
    public static final long SESSION_TIMEOUT_SECONDS = 300;

    private SpiffeSslContexts() {}

    /** A server context that requires and verifies client SVIDs, accepting any verified peer. */
    public static SslContext forServer(X509Svid svid, TrustBundleSet bundles, TlsOptions options) throws SSLException {
        return forServer(svid, bundles, options, PeerAuthorizer.anyVerified(), Clock.systemUTC());
    }

    /** A server context that requires client SVIDs and admits only those {@code authorizer} accepts. */
    public static SslContext forServer(
            X509Svid svid, TrustBundleSet bundles, TlsOptions options, PeerAuthorizer authorizer, Clock clock)
            throws SSLException {
        return forServer(svid, bundles, options, authorizer, clock, true);
    }

    /**
     * A server context that verifies client SVIDs when presented, and requires one only when
     * {@code requireClientCertificate}. The control plane uses the optional form on its gRPC port: a workload with
     * no SVID yet must reach the identity service, and every other service there checks the peer identity itself.
     */
    public static SslContext forServer(
            X509Svid svid,
            TrustBundleSet bundles,
            TlsOptions options,
            PeerAuthorizer authorizer,
            Clock clock,
            boolean requireClientCertificate)
            throws SSLException {
        requireNonNull(svid, "svid");
        requireNonNull(options, "options");
        SslContextBuilder builder = SslContextBuilder.forServer(
                        SvidKeyManagerFactory.of(svid, resolveProvider(options.provider())))
                .clientAuth(requireClientCertificate ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
        return build(builder, bundles, options, authorizer, clock, true);
    }

    /**
     * A client context that presents no certificate and verifies the server as an X.509-SVID: for a workload's
     * first call to the identity service, before it has an SVID of its own.
     */
    public static SslContext forAnonymousClient(TrustBundleSet bundles, TlsOptions options, PeerAuthorizer authorizer)
            throws SSLException {
        return forAnonymousClient(bundles, options, authorizer, Clock.systemUTC());
    }

    /** {@link #forAnonymousClient(TrustBundleSet, TlsOptions, PeerAuthorizer)} with an explicit clock. */
    public static SslContext forAnonymousClient(
            TrustBundleSet bundles, TlsOptions options, PeerAuthorizer authorizer, Clock clock) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient().endpointIdentificationAlgorithm(null);
        return build(builder, bundles, options, authorizer, clock, false);
    }

    /** A client context that presents {@code svid} and accepts a server only if {@code authorizer} does. */
    public static SslContext forClient(
            X509Svid svid, TrustBundleSet bundles, TlsOptions options, PeerAuthorizer authorizer) throws SSLException {
        return forClient(svid, bundles, options, authorizer, Clock.systemUTC());
    }

    /** A client context that presents {@code svid} and accepts a server only if {@code authorizer} does. */
    public static SslContext forClient(
            X509Svid svid, TrustBundleSet bundles, TlsOptions options, PeerAuthorizer authorizer, Clock clock)
            throws SSLException {
        requireNonNull(svid, "svid");
        requireNonNull(options, "options");
        SslContextBuilder builder = SslContextBuilder.forClient()
                .keyManager(SvidKeyManagerFactory.of(svid, resolveProvider(options.provider())))
                // Identity is the SPIFFE ID, checked by the trust manager; there is no DNS name to verify.
                .endpointIdentificationAlgorithm(null);
        return build(builder, bundles, options, authorizer, clock, false);
    }

    /**
     * A client handler for a connection to {@code peer}. A BoringSSL context resumes its last TLS 1.3 session with that
     * address (the session cache is keyed by host and port) and checks the resumed session's chain; a JDK context,
     * which would resume without that check, gets a handler that never resumes.
     */
    public static SslHandler newClientHandler(SslContext context, ByteBufAllocator alloc, InetSocketAddress peer) {
        if (context instanceof ReferenceCountedOpenSslContext) {
            return context.newHandler(alloc, peer.getHostString(), peer.getPort());
        }
        return context.newHandler(alloc);
    }

    /**
     * Does ahead of time what the first context built with {@code options} would: loads and initialises BoringSSL
     * (netty-tcnative's native library, unpacked from the jar, and Netty's probes of it: about 0.3–0.5 s on a 2-core
     * machine at start-up) and probes the key-exchange groups. A sidecar calls it on a thread of its own while it
     * parses its command line. Harmless to call more than once, or never.
     */
    public static void warmUp(TlsOptions options) throws SSLException {
        if (resolveProvider(options.provider()) == SslProvider.OPENSSL) {
            var unused = supportedGroups(options.groups());
        }
    }

    /** The provider {@code options} resolves to on this machine. */
    public static SslProvider resolveProvider(TlsProvider provider) {
        return switch (provider) {
            case JDK -> SslProvider.JDK;
            case OPENSSL -> {
                if (!OpenSsl.isAvailable()) {
                    throw new IllegalStateException(
                            "TLS provider OPENSSL requested, but netty-tcnative is not available: "
                                    + OpenSsl.unavailabilityCause());
                }
                yield SslProvider.OPENSSL;
            }
            case AUTO -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        };
    }

    private static SslContext build(
            SslContextBuilder builder,
            TrustBundleSet bundles,
            TlsOptions options,
            PeerAuthorizer authorizer,
            Clock clock,
            boolean server)
            throws SSLException {
        requireNonNull(bundles, "bundles");
        requireNonNull(options, "options");
        requireNonNull(authorizer, "authorizer");
        SslProvider provider = resolveProvider(options.provider());
        SvidVerifier verifier = SvidVerifier.of(bundles, clock, options.clockSkew());
        SpiffeTrustManager trust = new SpiffeTrustManager(verifier, authorizer);
        builder.sslProvider(provider)
                // Every server context, and BoringSSL client contexts, check resumed sessions. JDK client contexts do
                // not: Netty's resumption wrapper refuses the SSLSocket forms of the checks, which a JDK client
                // context's sockets call, so they keep the plain manager and newClientHandler never lets them resume.
                .trustManager(
                        server || provider == SslProvider.OPENSSL ? new ResumableSpiffeTrustManager(trust) : trust)
                .protocols(protocols(options.minVersion()))
                .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .sessionTimeout(SESSION_TIMEOUT_SECONDS);
        if (!options.alpn().isEmpty()) {
            builder.applicationProtocolConfig(new ApplicationProtocolConfig(
                    ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                    options.alpn()));
        }
        if (provider == SslProvider.OPENSSL) {
            List<String> groups = supportedGroups(options.groups());
            builder.option(OpenSslContextOption.GROUPS, groups.toArray(new String[0]));
        } else if (!options.groups().equals(TlsOptions.DEFAULT_GROUPS)) {
            // The JDK 17 provider has no per-context groups: it would offer its own (x25519, secp256r1, …) instead.
            throw new SSLException("the key-exchange groups " + String.join(",", options.groups())
                    + " need BoringSSL (netty-tcnative), but the TLS provider is the JDK's"
                    + (OpenSsl.isAvailable()
                            ? ""
                            : " (netty-tcnative did not load: " + OpenSsl.unavailabilityCause() + ")")
                    + ", which offers its own groups");
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new SSLException(
                    "cannot build the " + (server ? "server" : "client") + " TLS context (" + provider + "): "
                            + e.getMessage(),
                    e);
        }
    }

    private static String[] protocols(TlsVersion minVersion) {
        return minVersion == TlsVersion.TLS_1_2
                ? new String[] {TlsVersion.TLS_1_3.protocolName(), TlsVersion.TLS_1_2.protocolName()}
                : new String[] {TlsVersion.TLS_1_3.protocolName()};
    }

    /**
     * The subset of {@code wanted} this BoringSSL build accepts, in order. Each group is probed once
     * by building a throw-away client context with it alone.
     */
    static List<String> supportedGroups(List<String> wanted) throws SSLException {
        List<String> supported = new ArrayList<>();
        for (String group : wanted) {
            if (GroupSupport.isSupported(group)) {
                supported.add(group);
            } else {
                logger.info("TLS key-exchange group {} is not offered by this BoringSSL build; skipping it", group);
            }
        }
        if (supported.isEmpty()) {
            throw new SSLException("none of the key-exchange groups " + wanted + " is supported by BoringSSL");
        }
        return supported;
    }
}
