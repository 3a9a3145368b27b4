package dev.palisade.proxy.xds;

import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.PeerIdentity;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSession;

/**
 * A java-control-plane ADS server on loopback over mTLS, as the control plane runs it: snapshots per node id, each
 * stream bound to its client certificate's SPIFFE ID (node id must match, else PERMISSION_DENIED), NACKs recorded.
 * Restartable on the same port, keeping the cache.
 */
final class AdsTestServer implements AutoCloseable {
    static final TlsOptions GRPC_TLS = TlsOptions.defaults().withAlpn(List.of("h2"));
    private static final Context.Key<SpiffeId> PEER = Context.key("peer");

    final SimpleCache<String> cache = new SimpleCache<>(node -> node.getId());
    final LinkedBlockingQueue<DiscoveryRequest> nacks = new LinkedBlockingQueue<>();
    final AtomicInteger refused = new AtomicInteger();
    final AtomicInteger streams = new AtomicInteger();
    private final Map<Long, SpiffeId> peers = new ConcurrentHashMap<>();
    private final X509Svid svid;
    private final TrustBundleSet bundles;
    private Server server;
    private final int port;

    AdsTestServer(X509Svid svid, TrustBundleSet bundles) throws IOException {
        this.svid = svid;
        this.bundles = bundles;
        this.server = start(0);
        this.port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    int port() {
        return port;
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port());
    }

    void setSnapshot(SpiffeId node, Snapshot snapshot) {
        cache.setSnapshot(node.toString(), snapshot);
    }

    void stop() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    void restart() throws IOException, InterruptedException {
        stop();
        server = start(port);
    }

    private Server start(int port) throws IOException {
        V3DiscoveryServer discovery = new V3DiscoveryServer(new Callbacks(), cache);
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .sslContext(SpiffeSslContexts.forServer(
                        svid, bundles, GRPC_TLS, PeerAuthorizer.anyVerified(), Clock.systemUTC(), true))
                .addService(ServerInterceptors.intercept(discovery.getAggregatedDiscoveryServiceImpl(), new PeerIds()))
                .build()
                .start();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static final class PeerIds implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            SpiffeId peer = session == null ? null : PeerIdentity.of(session).orElse(null);
            if (peer == null) {
                return next.startCall(call, headers);
            }
            return Contexts.interceptCall(Context.current().withValue(PEER, peer), call, headers, next);
        }
    }

    private final class Callbacks implements DiscoveryServerCallbacks {
        @Override
        public void onStreamOpen(long streamId, String typeUrl) throws RequestException {
            SpiffeId peer = PEER.get();
            if (peer == null) {
                refused.incrementAndGet();
                throw new RequestException(Status.UNAUTHENTICATED.withDescription("no client certificate"));
            }
            streams.incrementAndGet();
            peers.put(streamId, peer);
        }

        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
            SpiffeId peer = peers.get(streamId);
            String node = request.getNode().getId();
            if (peer == null || (!node.isEmpty() && !node.equals(peer.toString()))) {
                refused.incrementAndGet();
                throw new RequestException(Status.PERMISSION_DENIED.withDescription("node id is not the cert's"));
            }
            if (request.hasErrorDetail()) {
                nacks.add(request);
            }
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) throws RequestException {
            throw new RequestException(Status.UNIMPLEMENTED);
        }

        @Override
        public void onStreamClose(long streamId, String typeUrl) {
            peers.remove(streamId);
        }

        @Override
        public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
            peers.remove(streamId);
        }
    }
}
