package dev.palisade.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Status;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ADS over real gRPC + mutual TLS on loopback: a sidecar gets its own configuration and nobody else's. */
@Timeout(60)
class XdsServerIT {
    static final String LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener";
    static final TrustDomain TD = TrustDomain.parse("demo.local");
    static final SpiffeId CONTROL_PLANE = SpiffeId.forWorkload(TD, "palisade-system", "palisade-control-plane");
    static final SpiffeId ORDERS = SpiffeId.forWorkload(TD, "shop", "orders");
    static final SpiffeId PAYMENTS = SpiffeId.forWorkload(TD, "shop", "payments");
    static final TlsOptions TLS = TlsOptions.defaults().withAlpn(List.of("h2"));

    static CertificateAuthority ca;
    static TrustBundleSet bundles;
    static XdsServer xds;
    static Server server;

    static X509Svid issue(SpiffeId id) throws Exception {
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        return X509Svid.of(ca.issue(id, keys.getPublic(), Duration.ofHours(1)), keys.getPrivate());
    }

    @BeforeAll
    static void start() throws Exception {
        ca = CertificateAuthority.createRoot(TD, KeyAlgorithm.EC_P256, Duration.ofDays(2), Clock.systemUTC());
        bundles = TrustBundleSet.of(ca.trustBundle());
        xds = new XdsServer();
        xds.publish(ORDERS, snapshot("orders", "1"));
        xds.publish(PAYMENTS, snapshot("payments", "1"));
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(SpiffeSslContexts.forServer(
                        issue(CONTROL_PLANE), bundles, TLS, PeerAuthorizer.memberOf(TD), Clock.systemUTC(), false))
                .addService(xds.service())
                .build()
                .start();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static Snapshot snapshot(String workload, String version) {
        Listener inbound = Listener.newBuilder()
                .setName("inbound|" + workload)
                .setStatPrefix("v" + version)
                .build();
        return Snapshot.create(List.of(), List.of(), List.of(inbound), List.of(), List.of(), version);
    }

    /** A minimal ADS client: one stream, responses queued. */
    static final class AdsClient implements AutoCloseable {
        final ManagedChannel channel;
        final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
        final StreamObserver<DiscoveryRequest> requests;

        AdsClient(X509Svid svid) throws Exception {
            NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort());
            builder.sslContext(
                    svid == null
                            ? SpiffeSslContexts.forAnonymousClient(bundles, TLS, PeerAuthorizer.exactly(CONTROL_PLANE))
                            : SpiffeSslContexts.forClient(svid, bundles, TLS, PeerAuthorizer.exactly(CONTROL_PLANE)));
            channel = builder.build();
            requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
                    .streamAggregatedResources(new StreamObserver<>() {
                        @Override
                        public void onNext(DiscoveryResponse value) {
                            received.add(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            received.add(t);
                        }

                        @Override
                        public void onCompleted() {
                            received.add("completed");
                        }
                    });
        }

        void request(String nodeId, String version, String nonce) {
            requests.onNext(DiscoveryRequest.newBuilder()
                    .setNode(Node.newBuilder().setId(nodeId))
                    .setTypeUrl(LISTENER_TYPE)
                    .setVersionInfo(version)
                    .setResponseNonce(nonce)
                    .build());
        }

        void nack(String nodeId, DiscoveryResponse rejected) {
            requests.onNext(DiscoveryRequest.newBuilder()
                    .setNode(Node.newBuilder().setId(nodeId))
                    .setTypeUrl(LISTENER_TYPE)
                    .setVersionInfo("1")
                    .setResponseNonce(rejected.getNonce())
                    .setErrorDetail(Status.newBuilder().setCode(3).setMessage("unsupported RBAC field"))
                    .build());
        }

        Object next() throws InterruptedException {
            Object o = received.poll(5, TimeUnit.SECONDS);
            assertThat(o).as("an xDS response within 5 s").isNotNull();
            return o;
        }

        @Override
        public void close() throws InterruptedException {
            requests.onCompleted();
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static Listener listenerOf(DiscoveryResponse response) throws InvalidProtocolBufferException {
        assertThat(response.getResourcesCount()).isEqualTo(1);
        return response.getResources(0).unpack(Listener.class);
    }

    @Test
    void streamWithoutClientCertificateIsUnauthenticated() throws Exception {
        long before = xds.refusedCount();
        try (AdsClient client = new AdsClient(null)) {
            client.request(ORDERS.toString(), "", "");
            Object o = client.next();
            assertThat(o).isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(
                            e.getStatus().getCode())
                    .isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED));
        }
        assertThat(xds.refusedCount()).isGreaterThan(before);
    }

    @Test
    void sidecarAskingForAnotherNodesConfigurationIsRefused() throws Exception {
        try (AdsClient client = new AdsClient(issue(ORDERS))) {
            client.request(PAYMENTS.toString(), "", "");
            Object o = client.next();
            assertThat(o).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription())
                        .contains(PAYMENTS.toString())
                        .contains(ORDERS.toString());
            });
        }
    }

    @Test
    void sidecarReceivesItsOwnListenerThenTheNextVersionWithinASecond() throws Exception {
        try (AdsClient client = new AdsClient(issue(ORDERS))) {
            client.request(ORDERS.toString(), "", "");
            DiscoveryResponse first = (DiscoveryResponse) client.next();
            assertThat(first.getVersionInfo()).isEqualTo("1");
            assertThat(listenerOf(first).getName()).isEqualTo("inbound|orders");
            client.request(ORDERS.toString(), first.getVersionInfo(), first.getNonce()); // ACK

            long published = System.nanoTime();
            xds.publish(ORDERS, snapshot("orders", "2"));
            DiscoveryResponse second = (DiscoveryResponse) client.next();
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - published);
            assertThat(second.getVersionInfo()).isEqualTo("2");
            assertThat(second.getNonce()).isNotEqualTo(first.getNonce());
            assertThat(listenerOf(second).getStatPrefix()).isEqualTo("v2");
            assertThat(elapsedMillis).as("push latency").isLessThan(1000);
        } finally {
            xds.publish(ORDERS, snapshot("orders", "1"));
        }
    }

    @Test
    void nackIsCountedAndTheStreamStaysOpen() throws Exception {
        try (AdsClient client = new AdsClient(issue(PAYMENTS))) {
            client.request(PAYMENTS.toString(), "", "");
            DiscoveryResponse first = (DiscoveryResponse) client.next();
            long before = xds.nackCount();
            client.nack(PAYMENTS.toString(), first);
            // A NACK gets no new response; the counter moves and a later version still arrives.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (xds.nackCount() == before && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(xds.nackCount()).isEqualTo(before + 1);
            xds.publish(PAYMENTS, snapshot("payments", "3"));
            DiscoveryResponse third = (DiscoveryResponse) client.next();
            assertThat(third.getVersionInfo()).isEqualTo("3");
        } finally {
            xds.publish(PAYMENTS, snapshot("payments", "1"));
        }
    }
}
