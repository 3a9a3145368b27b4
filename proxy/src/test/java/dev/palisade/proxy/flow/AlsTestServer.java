package dev.palisade.proxy.flow;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.PeerIdentity;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.flowlog.v1.Entry;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
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
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSession;

/**
 * A test collector: Envoy's AccessLogService on loopback over mTLS, implementing the wire contract as the control
 * plane's collector does: the first message names the sidecar ({@code node.id}, which must be the client
 * certificate's SPIFFE ID) and the log; entries are stored idempotently by (sidecar, seq) in arrival order; the answer
 * comes when the stream closes. Restartable on the same port, keeping what it stored; can be told to refuse.
 */
final class AlsTestServer implements AutoCloseable {
    static final TlsOptions GRPC_TLS = TlsOptions.defaults().withAlpn(List.of("h2"));
    private static final Context.Key<SpiffeId> PEER = Context.key("peer");

    /** When set, every stream is answered with UNAUTHENTICATED, as a collector that does not accept the sender. */
    volatile boolean refuse;

    final AtomicInteger streams = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    final AtomicLong received = new AtomicLong();
    /** Entries in the wrong list: an HTTP record in tcp_logs or anything else in http_logs. */
    final AtomicLong misplaced = new AtomicLong();

    private final Map<String, Entry> stored = new LinkedHashMap<>();
    private final X509Svid svid;
    private final TrustBundleSet bundles;
    private final int port;
    private Server server;

    AlsTestServer(X509Svid svid, TrustBundleSet bundles) throws IOException {
        this.svid = svid;
        this.bundles = bundles;
        this.server = start(0);
        this.port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /** Stored entries, each (sidecar, seq) once, in the order they first arrived. */
    synchronized List<Entry> entries() {
        return new ArrayList<>(stored.values());
    }

    synchronized int size() {
        return stored.size();
    }

    void stop() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    void restart() throws IOException, InterruptedException {
        stop();
        server = start(port);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private Server start(int port) throws IOException {
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .sslContext(SpiffeSslContexts.forServer(
                        svid, bundles, GRPC_TLS, PeerAuthorizer.anyVerified(), Clock.systemUTC(), true))
                .addService(ServerInterceptors.intercept(new Collector(), new PeerIds()))
                .build()
                .start();
    }

    private synchronized void store(Entry entry) {
        stored.putIfAbsent(entry.getSidecar() + "#" + entry.getSeq(), entry);
    }

    private final class Collector extends AccessLogServiceGrpc.AccessLogServiceImplBase {
        @Override
        public StreamObserver<StreamAccessLogsMessage> streamAccessLogs(
                StreamObserver<StreamAccessLogsResponse> responses) {
            streams.incrementAndGet();
            SpiffeId peer = PEER.get();
            return new StreamObserver<>() {
                private String sidecar;
                private boolean failed;

                @Override
                public void onNext(StreamAccessLogsMessage message) {
                    if (failed) {
                        return;
                    }
                    if (sidecar == null) {
                        String node = message.getIdentifier().getNode().getId();
                        if (peer == null || !node.equals(peer.toString())) {
                            fail(Status.PERMISSION_DENIED.withDescription("node.id " + node + " is not " + peer));
                            return;
                        }
                        if (refuse) {
                            fail(Status.UNAUTHENTICATED.withDescription("refused by the test"));
                            return;
                        }
                        if (!message.getIdentifier().getLogName().equals(AlsMessages.LOG_NAME)) {
                            fail(Status.INVALID_ARGUMENT.withDescription("log_name"));
                            return;
                        }
                        sidecar = node;
                    }
                    try {
                        for (HTTPAccessLogEntry http : message.getHttpLogs().getLogEntryList()) {
                            Entry entry = entry(http.getCommonProperties());
                            if (!AlsMessages.isHttp(entry)) {
                                misplaced.incrementAndGet();
                            }
                            accept(entry);
                        }
                        for (TCPAccessLogEntry tcp : message.getTcpLogs().getLogEntryList()) {
                            Entry entry = entry(tcp.getCommonProperties());
                            if (AlsMessages.isHttp(entry)) {
                                misplaced.incrementAndGet();
                            }
                            accept(entry);
                        }
                    } catch (InvalidProtocolBufferException e) {
                        fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
                    }
                }

                private void accept(Entry entry) {
                    received.incrementAndGet();
                    if (entry.getSidecar().equals(sidecar)) {
                        store(entry);
                    } else {
                        misplaced.incrementAndGet();
                    }
                }

                private void fail(Status status) {
                    failed = true;
                    refused.incrementAndGet();
                    responses.onError(status.asRuntimeException());
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    if (!failed) {
                        responses.onNext(StreamAccessLogsResponse.getDefaultInstance());
                        responses.onCompleted();
                    }
                }
            };
        }
    }

    /** The client certificate's SPIFFE ID into the call's context. */
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

    private static Entry entry(AccessLogCommon common) throws InvalidProtocolBufferException {
        Any any = common.getFilterStateObjectsOrThrow(AlsMessages.ENTRY_KEY);
        return any.unpack(Entry.class);
    }
}
