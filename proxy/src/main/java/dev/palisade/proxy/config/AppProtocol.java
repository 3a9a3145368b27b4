package dev.palisade.proxy.config;

/**
 * The protocol a workload declares for one of its ports, as the control plane sends it: the proxy's own copy of the
 * control plane's {@code PortProtocol}, since the proxy depends only on wire contracts, never on control-plane code.
 */
public enum AppProtocol {
    /** HTTP/1.1 to the app (a peer speaking HTTP/2 to the sidecar is translated). */
    HTTP,
    /** HTTP/2 to the app (prior knowledge, cleartext on loopback). */
    HTTP2,
    /** gRPC: HTTP/2 to the app. */
    GRPC,
    /** Opaque TCP: spliced after an L4 authorization check. */
    TCP;

    /** Whether the port is spliced as opaque TCP. */
    public boolean isOpaque() {
        return this == TCP;
    }

    /** Whether the app speaks HTTP/2 on this port. */
    public boolean appSpeaksHttp2() {
        return this == HTTP2 || this == GRPC;
    }
}
