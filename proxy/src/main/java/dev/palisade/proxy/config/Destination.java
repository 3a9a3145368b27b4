package dev.palisade.proxy.config;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import java.net.InetSocketAddress;

/**
 * An outbound destination inside the mesh (an xDS {@code Cluster}): where the app's connection was headed, and the
 * only SPIFFE ID its sidecar may present.
 *
 * @param cluster the cluster name, {@code outbound|<port>||<name>.<namespace>}
 * @param address the destination's address and port (an app port: captured traffic to it reaches its sidecar's
 *     inbound listener)
 * @param expectedPeer the server identity the destination's sidecar must present
 */
public record Destination(String cluster, InetSocketAddress address, SpiffeId expectedPeer) {
    public Destination {
        requireNonNull(cluster, "cluster");
        requireNonNull(address, "address");
        requireNonNull(expectedPeer, "expectedPeer");
    }
}
