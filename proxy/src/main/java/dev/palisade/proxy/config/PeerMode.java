package dev.palisade.proxy.config;

/** Whether an inbound port accepts plaintext peers: the effective PeerAuthentication mode of the port. */
public enum PeerMode {
    /** mTLS only: a plaintext client is refused. */
    STRICT,
    /** mTLS, or plaintext as an unauthenticated peer (no principal). */
    PERMISSIVE
}
