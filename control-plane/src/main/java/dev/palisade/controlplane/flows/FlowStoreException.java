package dev.palisade.controlplane.flows;

/** The flow store could not read or write its database; names the operation and the database. */
public final class FlowStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FlowStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
