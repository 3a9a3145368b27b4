package dev.palisade.proxy.inbound;

import dev.palisade.certs.x509.SvidVerificationException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * The labels of {@link InboundObserver#refused}: few and fixed, so that a metric keyed by them stays small. A TLS
 * failure is classified from its cause chain: the SPIFFE trust manager's {@link SvidVerificationException} names the
 * broken rule; a missing client certificate is refused by the TLS stack itself (BoringSSL and the JDK word it
 * differently).
 */
final class RefusalReasons {
    static final String NO_CLIENT_CERTIFICATE = "no_client_certificate";
    static final String UNTRUSTED_CERTIFICATE = "untrusted_certificate";
    static final String EXPIRED_CERTIFICATE = "expired_certificate";
    static final String INVALID_SVID = "invalid_svid";
    static final String HANDSHAKE_TIMEOUT = "handshake_timeout";
    static final String PLAINTEXT_REFUSED = "plaintext_refused";
    static final String PROTOCOL = "protocol";
    static final String OTHER = "other";
    /** The connection's port is not one of the workload's ports in the current config (or there is no config yet). */
    static final String UNKNOWN_PORT = "unknown_port";
    /** Captured mode: the connection was not redirected, so the kernel knows no original destination. */
    static final String NO_ORIGINAL_DESTINATION = "no_original_destination";
    /** Captured mode: the original destination is one of the sidecar's own ports. */
    static final String LOOP = "loop";
    /** HTTP/1.1: a request's headers did not arrive within the header-read timeout (slowloris). */
    static final String HEADER_READ_TIMEOUT = "header_read_timeout";

    private RefusalReasons() {}

    /** The label for a failed TLS handshake. */
    static String ofHandshakeFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SvidVerificationException svid) {
                return switch (svid.rule()) {
                    case EMPTY_CHAIN -> NO_CLIENT_CERTIFICATE;
                    case EXPIRED, NOT_YET_VALID -> EXPIRED_CERTIFICATE;
                    case UNKNOWN_TRUST_DOMAIN,
                            UNKNOWN_ISSUER,
                            BAD_SIGNATURE,
                            ISSUER_NOT_CA,
                            ISSUER_CANNOT_SIGN,
                            PATH_VALIDATION,
                            UNEXPECTED_SPIFFE_ID -> UNTRUSTED_CERTIFICATE;
                    default -> INVALID_SVID;
                };
            }
            if (t instanceof SslHandshakeTimeoutException) {
                return HANDSHAKE_TIMEOUT;
            }
            if (t instanceof TooLongFrameException || t instanceof NotSslRecordException) {
                return PROTOCOL;
            }
            String message = String.valueOf(t.getMessage()).toUpperCase(Locale.ROOT);
            if (message.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE")
                    || message.contains("CERTIFICATE_REQUIRED")
                    || message.contains("EMPTY CLIENT CERTIFICATE CHAIN")
                    || message.contains("EMPTY CERTIFICATE CHAIN")) {
                return NO_CLIENT_CERTIFICATE;
            }
            if (message.contains("KEY_USAGE_BIT_INCORRECT")) {
                // BoringSSL checks the leaf's digitalSignature bit before the trust manager sees the chain.
                return INVALID_SVID;
            }
        }
        // Any other refusal by the TLS stack: a version or cipher the peer does not share, a bad record.
        return failure instanceof SSLException || failure instanceof DecoderException ? PROTOCOL : OTHER;
    }
}
