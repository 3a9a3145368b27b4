package dev.palisade.injector.manifest;

/** A manifest that cannot be read: the message names the document (1-based) and, for YAML errors, the line. */
public final class ManifestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ManifestException(String message) {
        super(message);
    }

    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
