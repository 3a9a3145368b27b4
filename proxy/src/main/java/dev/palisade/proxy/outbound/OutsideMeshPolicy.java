package dev.palisade.proxy.outbound;

/**
 * What the outbound listener does with a captured connection to a destination the control plane does not list as a
 * mesh destination (a database outside the cluster, a public API).
 */
public enum OutsideMeshPolicy {
    /** Pass it through as plain TCP, unencrypted and unauthenticated: Istio's {@code ALLOW_ANY} default. */
    ALLOW,
    /** Close it: Istio's {@code REGISTRY_ONLY}. */
    DENY
}
