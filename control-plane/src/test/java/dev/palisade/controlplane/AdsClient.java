package dev.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.identity.IssuedIdentity;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A minimal ADS client, as a sidecar: opens the stream over mTLS with its SVID, sends requests with its SPIFFE ID as
 * the node id, and queues every response (or the stream's error) for the test to take.
 */
final class AdsClient implements AutoCloseable {
    static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
    static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    static final TlsOptions GRPC_TLS = TlsOptions.defaults().withAlpn(List.of("h2"));

    final ManagedChannel channel;
    final LinkedBlockingQueue<Object> responses = new LinkedBlockingQueue<>();
    final StreamObserver<DiscoveryRequest> requests;
    final SpiffeId node;

    /**
     * @param grpcPort the control plane's gRPC port on 127.0.0.1
     * @param controlPlane the identity the control plane must present
     * @param identity the sidecar's SVID and bundles; its SPIFFE ID is the node id
     */
    AdsClient(int grpcPort, SpiffeId controlPlane, IssuedIdentity identity) throws Exception {
        this.node = identity.svid().id();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort)
                .sslContext(SpiffeSslContexts.forClient(
                        identity.svid(), identity.bundles(), GRPC_TLS, PeerAuthorizer.exactly(controlPlane)))
                .build();
        requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse value) {
                responses.add(value);
            }

            @Override
            public void onError(Throwable t) {
                responses.add(t);
            }

            @Override
            public void onCompleted() {}
        });
    }

    void request(String type, String version, String nonce) {
        requests.onNext(DiscoveryRequest.newBuilder()
                .setNode(Node.newBuilder().setId(node.toString()))
                .setTypeUrl(type)
                .setVersionInfo(version)
                .setResponseNonce(nonce)
                .build());
    }

    DiscoveryResponse next(Duration within) throws InterruptedException {
        Object o = responses.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(o).as("an xDS response within %s", within).isInstanceOf(DiscoveryResponse.class);
        return (DiscoveryResponse) o;
    }

    /** The next response of {@code type}, ACKing every response on the way (the SotW protocol wants it). */
    DiscoveryResponse next(String type, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            DiscoveryResponse r = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            request(r.getTypeUrl(), r.getVersionInfo(), r.getNonce());
            if (r.getTypeUrl().equals(type)) {
                return r;
            }
        }
    }

    /** The names of the RBAC policies of every {@code envoy.filters.http.rbac} filter of a Listener response. */
    static List<String> rbacPolicyNames(DiscoveryResponse listenerResponse) throws Exception {
        Listener listener = listenerResponse.getResources(0).unpack(Listener.class);
        return EnvoyAnyWalker.unpackAll(listener).stream()
                .filter(RBAC.class::isInstance)
                .map(RBAC.class::cast)
                .flatMap(r -> r.getRules().getPoliciesMap().keySet().stream())
                .toList();
    }

    @Override
    public void close() throws InterruptedException {
        requests.onCompleted();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
