package dev.palisade.controlplane.flows;

import static dev.palisade.controlplane.flows.FlowFixtures.API;
import static dev.palisade.controlplane.flows.FlowFixtures.TD;
import static dev.palisade.controlplane.flows.FlowFixtures.WEB;
import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.testkit.pki.TestCertificate;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The collector over real gRPC and mTLS on loopback, with the control plane's TLS shape (client certificates
 * optional, checked by the service): who may send what, idempotent re-sends, and flow control with a tiny queue.
 */
@Timeout(60)
class FlowCollectorIT {
    static final TlsOptions GRPC_TLS = TlsOptions.defaults().withAlpn(List.of("h2"));
    static final String CONTROL_PLANE = "spiffe://cluster.local/ns/palisade-system/sa/palisade-control-plane";

    final FlowFixtures fx = new FlowFixtures();
    final FlowStore store = FlowStore.inMemory(fx.clock);
    final TestCertificate serverCert = fx.leaf(CONTROL_PLANE);
    final List<ManagedChannel> channels = new ArrayList<>();
    FlowCollector collector;
    Server server;

    void start(int queueMessages) throws Exception {
        collector = new FlowCollector(store, TD, queueMessages);
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(SpiffeSslContexts.forServer(
                        X509Svid.of(serverCert.chain(), serverCert.privateKey()),
                        fx.bundles,
                        GRPC_TLS,
                        PeerAuthorizer.memberOf(TD),
                        fx.clock,
                        false))
                .addService(collector.service())
                .build()
                .start();
    }

    @AfterEach
    void stop() throws Exception {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (collector != null) {
            collector.close();
        }
        store.close();
    }

    ManagedChannel channel(@Nullable String identity) throws Exception {
        SslContext ssl;
        if (identity == null) {
            ssl = SpiffeSslContexts.forAnonymousClient(fx.bundles, GRPC_TLS, PeerAuthorizer.anyVerified());
        } else {
            TestCertificate leaf = fx.leaf(identity);
            ssl = SpiffeSslContexts.forClient(
                    X509Svid.of(leaf.chain(), leaf.privateKey()), fx.bundles, GRPC_TLS, PeerAuthorizer.anyVerified());
        }
        ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                .sslContext(ssl)
                .build();
        channels.add(c);
        return c;
    }

    @Test
    void aStreamWithoutAClientCertificateIsUnauthenticated() throws Exception {
        start(16);
        Status status = AccessLogStreams.send(channel(null), AccessLogStreams.messages(WEB, fx.chain(WEB, 3), 10));
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(store.size()).isZero();
    }

    @Test
    void aNodeIdOtherThanTheCertificatesIsPermissionDenied() throws Exception {
        start(16);
        Status status = AccessLogStreams.send(channel(API), AccessLogStreams.messages(WEB, fx.chain(WEB, 3), 10));
        assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(status.getDescription()).contains(API);
        assertThat(store.size()).isZero();
    }

    @Test
    void anEntryOfAnotherSidecarsChainFailsTheStream() throws Exception {
        start(16);
        // API's certificate, API's node id, WEB's chain: a sidecar never writes another's chain.
        Status status = AccessLogStreams.send(channel(API), AccessLogStreams.messages(API, fx.chain(WEB, 3), 10));
        assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(store.size()).isZero();
        assertThat(collector.streamsRefused()).isEqualTo(1);
    }

    @Test
    void aFirstMessageWithoutIdentifierOrWithoutAnEntryIsInvalid() throws Exception {
        start(16);
        List<StreamAccessLogsMessage> unidentified = AccessLogStreams.messages(WEB, fx.chain(WEB, 3), 10);
        unidentified.set(0, unidentified.get(0).toBuilder().clearIdentifier().build());
        assertThat(AccessLogStreams.send(channel(WEB), unidentified).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

        StreamAccessLogsMessage.Builder bare = AccessLogStreams.messages(WEB, fx.chain(WEB, 1), 10).get(0).toBuilder();
        bare.getHttpLogsBuilder().addLogEntry(HTTPAccessLogEntry.getDefaultInstance());
        assertThat(AccessLogStreams.send(channel(WEB), List.of(bare.build())).getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void entriesAreStoredBeforeTheResponseAndReSendsAreIgnored() throws Exception {
        start(16);
        List<Entry> chain = fx.chain(WEB, 95);
        assertThat(AccessLogStreams.send(channel(WEB), AccessLogStreams.messages(WEB, chain, 20)))
                .isEqualTo(Status.OK);
        assertThat(store.size())
                .as(
                        "received %d stored %d dup %d conflicts %d",
                        collector.entriesReceived(),
                        collector.entriesStored(),
                        collector.duplicates(),
                        collector.conflicts())
                .isEqualTo(chain.size());
        assertThat(collector.entriesStored()).isEqualTo(chain.size());

        // After a reconnect, the shipper re-sends what it could not know was delivered.
        assertThat(AccessLogStreams.send(
                        channel(WEB), AccessLogStreams.messages(WEB, chain.subList(50, chain.size()), 7)))
                .isEqualTo(Status.OK);
        assertThat(store.size()).isEqualTo(chain.size());
        assertThat(collector.duplicates()).isEqualTo(chain.size() - 50);
        assertThat(store.verify(WEB, fx.bundles).whole()).isTrue();
        assertThat(store.query(FlowQuery.all()).flows().get(0).sender()).isEqualTo(WEB);
    }

    @Test
    void aFullQueueHoldsSendersAndLosesNothing() throws Exception {
        start(1);
        List<Entry> web = fx.chain(WEB, 2_000);
        List<Entry> api = fx.chain(API, 2_000);
        CompletableFuture<Status> a = CompletableFuture.supplyAsync(() -> sendUnchecked(WEB, web));
        CompletableFuture<Status> b = CompletableFuture.supplyAsync(() -> sendUnchecked(API, api));
        assertThat(a.get(30, TimeUnit.SECONDS)).isEqualTo(Status.OK);
        assertThat(b.get(30, TimeUnit.SECONDS)).isEqualTo(Status.OK);
        assertThat(store.size()).isEqualTo(web.size() + api.size());
        assertThat(store.verify(WEB, fx.bundles).whole()).isTrue();
        assertThat(store.verify(API, fx.bundles).whole()).isTrue();
    }

    private Status sendUnchecked(String id, List<Entry> entries) {
        try {
            return AccessLogStreams.send(channel(id), AccessLogStreams.messages(id, entries, 5));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
