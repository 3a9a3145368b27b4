package dev.palisade.certs.ca;

import static java.util.Objects.requireNonNull;

/**
 * A certificate signing request cannot be signed; {@link #reason()} says why. The identity service
 * maps {@link Reason#ID_MISMATCH} to PERMISSION_DENIED and the others to INVALID_ARGUMENT.
 */
public final class CsrException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a CSR was refused. */
    public enum Reason {
        /** Not a DER/PEM PKCS#10 request. */
        MALFORMED,
        /** The request's self-signature does not verify: the requester does not hold the key. */
        BAD_SIGNATURE,
        /** No URI SAN in the requested extensions. */
        NO_URI_SAN,
        /** More than one URI SAN. */
        MULTIPLE_URI_SANS,
        /** The URI SAN is not a valid workload SPIFFE ID. */
        INVALID_SPIFFE_ID,
        /** The URI SAN is a valid SPIFFE ID, but not the one the caller is entitled to. */
        ID_MISMATCH,
        /** The key type or size is not accepted (ECDSA P-256/P-384, RSA 2048-4096). */
        KEY_NOT_ALLOWED,
        /** The requested lifetime is zero or negative, or the CA cannot issue any more. */
        INVALID_LIFETIME
    }

    private final Reason reason;

    public CsrException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = requireNonNull(reason, "reason");
    }

    public CsrException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
