package dev.palisade.proxy.sidecar;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.identity.IssuedIdentity;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.proxy.admin.AdminEndpoints;
import dev.palisade.proxy.admin.AdminServer;
import dev.palisade.proxy.admin.HealthServer;
import dev.palisade.proxy.admin.MetricSources;
import dev.palisade.proxy.admin.ProxyMetrics;
import dev.palisade.proxy.authz.RequestNormalizer;
import dev.palisade.proxy.config.Destination;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.ProxyConfig;
import dev.palisade.proxy.config.ProxyConfigHolder;
import dev.palisade.proxy.flow.FlowEvent;
import dev.palisade.proxy.flow.FlowLogSink;
import dev.palisade.proxy.flow.FlowSink;
import dev.palisade.proxy.identity.Backoff;
import dev.palisade.proxy.identity.WorkloadIdentity;
import dev.palisade.proxy.inbound.AppStreams;
import dev.palisade.proxy.inbound.InboundServer;
import dev.palisade.proxy.inbound.InboundServices;
import dev.palisade.proxy.inbound.PortSelector;
import dev.palisade.proxy.inbound.h2.Http2AppStreams;
import dev.palisade.proxy.inbound.h2.Http2Inbound;
import dev.palisade.proxy.inbound.http1.Http1AppStreams;
import dev.palisade.proxy.outbound.OutboundServer;
import dev.palisade.proxy.outbound.OutboundServices;
import dev.palisade.proxy.outbound.OutboundSettings;
import dev.palisade.proxy.outbound.OutboundTls;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sidecar: the assembly of identity, xDS, the data-path listeners, flow logs and admin, started in the order the
 * issue gives — health and admin first (so the kubelet sees "not ready" rather than a refused connection), then the
 * key and the first SVID, then the ADS stream and the first config, then the listeners; ready once all of that is
 * done. From then on the sidecar keeps serving with its last good certificate and config whatever the control plane
 * does (the identity and xDS clients reconnect with backoff).
 *
 * <p>Threads: one acceptor and N workers (epoll when the native transport loads, which capture needs; else NIO), one
 * scheduler thread for identity renewals and xDS reconnects. Each inbound connection's app connections live on its
 * own event loop.
 */
public final class Sidecar implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(Sidecar.class);

    private final SidecarConfig config;
    private final Clock clock;
    private final boolean epoll;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ScheduledExecutorService scheduler;
    private final ProxyConfigHolder holder = new ProxyConfigHolder();
    private final ProxyMetrics metrics;
    private final FlowSink flows;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<InboundServer> inbound = new ArrayList<>();
    private final List<OutboundServer> outbound = new ArrayList<>();
    private final Instant started;
    private volatile @Nullable WorkloadIdentity identity;
    private volatile @Nullable FlowLogSink flowLog;
    private volatile @Nullable XdsState xds;
    private volatile boolean listening;
    private volatile @Nullable Duration startupTime;
    private volatile boolean closed;
    private @Nullable HealthServer health;
    private @Nullable AdminServer admin;

    /** The xDS client, once started. */
    private record XdsState(dev.palisade.proxy.xds.XdsClient client) {}

    private Sidecar(SidecarConfig config, Clock clock, FlowSink extraFlows) {
        this.config = config;
        this.clock = clock;
        this.started = clock.instant();
        this.epoll = Epoll.isAvailable();
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        this.boss = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(
                threads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-sidecar-scheduler");
            t.setDaemon(true);
            return t;
        });
        this.metrics = new ProxyMetrics(new MetricSources(
                () -> {
                    WorkloadIdentity id = identity;
                    return id == null ? java.util.Optional.empty() : id.expiry();
                },
                () -> {
                    XdsState x = xds;
                    return x == null || !x.client().isReady()
                            ? java.util.Optional.empty()
                            : java.util.Optional.of(x.client().version());
                },
                () -> {
                    XdsState x = xds;
                    return x == null ? java.util.Optional.empty() : x.client().lastUpdate();
                },
                () -> {
                    FlowLogSink f = flowLog;
                    return f == null ? 0 : f.queueDepth();
                },
                clock));
        FlowSink metricsSink = metrics.metricsSink();
        this.flows = event -> {
            metricsSink.record(event);
            FlowLogSink f = flowLog;
            if (f != null) {
                f.record(event);
            }
            extraFlows.record(event);
        };
    }

    /**
     * Starts a sidecar and returns once it is ready, or fails: a refused credential fails at once; a control plane
     * that does not answer within {@code startupTimeout} fails with what was last seen.
     *
     * @param extraFlows where flow events go besides the metrics (the flow log)
     */
    public static Sidecar start(SidecarConfig config, Clock clock, FlowSink extraFlows, Duration startupTimeout)
            throws IOException, InterruptedException, TimeoutException {
        requireNonNull(config, "config");
        if (config.captured() && !Epoll.isAvailable()) {
            throw new IllegalStateException("transparent capture needs the native epoll transport, which did not"
                    + " load here: " + Epoll.unavailabilityCause());
        }
        Sidecar sidecar = new Sidecar(config, clock, extraFlows);
        try {
            sidecar.startAll(startupTimeout);
            return sidecar;
        } catch (IOException | InterruptedException | TimeoutException | RuntimeException e) {
            sidecar.close();
            throw e;
        }
    }

    private void startAll(Duration timeout) throws IOException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        health = HealthServer.start(boss, config.health(), this::isReady);
        closeables.add(health);
        admin = AdminServer.start(
                boss,
                config.admin(),
                new AdminEndpoints(this::isReady, metrics.registry(), this::configJson, this::certsJson, this::quit),
                config.quitToken());
        closeables.add(admin);

        WorkloadIdentity id = WorkloadIdentity.builder(
                        config.controlPlane(),
                        config.controlPlaneId(),
                        config.bootstrapBundle(),
                        config.id(),
                        WorkloadIdentity.tokenFile(config.tokenFile()))
                .scheduler(scheduler)
                .clock(clock)
                // The inbound listener's contexts: ALPN picks the codec (h2 for HTTP/2 and gRPC peers).
                .tlsOptions(config.tls().withAlpn(List.of("h2", "http/1.1")))
                .build();
        identity = id;
        closeables.add(id);
        if (config.tls().groups().contains(TlsOptions.X25519_MLKEM768)) {
            logger.info(
                    "sidecar {}: TLS key exchange {} with the mesh",
                    config.id(),
                    config.tls().groups());
        } else {
            logger.warn(
                    "sidecar {}: TLS key exchange {} with the mesh, without the hybrid post-quantum group {}"
                            + " (--tls-groups); the control plane's channel keeps it",
                    config.id(),
                    config.tls().groups(),
                    TlsOptions.X25519_MLKEM768);
        }
        logger.info(
                "sidecar {}: asking the control plane at {} for an SVID", config.id(), address(config.controlPlane()));
        CompletableFuture<?> svid = id.start();
        warmUpXds();
        await(svid, deadline, "the first SVID from the control plane at " + address(config.controlPlane()));
        logger.info("sidecar {}: SVID valid until {}", config.id(), id.expiry().orElse(null));
        Path flowDir = config.flowLog();
        if (flowDir != null) {
            // Every record goes to a local JSON-lines file and, through a spill queue, to the control plane's
            // collector (Envoy's AccessLogService on the same gRPC port); neither ever blocks the data path.
            flowLog = FlowLogSink.open(FlowLogSink.Settings.builder(
                            config.id(), () -> id.current().orElseThrow().svid())
                    .file(flowDir)
                    .shipTo(config.controlPlane(), id::controlPlaneSslContext, flowDir.resolve("spill"))
                    .clock(clock)
                    .build());
            logger.info(
                    "sidecar {}: flow log in {}, shipped to {}", config.id(), flowDir, address(config.controlPlane()));
        }

        dev.palisade.proxy.xds.XdsClient client = new dev.palisade.proxy.xds.XdsClient(
                config.controlPlane(),
                id.controlPlaneSslContext(),
                config.id(),
                holder,
                scheduler,
                Backoff.defaults(),
                clock);
        xds = new XdsState(client);
        closeables.add(client);
        await(
                client.start(),
                deadline,
                "the first xDS config from the control plane at " + address(config.controlPlane()));
        logger.info("sidecar {}: xDS config {}", config.id(), client.version());

        bindListeners(id);
        listening = true;
        startupTime = Duration.between(started, clock.instant());
        logger.info("sidecar {}: ready in {} ms", config.id(), startupTime.toMillis());
    }

    /**
     * Initialises the xDS message classes on a daemon thread while the SVID is being fetched: the xDS phase then starts
     * with them ready (perf/README.md, "Time to ready"). A failure there only loses the head start; the xDS client
     * initialises the same classes itself.
     */
    private static void warmUpXds() {
        Thread warmUp = new Thread(
                () -> {
                    try {
                        dev.palisade.proxy.xds.XdsTranslator.warmUp();
                    } catch (RuntimeException | LinkageError e) {
                        logger.debug("xDS warm-up failed; the first response initialises the classes itself", e);
                    }
                },
                "palisade-xds-warmup");
        warmUp.setDaemon(true);
        warmUp.start();
    }

    private void bindListeners(WorkloadIdentity id) throws IOException, InterruptedException {
        Class<? extends ServerChannel> serverType =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends Channel> clientType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        if (!config.explicitInbound().isEmpty() || config.capturedInbound() != null) {
            AppStreams http1 = Http1AppStreams.of(clientType, config.limits());
            closeables.add(http1);
            AppStreams http2 = new Http2AppStreams(config.limits(), clientType);
            closeables.add(http2);
            InboundServices services = new InboundServices(
                    holder,
                    () -> id.sslContexts().server(),
                    () -> id.current().map(i -> i.svid().id()).orElse(config.id()),
                    config.appHost(),
                    http1,
                    http2,
                    new Http2Inbound(config.limits()),
                    RequestNormalizer.withDefaults(),
                    config.limits(),
                    flows,
                    metrics.observer(FlowEvent.Direction.INBOUND));
            try {
                if (config.capturedInbound() != null) {
                    inbound.add(InboundServer.start(
                            services,
                            boss,
                            workers,
                            serverType,
                            config.capturedInbound(),
                            PortSelector.originalDestination(ownPorts())));
                }
                for (ExplicitInbound listener : config.explicitInbound()) {
                    inbound.add(InboundServer.start(
                            services,
                            boss,
                            workers,
                            serverType,
                            listener.listen(),
                            PortSelector.fixed(listener.appPort())));
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        if (config.capturedOutbound() != null || !config.upstreams().isEmpty()) {
            OutboundServices services = new OutboundServices(
                    holder,
                    new OutboundTls(id.sslContexts(), config.tls()),
                    OutboundSettings.defaults().withOutsideMesh(config.outsideMesh()),
                    flows,
                    metrics.observer(FlowEvent.Direction.OUTBOUND));
            if (config.capturedOutbound() != null) {
                outbound.add(OutboundServer.captured(workers, config.capturedOutbound(), services));
            }
            if (!config.upstreams().isEmpty()) {
                outbound.add(OutboundServer.explicit(workers, config.upstreamBind(), config.upstreams(), services));
            }
        }
    }

    /** The sidecar's own ports, which captured traffic must never be sent back to (a loop). */
    private Set<Integer> ownPorts() {
        Set<Integer> ports = new LinkedHashSet<>(OutboundSettings.SIDECAR_PORTS);
        ports.add(config.admin().getPort());
        ports.add(config.health().getPort());
        if (config.capturedInbound() != null) {
            ports.add(config.capturedInbound().getPort());
        }
        if (config.capturedOutbound() != null) {
            ports.add(config.capturedOutbound().getPort());
        }
        return ports;
    }

    private static <T> T await(CompletableFuture<T> future, long deadline, String what)
            throws IOException, InterruptedException, TimeoutException {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IOException("cannot get " + what + ": " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            TimeoutException timeout = new TimeoutException("timed out waiting for " + what);
            timeout.initCause(e);
            throw timeout;
        }
    }

    private static String address(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    /** Ready: an SVID, a config, and listening. Stays ready while the control plane is away (last good config). */
    public boolean isReady() {
        WorkloadIdentity id = identity;
        XdsState x = xds;
        return !closed
                && listening
                && id != null
                && id.isReady()
                && x != null
                && x.client().isReady();
    }

    /** From process start ({@link #start} call) to ready. */
    public @Nullable Duration startupTime() {
        return startupTime;
    }

    public ProxyConfigHolder config() {
        return holder;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    public InetSocketAddress adminAddress() {
        return requireNonNull(admin, "admin").localAddress();
    }

    public InetSocketAddress healthAddress() {
        return requireNonNull(health, "health").localAddress();
    }

    /** The addresses the inbound listeners bound, in the order of the config (captured first). */
    public List<InetSocketAddress> inboundAddresses() {
        return inbound.stream().map(InboundServer::localAddress).toList();
    }

    /** The address of the explicit upstream listener {@code name}. */
    public InetSocketAddress upstreamAddress(String name) {
        for (OutboundServer server : outbound) {
            try {
                return server.localAddress(name);
            } catch (IllegalArgumentException e) {
                // not this server's
            }
        }
        throw new IllegalArgumentException("no upstream named " + name);
    }

    private volatile @Nullable Runnable onQuit;

    /** What {@code POST /quit} runs (drain and exit), set by the command. */
    public void onQuit(Runnable quit) {
        this.onQuit = quit;
    }

    private void quit() {
        Runnable q = onQuit;
        if (q != null) {
            Thread t = new Thread(q, "palisade-quit");
            t.start();
        }
    }

    /**
     * Graceful drain: stop accepting on every listener, let in-flight inbound requests finish up to {@code deadline},
     * then close everything.
     */
    public void drain(Duration deadline) {
        logger.info("sidecar {}: draining (up to {})", config.id(), deadline);
        listening = false;
        for (OutboundServer server : outbound) {
            server.stopAccepting();
        }
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        for (InboundServer server : inbound) {
            drains.add(server.drain(deadline));
        }
        try {
            CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new))
                    .get(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            logger.warn("sidecar {}: drain did not finish cleanly: {}", config.id(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (InboundServer server : inbound) {
            server.close();
        }
        for (OutboundServer server : outbound) {
            server.close();
        }
        FlowLogSink f = flowLog;
        if (f != null) {
            try {
                f.close(); // the final checkpoint, then what can still be shipped
            } catch (RuntimeException e) {
                logger.warn("sidecar: closing the flow log failed", e);
            }
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                logger.warn("sidecar: closing {} failed", closeables.get(i), e);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        scheduler.shutdownNow();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** {@code /config}: the xDS version, each port with its mode, protocol and policies, the mesh destinations. */
    String configJson() {
        return AdminJson.write(json -> {
            json.writeStartObject();
            json.writeStringField("id", config.id().toString());
            XdsState x = xds;
            if (x != null) {
                json.writeBooleanField("xdsReady", x.client().isReady());
                Optional<Instant> lastUpdate = x.client().lastUpdate();
                if (lastUpdate.isPresent()) {
                    json.writeStringField("lastUpdate", lastUpdate.get().toString());
                }
                Optional<String> lastError = x.client().lastError();
                if (lastError.isPresent()) {
                    json.writeStringField("lastError", lastError.get());
                }
                json.writeNumberField("nacks", x.client().nackCount());
            }
            ProxyConfig current = holder.current().orElse(null);
            if (current != null) {
                json.writeStringField("version", current.version());
                json.writeArrayFieldStart("inbound");
                for (InboundPort port : new java.util.TreeMap<>(current.inbound()).values()) {
                    json.writeStartObject();
                    json.writeNumberField("port", port.port());
                    json.writeStringField("protocol", port.protocol().name());
                    json.writeStringField("mode", port.mode().name());
                    json.writeStringField("policyVersion", port.engine().version());
                    json.writeArrayFieldStart("policies");
                    for (String policy : port.engine().describe()) {
                        json.writeString(policy);
                    }
                    json.writeEndArray();
                    json.writeEndObject();
                }
                json.writeEndArray();
                json.writeArrayFieldStart("outbound");
                for (Destination d : current.outbound().values().stream()
                        .sorted(java.util.Comparator.comparing(Destination::cluster))
                        .toList()) {
                    json.writeStartObject();
                    json.writeStringField("cluster", d.cluster());
                    json.writeStringField("address", address(d.address()));
                    json.writeStringField("expectedPeer", d.expectedPeer().toString());
                    json.writeEndObject();
                }
                json.writeEndArray();
            }
            json.writeStringField("outsideMesh", config.outsideMesh().name());
            FlowLogSink f = flowLog;
            if (f != null) {
                json.writeObjectFieldStart("flowLog");
                json.writeNumberField("queueDepth", f.queueDepth());
                json.writeNumberField("dropped", f.dropped());
                json.writeNumberField("shipped", f.shipped());
                json.writeNumberField("lost", f.lost());
                json.writeNumberField("shipFailures", f.shipFailures());
                json.writeEndObject();
            }
            json.writeEndObject();
        });
    }

    /** {@code /certs}: the SVID (SPIFFE ID, serial, validity) and the roots of the trust bundles. */
    String certsJson() {
        return AdminJson.write(json -> {
            json.writeStartObject();
            WorkloadIdentity id = identity;
            IssuedIdentity issued = id == null ? null : id.current().orElse(null);
            if (id != null && issued != null) {
                X509Certificate leaf = issued.svid().leaf();
                json.writeObjectFieldStart("svid");
                json.writeStringField("spiffeId", issued.svid().id().toString());
                json.writeStringField(
                        "serial",
                        HexFormat.of().formatHex(leaf.getSerialNumber().toByteArray()));
                json.writeStringField(
                        "notBefore", leaf.getNotBefore().toInstant().toString());
                json.writeStringField("notAfter", leaf.getNotAfter().toInstant().toString());
                Optional<Instant> lastRenewal = id.lastRenewal();
                if (lastRenewal.isPresent()) {
                    json.writeStringField("lastRenewal", lastRenewal.get().toString());
                }
                json.writeEndObject();
                json.writeArrayFieldStart("bundleRoots");
                for (X509Certificate r : issued.bundles().bundles().stream()
                        .flatMap(b -> b.roots().stream())
                        .toList()) {
                    json.writeStartObject();
                    json.writeStringField("subject", r.getSubjectX500Principal().getName());
                    json.writeStringField(
                            "notAfter", r.getNotAfter().toInstant().toString());
                    json.writeStringField(
                            "serial",
                            HexFormat.of().formatHex(r.getSerialNumber().toByteArray()));
                    json.writeEndObject();
                }
                json.writeEndArray();
            }
            json.writeEndObject();
        });
    }
}
