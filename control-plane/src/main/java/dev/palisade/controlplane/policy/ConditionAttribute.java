package dev.palisade.controlplane.policy;

/** The attributes a {@link Condition} ({@code when} entry) may test: the only keys the compiler accepts. */
public enum ConditionAttribute {
    /** {@code request.headers[<name>]}: a request header, HTTP only. */
    REQUEST_HEADER(false),
    /** {@code source.principal}: the peer's SPIFFE ID. */
    SOURCE_PRINCIPAL(true),
    /** {@code source.namespace}: the namespace of the peer's SPIFFE ID. */
    SOURCE_NAMESPACE(true),
    /** {@code source.ip}: the peer's address (the directly connected one). */
    SOURCE_IP(true),
    /** {@code destination.port}: the workload port the connection came in on. */
    DESTINATION_PORT(false);

    private final boolean aboutSource;

    ConditionAttribute(boolean aboutSource) {
        this.aboutSource = aboutSource;
    }

    /**
     * Whether the attribute describes the source (and compiles into RBAC {@code principals}) rather
     * than the request (and compiles into {@code permissions}).
     */
    public boolean aboutSource() {
        return aboutSource;
    }
}
