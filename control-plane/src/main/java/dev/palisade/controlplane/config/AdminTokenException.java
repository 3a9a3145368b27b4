package dev.palisade.controlplane.config;

/**
 * An admin token that cannot be used: unreadable file, empty, too short or too long, or a character outside printable
 * ASCII. The message names where the token came from (a file or {@value AdminToken#ENV}) and the rule it breaks; it
 * never contains the token.
 */
public final class AdminTokenException extends Exception {
    private static final long serialVersionUID = 1L;

    public AdminTokenException(String message) {
        super(message);
    }

    public AdminTokenException(String message, Throwable cause) {
        super(message, cause);
    }
}
