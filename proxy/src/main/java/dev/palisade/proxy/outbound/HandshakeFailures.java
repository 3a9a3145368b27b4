package dev.palisade.proxy.outbound;

import dev.palisade.certs.x509.SvidVerificationException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.jspecify.annotations.Nullable;

/** Turns a failed client handshake into the observer's low-cardinality reason label. */
final class HandshakeFailures {
    private HandshakeFailures() {}

    static String reason(@Nullable Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SslHandshakeTimeoutException) {
                return "handshake_timeout";
            }
            if (t instanceof SvidVerificationException e) {
                return switch (e.rule()) {
                    case EXPIRED, NOT_YET_VALID -> "expired_certificate";
                    case UNKNOWN_ISSUER,
                            UNKNOWN_TRUST_DOMAIN,
                            BAD_SIGNATURE,
                            PATH_VALIDATION,
                            ISSUER_NOT_CA,
                            ISSUER_CANNOT_SIGN -> "untrusted_certificate";
                    default -> "invalid_svid";
                };
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return "other";
    }
}
