package dev.palisade.controlplane.identity;

/**
 * A credential does not prove any identity: missing, unknown, expired, or for another audience. The identity
 * service answers UNAUTHENTICATED with this message, which must never contain the credential itself.
 */
public final class CredentialException extends Exception {
    private static final long serialVersionUID = 1L;

    public CredentialException(String message) {
        super(message);
    }

    public CredentialException(String message, Throwable cause) {
        super(message, cause);
    }
}
