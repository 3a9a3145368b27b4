package dev.palisade.controlplane.xds;

import dev.palisade.certs.spiffe.SpiffeId;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds every xDS stream to the identity of its peer: a stream opens only with a verified client certificate, and
 * every request's {@code node.id} must be exactly that certificate's SPIFFE ID (else PERMISSION_DENIED), so one
 * sidecar can never ask for another's configuration. Also logs NACKs (requests carrying {@code error_detail}) with
 * the sidecar and the error, and counts them.
 */
final class NodeIdentityCallbacks implements DiscoveryServerCallbacks {
    private static final Logger logger = LoggerFactory.getLogger(NodeIdentityCallbacks.class);

    private final Map<Long, SpiffeId> streams = new ConcurrentHashMap<>();
    private final AtomicLong nacks = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();

    @Override
    public void onStreamOpen(long streamId, String typeUrl) throws RequestException {
        SpiffeId peer = PeerIdentityInterceptor.current().orElseThrow(() -> {
            refused.incrementAndGet();
            return new RequestException(
                    Status.UNAUTHENTICATED.withDescription("xDS requires a client certificate (the sidecar's SVID)"));
        });
        streams.put(streamId, peer);
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
        check(streamId, request.getNode().getId());
        if (request.hasErrorDetail()) {
            nacks.incrementAndGet();
            logger.warn(
                    "xDS NACK from {} for {} version {}: {}",
                    request.getNode().getId(),
                    request.getTypeUrl(),
                    request.getVersionInfo(),
                    request.getErrorDetail().getMessage());
        }
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) throws RequestException {
        check(streamId, request.getNode().getId());
    }

    private void check(long streamId, String nodeId) throws RequestException {
        SpiffeId peer = streams.get(streamId);
        if (peer == null) {
            refused.incrementAndGet();
            throw new RequestException(Status.UNAUTHENTICATED.withDescription("unknown xDS stream"));
        }
        // The first request of a stream carries the node; later ones may leave it empty (xDS allows it).
        if (!nodeId.isEmpty() && !nodeId.equals(peer.toString())) {
            refused.incrementAndGet();
            logger.warn("xDS: {} asked for the configuration of node '{}'; refused", peer, nodeId);
            throw new RequestException(Status.PERMISSION_DENIED.withDescription(
                    "node id '" + nodeId + "' is not the SPIFFE ID of the client certificate, " + peer));
        }
    }

    @Override
    public void onStreamClose(long streamId, String typeUrl) {
        streams.remove(streamId);
    }

    @Override
    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
        streams.remove(streamId);
    }

    long nacks() {
        return nacks.get();
    }

    long refused() {
        return refused.get();
    }
}
