package dev.palisade.controlplane.flows;

import static dev.palisade.controlplane.flows.FlowFixtures.API;
import static dev.palisade.controlplane.flows.FlowFixtures.TD;
import static dev.palisade.controlplane.flows.FlowFixtures.WEB;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.testkit.pki.TestCertificate;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
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

    /** Sends the messages, half-closes, and waits for the stream's end: OK, or the status it failed with. */
    static Status send(ManagedChannel channel, List<StreamAccessLogsMessage> messages) throws Exception {
        CompletableFuture<Status> done = new CompletableFuture<>();
        List<StreamAccessLogsResponse> responses = new ArrayList<>();
        StreamObserver<StreamAccessLogsMessage> requests = AccessLogServiceGrpc.newStub(channel)
                .streamAccessLogs(new StreamObserver<>() {
                    @Override
                    public void onNext(StreamAccessLogsResponse value) {
                        responses.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(
                                responses.size() == 1 ? Status.OK : Status.INTERNAL.withDescription("no response"));
                    }
                });
        for (StreamAccessLogsMessage m : messages) {
            requests.onNext(m);
        }
        requests.onCompleted();
        return done.get(30, TimeUnit.SECONDS);
    }

    /**
     * The shipper's encoding: HTTP records as http_logs, everything else as tcp_logs; the two are a oneof, so a
     * message holds a run of one kind, at most {@code perMessage}; the first message is identified.
     */
    static List<StreamAccessLogsMessage> messages(String nodeId, List<Entry> entries, int perMessage) {
        List<StreamAccessLogsMessage> out = new ArrayList<>();
        StreamAccessLogsMessage.Builder m = null;
        int inMessage = 0;
        Boolean httpMessage = null;
        for (Entry e : entries) {
            boolean http = e.hasRecord() && e.getRecord().getProtocol() != Protocol.TCP;
            if (m == null || inMessage == perMessage || httpMessage != http) {
                if (m != null) {
                    out.add(m.build());
                }
                m = StreamAccessLogsMessage.newBuilder();
                if (out.isEmpty()) {
                    m.getIdentifierBuilder()
                            .setNode(Node.newBuilder().setId(nodeId))
                            .setLogName(FlowCollector.LOG_NAME);
                }
                inMessage = 0;
                httpMessage = http;
            }
            AccessLogCommon common = AccessLogCommon.newBuilder()
                    .putFilterStateObjects(FlowCollector.ENTRY_KEY, Any.pack(e))
                    .build();
            if (http) {
                m.getHttpLogsBuilder()
                        .addLogEntry(HTTPAccessLogEntry.newBuilder().setCommonProperties(common));
            } else {
                m.getTcpLogsBuilder().addLogEntry(TCPAccessLogEntry.newBuilder().setCommonProperties(common));
            }
            inMessage++;
        }
        if (m != null) {
            out.add(m.build());
        }
        return out;
    }

    @Test
    void aStreamWithoutAClientCertificateIsUnauthenticated() throws Exception {
        start(16);
        Status status = send(channel(null), messages(WEB, fx.chain(WEB, 3), 10));
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(store.size()).isZero();
    }

    @Test
    void aNodeIdOtherThanTheCertificatesIsPermissionDenied() throws Exception {
        start(16);
        Status status = send(channel(API), messages(WEB, fx.chain(WEB, 3), 10));
        assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(status.getDescription()).contains(API);
        assertThat(store.size()).isZero();
    }

    @Test
    void anEntryOfAnotherSidecarsChainFailsTheStream() throws Exception {
        start(16);
        // API's certificate, API's node id, WEB's chain: a sidecar never writes another's chain.
        Status status = send(channel(API), messages(API, fx.chain(WEB, 3), 10));
        assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(store.size()).isZero();
        assertThat(collector.streamsRefused()).isEqualTo(1);
    }

    @Test
    void aFirstMessageWithoutIdentifierOrWithoutAnEntryIsInvalid() throws Exception {
        start(16);
        List<StreamAccessLogsMessage> unidentified = messages(WEB, fx.chain(WEB, 3), 10);
        unidentified.set(0, unidentified.get(0).toBuilder().clearIdentifier().build());
        assertThat(send(channel(WEB), unidentified).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

        StreamAccessLogsMessage.Builder bare = messages(WEB, fx.chain(WEB, 1), 10).get(0).toBuilder();
        bare.getHttpLogsBuilder().addLogEntry(HTTPAccessLogEntry.getDefaultInstance());
        assertThat(send(channel(WEB), List.of(bare.build())).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void entriesAreStoredBeforeTheResponseAndReSendsAreIgnored() throws Exception {
        start(16);
        List<Entry> chain = fx.chain(WEB, 95);
        assertThat(send(channel(WEB), messages(WEB, chain, 20))).isEqualTo(Status.OK);
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
        assertThat(send(channel(WEB), messages(WEB, chain.subList(50, chain.size()), 7)))
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
            return send(channel(id), messages(id, entries, 5));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
