package dev.palisade.controlplane.policy;

/** The kinds of object a policy source holds, with the {@code apiVersion} and {@code kind} they are written with. */
public enum ObjectKind {
    AUTHORIZATION_POLICY("security.palisade.dev/v1", "AuthorizationPolicy"),
    PEER_AUTHENTICATION("security.palisade.dev/v1", "PeerAuthentication"),
    WORKLOAD("palisade.dev/v1", "Workload");

    private final String apiVersion;
    private final String kindName;

    ObjectKind(String apiVersion, String kindName) {
        this.apiVersion = apiVersion;
        this.kindName = kindName;
    }

    /** The {@code apiVersion} the kind is written with, such as {@code security.palisade.dev/v1}. */
    public String apiVersion() {
        return apiVersion;
    }

    /** The {@code kind} as written in YAML, such as {@code AuthorizationPolicy}. */
    public String kindName() {
        return kindName;
    }

    @Override
    public String toString() {
        return kindName;
    }
}
