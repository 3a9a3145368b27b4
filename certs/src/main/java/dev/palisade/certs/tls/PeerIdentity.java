package dev.palisade.certs.tls;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.x509.SvidVerificationException;
import dev.palisade.certs.x509.SvidVerifier;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Reads the peer's SPIFFE ID from a completed handshake. The chain was verified by
 * {@link SpiffeTrustManager} during the handshake; this only reads the leaf's URI SAN back.
 */
public final class PeerIdentity {
    private PeerIdentity() {}

    /** The peer's SPIFFE ID, or empty when the session has no verified X.509 peer. */
    public static Optional<SpiffeId> of(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return Optional.empty();
            }
            return Optional.of(SvidVerifier.spiffeIdOf(leaf));
        } catch (SSLPeerUnverifiedException | SvidVerificationException e) {
            return Optional.empty();
        }
    }

    /** The peer's SPIFFE ID on a channel whose {@link SslHandler} finished its handshake. */
    public static Optional<SpiffeId> of(SslHandler handler) {
        if (!handler.handshakeFuture().isSuccess()) {
            return Optional.empty();
        }
        return of(handler.engine().getSession());
    }
}
