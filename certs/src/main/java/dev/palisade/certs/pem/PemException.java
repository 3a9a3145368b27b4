package dev.palisade.certs.pem;

/** Thrown when PEM input cannot be used; the message names the source and the problem. */
public final class PemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PemException(String source, String problem) {
        super(source + ": " + problem);
    }

    public PemException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
