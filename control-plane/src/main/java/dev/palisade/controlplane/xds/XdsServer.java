package dev.palisade.controlplane.xds;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The per-sidecar configuration store and the ADS service that serves it.
 *
 * <p>Snapshots are keyed by SPIFFE ID (the node id). {@link #publish} replaces a sidecar's snapshot atomically;
 * java-control-plane pushes it to the open stream at once and handles versions and nonces as the xDS protocol
 * says. Register {@link #service()} on a gRPC server whose TLS asks for (optional) client certificates; the
 * service refuses streams without one.
 */
public final class XdsServer {
    private final SimpleCache<String> cache = new SimpleCache<>(node -> node.getId());
    private final NodeIdentityCallbacks callbacks = new NodeIdentityCallbacks();
    private final V3DiscoveryServer discovery = new V3DiscoveryServer(callbacks, cache);

    /** The ADS service, with the interceptor that binds each stream to its peer's SPIFFE ID. */
    public ServerServiceDefinition service() {
        BindableService ads = discovery.getAggregatedDiscoveryServiceImpl();
        return ServerInterceptors.intercept(ads, new PeerIdentityInterceptor());
    }

    /** Makes {@code snapshot} the configuration of {@code sidecar}. */
    public void publish(SpiffeId sidecar, Snapshot snapshot) {
        requireNonNull(sidecar, "sidecar");
        requireNonNull(snapshot, "snapshot");
        cache.setSnapshot(sidecar.toString(), snapshot);
    }

    /** Removes the configuration of sidecars that no longer exist; their open streams get nothing more. */
    public void retainOnly(Set<SpiffeId> sidecars) {
        Set<String> keep = sidecars.stream().map(SpiffeId::toString).collect(Collectors.toSet());
        for (String node : List.copyOf(cache.groups())) {
            if (!keep.contains(node)) {
                cache.clearSnapshot(node);
            }
        }
    }

    /** NACKs received since start. */
    public long nackCount() {
        return callbacks.nacks();
    }

    /** Streams or requests refused because of the peer's identity. */
    public long refusedCount() {
        return callbacks.refused();
    }
}
