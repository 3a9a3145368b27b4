package dev.palisade.proxy.config;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.authz.AuthzEngine;

/**
 * One port of the workload as the inbound listener serves it.
 *
 * @param port the app's port: the original destination port of captured traffic, and the port the sidecar forwards to
 *     on the app's host
 * @param protocol what the app speaks there
 * @param mode whether plaintext peers are accepted
 * @param engine the compiled policies for this port: HTTP RBAC for HTTP ports, network RBAC for opaque ones
 */
public record InboundPort(int port, AppProtocol protocol, PeerMode mode, AuthzEngine engine) {
    public InboundPort {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
        requireNonNull(protocol, "protocol");
        requireNonNull(mode, "mode");
        requireNonNull(engine, "engine");
    }
}
