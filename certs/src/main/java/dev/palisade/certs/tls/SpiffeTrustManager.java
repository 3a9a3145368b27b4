package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.x509.SvidRule;
import dev.palisade.certs.x509.SvidVerificationException;
import dev.palisade.certs.x509.SvidVerifier;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager that verifies peers as X.509-SVIDs with {@link SvidVerifier} and then asks a
 * {@link PeerAuthorizer}. It replaces the JDK's PKIX trust manager: there is no hostname
 * verification (SPIFFE identities are URIs, not DNS names) and no trust in the system CA store.
 *
 * <p>Resumed sessions are checked by {@link #verifyResumed}, which {@link ResumableSpiffeTrustManager} calls for
 * BoringSSL contexts.
 *
 * <p>Failures are thrown as {@link SvidVerificationException}s, so the cause of a failed handshake
 * names the broken rule. Used from TLS threads concurrently; immutable.
 */
public final class SpiffeTrustManager extends X509ExtendedTrustManager {
    private final SvidVerifier verifier;
    private final PeerAuthorizer authorizer;
    private final X509Certificate[] acceptedIssuers;

    public SpiffeTrustManager(SvidVerifier verifier, PeerAuthorizer authorizer) {
        this.verifier = requireNonNull(verifier, "verifier");
        this.authorizer = requireNonNull(authorizer, "authorizer");
        List<X509Certificate> roots = new ArrayList<>();
        for (TrustBundle bundle : verifier.bundles().bundles()) {
            roots.addAll(bundle.roots());
        }
        this.acceptedIssuers = roots.toArray(new X509Certificate[0]);
    }

    /** Verifies {@code chain} and authorizes its SPIFFE ID; returns the ID. */
    public SpiffeId verify(X509Certificate[] chain) throws SvidVerificationException {
        SpiffeId id = verifier.verify(chain == null ? List.of() : List.of(chain));
        if (!authorizer.isAuthorized(id)) {
            throw new SvidVerificationException(
                    SvidRule.UNEXPECTED_SPIFFE_ID, "the peer " + id + " is not an expected identity");
        }
        return id;
    }

    /** {@link #verify} for the chain of a resumed session: validity and identity again, not the signatures. */
    public SpiffeId verifyResumed(X509Certificate[] chain) throws SvidVerificationException {
        SpiffeId id = verifier.verifyResumed(chain == null ? List.of() : List.of(chain));
        if (!authorizer.isAuthorized(id)) {
            throw new SvidVerificationException(
                    SvidRule.UNEXPECTED_SPIFFE_ID,
                    "the peer " + id + " of the resumed session is not an expected identity");
        }
        return id;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        verify(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return acceptedIssuers.clone();
    }
}
