package dev.palisade.proxy.outbound;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Set;

/**
 * The outbound listener's settings.
 *
 * @param outsideMesh what to do with a captured connection to a destination outside the mesh
 * @param reservedPorts destination ports refused in captured mode: the sidecar's own ports, so that a connection
 *     can never be looped into a sidecar listener through the outbound path
 * @param protocolPeekTimeout how long to wait for the app's first bytes before choosing ALPN {@code http/1.1}: a
 *     server-speaks-first protocol (SMTP, MySQL) sends nothing until the server does
 * @param connectTimeout connecting to the destination
 * @param tlsHandshakeTimeout the mTLS handshake with the destination's sidecar
 */
public record OutboundSettings(
        OutsideMeshPolicy outsideMesh,
        Set<Integer> reservedPorts,
        Duration protocolPeekTimeout,
        Duration connectTimeout,
        Duration tlsHandshakeTimeout) {

    /** The sidecar's own ports (DESIGN.md "Ports"): admin, outbound, inbound, health. */
    public static final Set<Integer> SIDECAR_PORTS = Set.of(15000, 15001, 15006, 15021);

    public OutboundSettings {
        requireNonNull(outsideMesh, "outsideMesh");
        reservedPorts = Set.copyOf(requireNonNull(reservedPorts, "reservedPorts"));
        positive(protocolPeekTimeout, "protocolPeekTimeout");
        positive(connectTimeout, "connectTimeout");
        positive(tlsHandshakeTimeout, "tlsHandshakeTimeout");
    }

    /** ALLOW outside the mesh, the sidecar's ports reserved, 100 ms peek, 5 s connect, 10 s handshake. */
    public static OutboundSettings defaults() {
        return new OutboundSettings(
                OutsideMeshPolicy.ALLOW,
                SIDECAR_PORTS,
                Duration.ofMillis(100),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10));
    }

    public OutboundSettings withOutsideMesh(OutsideMeshPolicy outsideMesh) {
        return new OutboundSettings(
                outsideMesh, reservedPorts, protocolPeekTimeout, connectTimeout, tlsHandshakeTimeout);
    }

    public OutboundSettings withProtocolPeekTimeout(Duration protocolPeekTimeout) {
        return new OutboundSettings(
                outsideMesh, reservedPorts, protocolPeekTimeout, connectTimeout, tlsHandshakeTimeout);
    }

    private static void positive(Duration d, String name) {
        requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }
}
