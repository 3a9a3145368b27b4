package dev.palisade.proxy.outbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.SvidSslContextSource;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * The client TLS contexts of the outbound listener: one per ALPN protocol it offers ({@code h2}, {@code http/1.1}),
 * built from the workload's current SVID and trust bundles in an {@link SvidSslContextSource}.
 *
 * <p>ALPN is a property of an {@link SslContext} with BoringSSL (there is no per-connection setter), so the single
 * client context of the source cannot offer {@code h2} to one connection and {@code http/1.1} to the next. This class
 * builds the pair again whenever the source's SVID or bundle set is another object, at the next connection: a
 * rotation applies to new connections, open ones keep theirs. A rebuilt context also has a new session cache, so no
 * TLS session is resumed across a rotation (see the README, "TLS session resumption").
 *
 * <p>The contexts accept any server whose chain verifies against the bundle of its own trust domain; which identity
 * is acceptable for a destination is checked after the handshake, before any byte of the app is sent, so that the
 * listener can tell a wrong identity ({@code peer_mismatch}) from an untrusted chain.
 *
 * <p>Thread-safe: the current pair is one volatile reference; two threads may build the same pair once each.
 */
public final class OutboundTls {
    /** ALPN for an HTTP/2 client (RFC 9113 §3.2). */
    public static final String H2 = "h2";
    /** ALPN for anything else: HTTP/1.1, or opaque TCP, which the inbound sidecar splices by port. */
    public static final String HTTP_1_1 = "http/1.1";

    private record Contexts(X509Svid svid, TrustBundleSet bundles, SslContext h2, SslContext http1) {}

    private final SvidSslContextSource source;
    private final TlsOptions options;
    private volatile Contexts current;

    /**
     * @param source the workload's SVID and bundles, as rotated by the identity client
     * @param options TLS versions, provider and groups; its ALPN list is replaced per protocol
     */
    public OutboundTls(SvidSslContextSource source, TlsOptions options) throws SSLException {
        this.source = requireNonNull(source, "source");
        this.options = requireNonNull(options, "options");
        this.current = build(source.svid(), source.bundles());
    }

    /** This workload's SPIFFE ID, as of the current SVID. */
    public SpiffeId self() {
        return source.svid().id();
    }

    /** The client context offering {@code alpn} ({@link #H2} or {@link #HTTP_1_1}) for a new connection. */
    public SslContext client(String alpn) throws SSLException {
        Contexts c = current;
        X509Svid svid = source.svid();
        TrustBundleSet bundles = source.bundles();
        if (c.svid() != svid || c.bundles() != bundles) {
            c = build(svid, bundles);
            current = c;
        }
        return H2.equals(alpn) ? c.h2() : c.http1();
    }

    private Contexts build(X509Svid svid, TrustBundleSet bundles) throws SSLException {
        PeerAuthorizer verifiedOnly = PeerAuthorizer.anyVerified();
        SslContext h2 = SpiffeSslContexts.forClient(svid, bundles, options.withAlpn(List.of(H2)), verifiedOnly);
        SslContext http1 =
                SpiffeSslContexts.forClient(svid, bundles, options.withAlpn(List.of(HTTP_1_1)), verifiedOnly);
        return new Contexts(svid, bundles, h2, http1);
    }
}
