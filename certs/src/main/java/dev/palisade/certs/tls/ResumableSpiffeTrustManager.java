package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.x509.SvidVerificationException;
import io.netty.handler.ssl.ResumableX509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A {@link SpiffeTrustManager} that also checks resumed TLS sessions: Netty calls {@link #resumeClientTrusted} /
 * {@link #resumeServerTrusted} when a handshake resumes a session instead of presenting certificates. The chain from
 * the session is checked again with {@link SpiffeTrustManager#verifyResumed} (still valid now, still an accepted SPIFFE
 * ID); a session that fails is invalidated, so that the next connection makes a full handshake.
 *
 * <p>Used for every server context and for BoringSSL client contexts. Netty's resumption support refuses the {@link
 * Socket} forms of the checks, and a JDK client context's {@code SSLSocket} calls exactly those; so JDK client contexts
 * keep the plain {@link SpiffeTrustManager}, and {@link SpiffeSslContexts#newClientHandler} does not let them resume.
 *
 * <p>A refusal names the resumed session in its message, so that a failed resumption can be told from a failed full
 * handshake.
 */
final class ResumableSpiffeTrustManager extends X509ExtendedTrustManager implements ResumableX509ExtendedTrustManager {
    private final SpiffeTrustManager delegate;

    ResumableSpiffeTrustManager(SpiffeTrustManager delegate) {
        this.delegate = requireNonNull(delegate, "delegate");
    }

    @Override
    public void resumeClientTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        resume(chain, engine);
    }

    @Override
    public void resumeServerTrusted(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
        resume(chain, engine);
    }

    private void resume(X509Certificate[] chain, SSLEngine engine) throws SvidVerificationException {
        try {
            delegate.verifyResumed(chain);
        } catch (SvidVerificationException e) {
            // Out of every cache: a client would otherwise offer the same dead ticket until the session times out.
            engine.getSession().invalidate();
            throw new SvidVerificationException(e.rule(), "resumed session refused: " + e.getMessage(), e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
