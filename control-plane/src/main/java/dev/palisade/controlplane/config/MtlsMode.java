package dev.palisade.controlplane.config;

/**
 * Whether a sidecar's inbound port requires mutual TLS ({@code PeerAuthentication} {@code
 * mtls.mode}, or the mesh default).
 *
 * <p>Istio's {@code DISABLE} and {@code UNSET} are not offered: a Palisade sidecar always accepts
 * mTLS, and every {@code PeerAuthentication} states its mode rather than inheriting one.
 */
public enum MtlsMode {
    /** Only mutual TLS with a certificate of the trust domain; plaintext connections are refused. */
    STRICT,
    /** Mutual TLS, or plaintext from an unauthenticated peer (which no principal rule matches). */
    PERMISSIVE
}
