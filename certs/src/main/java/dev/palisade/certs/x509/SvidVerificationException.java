package dev.palisade.certs.x509;

import static java.util.Objects.requireNonNull;

import java.security.cert.CertificateException;
import org.jspecify.annotations.Nullable;

/**
 * A peer's X.509-SVID chain broke {@link #rule()}. A {@link CertificateException}, so that trust
 * managers can throw it as is and TLS stacks abort the handshake with it as the cause.
 */
public final class SvidVerificationException extends CertificateException {
    private static final long serialVersionUID = 1L;

    private final SvidRule rule;

    public SvidVerificationException(SvidRule rule, String detail) {
        super(rule + ": " + detail);
        this.rule = requireNonNull(rule, "rule");
    }

    public SvidVerificationException(SvidRule rule, String detail, @Nullable Throwable cause) {
        super(rule + ": " + detail, cause);
        this.rule = requireNonNull(rule, "rule");
    }

    /** The rule the chain broke. */
    public SvidRule rule() {
        return rule;
    }
}
