package dev.palisade.controlplane.policy;

/**
 * The protocol a {@link Workload} declares for a port. Declared, never sniffed: the compiler needs
 * to know which ports carry HTTP to refuse HTTP rules on the others.
 */
public enum PortProtocol {
    HTTP,
    HTTP2,
    GRPC,
    /** Opaque TCP: spliced after an L4 check; HTTP-only policy fields can never apply. */
    TCP;

    /** Whether the sidecar treats the port as opaque TCP, where no request-level field can be evaluated. */
    public boolean isOpaque() {
        return this == TCP;
    }
}
