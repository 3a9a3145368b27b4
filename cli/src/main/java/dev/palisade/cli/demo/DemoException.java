package dev.palisade.cli.demo;

/** A demo step that could not run: a port taken, a component that did not become ready, a step that timed out. */
public final class DemoException extends Exception {
    private static final long serialVersionUID = 1L;

    public DemoException(String message) {
        super(message);
    }

    public DemoException(String message, Throwable cause) {
        super(message, cause);
    }
}
