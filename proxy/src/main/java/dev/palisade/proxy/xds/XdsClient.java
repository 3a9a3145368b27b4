package dev.palisade.proxy.xds;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Code;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.config.ProxyConfig;
import dev.palisade.proxy.config.ProxyConfigHolder;
import dev.palisade.proxy.identity.Backoff;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's xDS client: one ADS stream (state of the world) to the control plane over mTLS, subscribed to every
 * Cluster and Listener for this node, whose updates it validates with {@link XdsTranslator} and sets into a
 * {@link ProxyConfigHolder}.
 *
 * <ul>
 *   <li><b>Identity.</b> {@code node.id} is the workload's SPIFFE ID, which the control plane checks against the
 *       client certificate; the SslContext is normally {@code WorkloadIdentity.controlPlaneSslContext()}, so every
 *       reconnect presents the SVID current at that time.
 *   <li><b>Both halves first.</b> Nothing is set until a Listener and a Cluster response have both arrived; responses
 *       stay unanswered meanwhile.
 *   <li><b>Whole updates.</b> A response whose version differs from the other type's accepted version waits (up to
 *       {@code SETTLE}, 1 s) for the other type's response, so that one snapshot is judged as one update.
 *   <li><b>ACK/NACK.</b> Each update is the newest Listener with the newest Clusters. When it translates, every
 *       unanswered response is ACKed and the config set, atomically (version {@code <listener>/<cluster>}); when not,
 *       every unanswered response is NACKed with {@code error_detail} (INVALID_ARGUMENT, naming resource and field),
 *       the rejected resources are dropped and the last good config stays. A snapshot cache resends a NACKed
 *       version at once (java-control-plane's {@code SimpleCache} does): NACKs of a version already NACKed are
 *       delayed with {@link Backoff}, so a bad snapshot costs one request per backoff step, not a busy loop.
 *   <li><b>Reconnects.</b> When the stream ends, it is reopened after a capped exponential backoff with jitter
 *       (reset by the first response of a stream), sending the versions last accepted; the last good config keeps
 *       serving meanwhile.
 * </ul>
 *
 * <p>Threading: stream events and delayed sends are handled under this object's lock, so updates are applied one
 * at a time and in order; {@link ProxyConfigHolder#set} listeners run under it too.
 */
public final class XdsClient implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(XdsClient.class);

    /**
     * How long a Listener (or Cluster) response of a new version waits for the other type's response of that version
     * before it is judged with the last accepted other half: for servers that version types independently.
     */
    static final Duration SETTLE = Duration.ofSeconds(1);

    private static final class TypeState {
        final String typeUrl;
        String acceptedVersion = "";
        List<Any> accepted = List.of();
        boolean everAccepted;

        @Nullable
        DiscoveryResponse pending;

        String lastNackedVersion = "";
        int repeatedNacks;

        TypeState(String typeUrl) {
            this.typeUrl = typeUrl;
        }
    }

    private final SpiffeId nodeId;
    private final ProxyConfigHolder holder;
    private final ScheduledExecutorService scheduler;
    private final Backoff backoff;
    private final Clock clock;
    private final ManagedChannel channel;
    private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub;
    private final SecureRandom random = new SecureRandom();
    private final CompletableFuture<ProxyConfig> ready = new CompletableFuture<>();

    private final TypeState listeners = new TypeState(XdsTranslator.LISTENER_TYPE);
    private final TypeState clusters = new TypeState(XdsTranslator.CLUSTER_TYPE);

    // Guarded by this.
    private @Nullable StreamObserver<DiscoveryRequest> requests;
    private int generation;
    private int reconnectFailures;
    private @Nullable ScheduledFuture<?> reconnect;
    private @Nullable ScheduledFuture<?> settle;
    private boolean started;
    private boolean closed;

    private volatile @Nullable Instant lastUpdate;
    private volatile @Nullable String lastError;
    private volatile long nackCount;
    private volatile long streamsOpened;

    /**
     * @param controlPlane the control plane's gRPC address
     * @param sslContext a client context presenting the workload's SVID and accepting only the control plane
     * @param nodeId the workload's SPIFFE ID: the {@code node.id}
     * @param holder where accepted configs go
     * @param scheduler runs reconnects and delayed NACKs; the caller's, never closed here
     */
    public XdsClient(
            InetSocketAddress controlPlane,
            SslContext sslContext,
            SpiffeId nodeId,
            ProxyConfigHolder holder,
            ScheduledExecutorService scheduler,
            Backoff backoff,
            Clock clock) {
        requireNonNull(controlPlane, "controlPlane");
        this.nodeId = requireNonNull(nodeId, "nodeId");
        this.holder = requireNonNull(holder, "holder");
        this.scheduler = requireNonNull(scheduler, "scheduler");
        this.backoff = requireNonNull(backoff, "backoff");
        this.clock = requireNonNull(clock, "clock");
        this.channel = NettyChannelBuilder.forAddress(controlPlane.getHostString(), controlPlane.getPort())
                .sslContext(requireNonNull(sslContext, "sslContext"))
                .build();
        this.stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
    }

    /** Opens the stream; idempotent. */
    public synchronized CompletableFuture<ProxyConfig> start() {
        if (!started && !closed) {
            started = true;
            openStream();
        }
        return ready;
    }

    private synchronized void openStream() {
        if (closed) {
            return;
        }
        reconnect = null;
        int stream = ++generation;
        streamsOpened++;
        listeners.pending = null;
        clusters.pending = null;
        if (settle != null) {
            settle.cancel(false);
            settle = null;
        }
        StreamObserver<DiscoveryRequest> out = stub.streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse response) {
                onResponse(stream, response);
            }

            @Override
            public void onError(Throwable t) {
                onStreamEnd(stream, t);
            }

            @Override
            public void onCompleted() {
                onStreamEnd(stream, null);
            }
        });
        requests = out;
        // Clusters first, as Envoy asks: a Listener refers to clusters.
        out.onNext(request(clusters, clusters.acceptedVersion, "", null));
        out.onNext(request(listeners, listeners.acceptedVersion, "", null));
    }

    private synchronized void onStreamEnd(int stream, @Nullable Throwable cause) {
        if (stream != generation || closed) {
            return;
        }
        requests = null;
        Duration delay = backoff.delay(reconnectFailures++, random::nextDouble);
        logger.warn(
                "xDS: stream to the control plane ended ({}); reconnecting in {}, serving config {} meanwhile",
                cause == null ? "completed" : cause.toString(),
                delay,
                version());
        reconnect = scheduler.schedule(this::openStream, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void onResponse(int stream, DiscoveryResponse response) {
        if (stream != generation || closed) {
            return;
        }
        reconnectFailures = 0;
        TypeState type = response.getTypeUrl().equals(XdsTranslator.LISTENER_TYPE)
                ? listeners
                : response.getTypeUrl().equals(XdsTranslator.CLUSTER_TYPE) ? clusters : null;
        if (type == null) {
            logger.warn("xDS: ignoring a response of unrequested type {}", response.getTypeUrl());
            return;
        }
        type.pending = response;
        if ((listeners.pending == null && !listeners.everAccepted)
                || (clusters.pending == null && !clusters.everAccepted)) {
            return; // wait for the other half of the first update
        }
        TypeState other = type == listeners ? clusters : listeners;
        if (other.pending == null && !response.getVersionInfo().equals(other.acceptedVersion)) {
            // A snapshot cache sends every type of a new snapshot, at the same version: wait for the other half
            // rather than judge half an update against the old other half (a removed port would be NACKed).
            if (settle == null) {
                settle = scheduler.schedule(() -> settle(stream), SETTLE.toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
        }
        apply(stream);
    }

    private synchronized void settle(int stream) {
        settle = null;
        if (stream == generation && !closed && (listeners.pending != null || clusters.pending != null)) {
            apply(stream);
        }
    }

    private void apply(int stream) {
        ScheduledFuture<?> waiting = settle;
        if (waiting != null) {
            waiting.cancel(false);
            settle = null;
        }
        DiscoveryResponse l = listeners.pending;
        DiscoveryResponse c = clusters.pending;
        String lVersion = l != null ? l.getVersionInfo() : listeners.acceptedVersion;
        String cVersion = c != null ? c.getVersionInfo() : clusters.acceptedVersion;
        List<Any> lResources = l != null ? l.getResourcesList() : listeners.accepted;
        List<Any> cResources = c != null ? c.getResourcesList() : clusters.accepted;
        ProxyConfig config;
        try {
            config = XdsTranslator.translate(
                    lVersion + "/" + cVersion,
                    unpack(lResources, Listener.class, "Listener"),
                    unpack(cResources, Cluster.class, "Cluster"));
        } catch (XdsResourceException e) {
            nack(stream, String.valueOf(e.getMessage()));
            return;
        }
        for (TypeState t : List.of(clusters, listeners)) {
            DiscoveryResponse p = t.pending;
            if (p != null) {
                t.acceptedVersion = p.getVersionInfo();
                t.accepted = p.getResourcesList();
                t.everAccepted = true;
                t.pending = null;
                t.repeatedNacks = 0;
                t.lastNackedVersion = "";
                send(stream, request(t, t.acceptedVersion, p.getNonce(), null));
            }
        }
        holder.set(config);
        lastUpdate = clock.instant();
        lastError = null;
        logger.info(
                "xDS: config {} applied ({} inbound ports, {} destinations)",
                config.version(),
                config.inbound().size(),
                config.outbound().size());
        ready.complete(config);
    }

    private void nack(int stream, String error) {
        nackCount++;
        lastError = error;
        logger.warn("xDS: update refused, keeping config {}: {}", version(), error);
        for (TypeState t : List.of(clusters, listeners)) {
            DiscoveryResponse p = t.pending;
            if (p == null) {
                continue;
            }
            t.pending = null;
            DiscoveryRequest nack = request(t, t.acceptedVersion, p.getNonce(), error);
            if (p.getVersionInfo().equals(t.lastNackedVersion)) {
                Duration delay = backoff.delay(t.repeatedNacks++, random::nextDouble);
                scheduler.schedule(() -> send(stream, nack), delay.toMillis(), TimeUnit.MILLISECONDS);
            } else {
                t.lastNackedVersion = p.getVersionInfo();
                t.repeatedNacks = 0;
                send(stream, nack);
            }
        }
    }

    private synchronized void send(int stream, DiscoveryRequest request) {
        StreamObserver<DiscoveryRequest> out = requests;
        if (stream != generation || out == null || closed) {
            return; // the stream it answered is gone; the next one starts from the accepted versions
        }
        out.onNext(request);
    }

    private DiscoveryRequest request(TypeState type, String version, String nonce, @Nullable String error) {
        DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
                .setNode(Node.newBuilder().setId(nodeId.toString()).setUserAgentName("palisade-proxy"))
                .setTypeUrl(type.typeUrl)
                .setVersionInfo(version)
                .setResponseNonce(nonce);
        if (error != null) {
            request.setErrorDetail(com.google.rpc.Status.newBuilder()
                    .setCode(Code.INVALID_ARGUMENT_VALUE)
                    .setMessage(error));
        }
        return request.build();
    }

    private static <T extends com.google.protobuf.Message> List<T> unpack(
            List<Any> resources, Class<T> type, String kind) throws XdsResourceException {
        List<T> out = new ArrayList<>(resources.size());
        for (int i = 0; i < resources.size(); i++) {
            try {
                out.add(resources.get(i).unpack(type));
            } catch (InvalidProtocolBufferException e) {
                throw new XdsResourceException(kind, "resources[" + i + "]", "does not parse: " + e.getMessage());
            }
        }
        return out;
    }

    /** Completes with the first accepted config. */
    public CompletableFuture<ProxyConfig> ready() {
        return ready;
    }

    /** Whether a config was ever accepted (it stays in force while the control plane is unreachable). */
    public boolean isReady() {
        return ready.isDone() && !ready.isCompletedExceptionally();
    }

    /** When the last config was accepted. */
    public Optional<Instant> lastUpdate() {
        return Optional.ofNullable(lastUpdate);
    }

    /** The accepted version, {@code <listener>/<cluster>}; {@code "/"} before the first. */
    public synchronized String version() {
        return listeners.acceptedVersion + "/" + clusters.acceptedVersion;
    }

    /** How many updates were NACKed. */
    public long nackCount() {
        return nackCount;
    }

    /** Why the last update was refused, until one is accepted again. */
    public Optional<String> lastError() {
        return Optional.ofNullable(lastError);
    }

    /** How many streams were opened (1 + reconnects). */
    public long streamsOpened() {
        return streamsOpened;
    }

    @Override
    public void close() throws InterruptedException {
        StreamObserver<DiscoveryRequest> out;
        synchronized (this) {
            closed = true;
            ScheduledFuture<?> pending = reconnect;
            if (pending != null) {
                pending.cancel(false);
            }
            out = requests;
            requests = null;
        }
        if (out != null) {
            try {
                out.onCompleted();
            } catch (RuntimeException e) {
                logger.debug("xDS: closing the stream", e);
            }
        }
        ready.completeExceptionally(new IllegalStateException("closed"));
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
    }
}
