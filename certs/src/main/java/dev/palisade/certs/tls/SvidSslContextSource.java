package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.x509.X509Svid;
import io.netty.handler.ssl.SslContext;
import java.time.Clock;
import javax.net.ssl.SSLException;

/**
 * The current server and client TLS contexts of a workload, replaced as a pair when its SVID or trust
 * bundles change.
 *
 * <p>New connections take {@link #server()} / {@link #client()} at accept or connect time; a
 * connection keeps the context it started with, so {@link #update} affects new handshakes only and
 * never drops an open connection. Thread-safe: readers see either the old pair or the new one.
 */
public final class SvidSslContextSource {
    private record Contexts(X509Svid svid, TrustBundleSet bundles, SslContext server, SslContext client) {}

    private final TlsOptions options;
    private final PeerAuthorizer serverSideAuthorizer;
    private final PeerAuthorizer clientSideAuthorizer;
    private final Clock clock;
    private final boolean requireClientCertificate;
    // Written by update(), read by every new connection: volatile publishes the whole pair at once.
    private volatile Contexts current;

    /**
     * @param serverSideAuthorizer which clients the server context admits
     * @param clientSideAuthorizer which servers the client context accepts
     */
    public SvidSslContextSource(
            X509Svid svid,
            TrustBundleSet bundles,
            TlsOptions options,
            PeerAuthorizer serverSideAuthorizer,
            PeerAuthorizer clientSideAuthorizer,
            Clock clock)
            throws SSLException {
        this(svid, bundles, options, serverSideAuthorizer, clientSideAuthorizer, clock, true);
    }

    /**
     * @param requireClientCertificate false for a server that must also accept callers without an SVID yet (the
     *     control plane's gRPC port); presented client certificates are verified either way
     */
    public SvidSslContextSource(
            X509Svid svid,
            TrustBundleSet bundles,
            TlsOptions options,
            PeerAuthorizer serverSideAuthorizer,
            PeerAuthorizer clientSideAuthorizer,
            Clock clock,
            boolean requireClientCertificate)
            throws SSLException {
        this.options = requireNonNull(options, "options");
        this.serverSideAuthorizer = requireNonNull(serverSideAuthorizer, "serverSideAuthorizer");
        this.clientSideAuthorizer = requireNonNull(clientSideAuthorizer, "clientSideAuthorizer");
        this.clock = requireNonNull(clock, "clock");
        this.requireClientCertificate = requireClientCertificate;
        this.current = build(svid, bundles);
    }

    /** Builds contexts for a new SVID and/or bundle set and makes them current. */
    public void update(X509Svid svid, TrustBundleSet bundles) throws SSLException {
        current = build(svid, bundles);
    }

    private Contexts build(X509Svid svid, TrustBundleSet bundles) throws SSLException {
        requireNonNull(svid, "svid");
        requireNonNull(bundles, "bundles");
        SslContext server = SpiffeSslContexts.forServer(
                svid, bundles, options, serverSideAuthorizer, clock, requireClientCertificate);
        SslContext client = SpiffeSslContexts.forClient(svid, bundles, options, clientSideAuthorizer, clock);
        return new Contexts(svid, bundles, server, client);
    }

    public SslContext server() {
        return current.server();
    }

    public SslContext client() {
        return current.client();
    }

    public X509Svid svid() {
        return current.svid();
    }

    public TrustBundleSet bundles() {
        return current.bundles();
    }
}
