package dev.palisade.proxy.inbound;

/**
 * Connection-level events of a listener, for metrics (requests are counted from flow events). Called on event-loop
 * threads: implementations must be cheap and never throw.
 */
public interface InboundObserver {
    /** Observes nothing. */
    InboundObserver NONE = new InboundObserver() {};

    /** A connection was accepted. */
    default void connectionOpened() {}

    /** An accepted connection closed. */
    default void connectionClosed() {}

    /**
     * A TLS handshake completed with an accepted peer.
     *
     * @param resumed whether it resumed an earlier session (a TLS 1.3 ticket) instead of a full certificate exchange
     */
    default void tlsHandshake(boolean resumed) {}

    /**
     * A TLS handshake failed or a connection was refused before any request.
     *
     * @param reason a short, low-cardinality label: {@code no_client_certificate}, {@code untrusted_certificate},
     *     {@code expired_certificate}, {@code invalid_svid}, {@code handshake_timeout}, {@code plaintext_refused},
     *     {@code protocol}, {@code other}; and from the listener: {@code unknown_port} (not a port of the workload),
     *     {@code no_original_destination} and {@code loop} (captured mode), {@code header_read_timeout} (HTTP/1.1
     *     slowloris)
     */
    default void refused(String reason) {}
}
