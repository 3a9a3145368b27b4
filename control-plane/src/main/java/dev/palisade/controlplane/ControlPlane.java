package dev.palisade.controlplane;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.CaDirectory;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.DynamicSslContext;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SvidSslContextSource;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.controlplane.admin.AdminAccess;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.admin.ControlPlaneMetrics;
import dev.palisade.controlplane.config.ControlPlaneConfig;
import dev.palisade.controlplane.config.KubernetesConfig;
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.OtlpConfig;
import dev.palisade.controlplane.flows.FlowApi;
import dev.palisade.controlplane.flows.FlowCollector;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.controlplane.identity.BootstrapTokens;
import dev.palisade.controlplane.identity.CredentialException;
import dev.palisade.controlplane.identity.CredentialVerifier;
import dev.palisade.controlplane.identity.IdentityService;
import dev.palisade.controlplane.identity.RootRotation;
import dev.palisade.controlplane.kube.CaSecretStore;
import dev.palisade.controlplane.kube.KubernetesPolicySource;
import dev.palisade.controlplane.kube.TokenReviewCredentials;
import dev.palisade.controlplane.kube.TrustBundleConfigMaps;
import dev.palisade.controlplane.otlp.OtlpFlowExporter;
import dev.palisade.controlplane.policy.CompiledWorkloadPolicy;
import dev.palisade.controlplane.policy.PolicyCompileException;
import dev.palisade.controlplane.policy.PolicyCompiler;
import dev.palisade.controlplane.policy.PolicyDirectory;
import dev.palisade.controlplane.policy.PolicyDirectoryWatcher;
import dev.palisade.controlplane.policy.PolicyLoadException;
import dev.palisade.controlplane.policy.PolicySet;
import dev.palisade.controlplane.policy.PolicySetListener;
import dev.palisade.controlplane.policy.RuleStatus;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.controlplane.uiapi.GraphApi;
import dev.palisade.controlplane.uiapi.IntegrityApi;
import dev.palisade.controlplane.uiapi.PoliciesApi;
import dev.palisade.controlplane.xds.WorkloadResources;
import dev.palisade.controlplane.xds.XdsServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane, assembled: CA and root rotation, its own SVID, the identity service and the xDS server on one
 * gRPC port (TLS, client certificates optional), a policy source whose every new set recompiles every workload, and
 * the admin port. {@link #close()} stops everything in reverse order.
 *
 * <p>Two modes share one assembly and differ in three parts only: where the CA comes from, how a workload's
 * credential is verified, and which policy source runs. {@link #startLocal}: a CA directory, bootstrap tokens, a
 * watched policy directory. {@link #startKubernetes}: a CA Secret, the TokenReview API, custom resources and Pods
 * through informers.
 *
 * <p>Threads: gRPC's own, the policy source's, one scheduler thread for rotation ticks, self-renewal and flow
 * retention, the flow collector's writer, and one event loop for the admin port; with OTLP export, its emitter
 * thread and the OpenTelemetry SDK's batch worker and HTTP client.
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(ControlPlane.class);
    /** The control plane's own SPIFFE ID path: sidecars expect exactly this identity on the gRPC port. */
    public static final String NAMESPACE = MeshConfig.ROOT_NAMESPACE;

    public static final String SERVICE_ACCOUNT = "palisade-control-plane";

    /** Messages the flow collector queues for its writer before it holds senders (flow control). */
    static final int FLOW_QUEUE_MESSAGES = 256;

    static final Duration FLOW_RETENTION_PERIOD = Duration.ofHours(1);

    private final MeshConfig mesh;
    private final Clock clock;
    private final RootRotation rotation;
    private final ControlPlaneMetrics metrics = new ControlPlaneMetrics();
    private final XdsServer xds = new XdsServer();
    private final SpiffeId selfId;
    private final Duration maxTtl;
    private final ScheduledExecutorService scheduler;
    private final EventLoopGroup adminLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<SpiffeId, CompiledWorkloadPolicy> compiled = new ConcurrentHashMap<>();
    /** Verifies stored chains for /api/integrity, one at a time, off the admin event loop. */
    private final ExecutorService verifier = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "flow-chain-verifier");
        t.setDaemon(true);
        return t;
    });

    private final SvidSslContextSource tls;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile @Nullable String policyVersion;
    /** The last policy set published, for the auditor's policies view. */
    private volatile @Nullable PolicySet policySet;

    private volatile @Nullable String lastPolicyError;
    private volatile Instant selfRenewAt;
    private @Nullable Server grpc;
    private @Nullable AutoCloseable policySource;
    private @Nullable AdminServer admin;
    private @Nullable FlowStore flowStore;
    private @Nullable FlowCollector flowCollector;
    private @Nullable OtlpFlowExporter otlpExporter;

    private ControlPlane(CertificateAuthority ca, Clock clock, ControlPlaneConfig config) throws IOException {
        this.mesh = config.mesh();
        this.clock = clock;
        this.maxTtl = config.maxTtl();
        this.selfId = SpiffeId.forWorkload(config.mesh().trustDomain(), NAMESPACE, SERVICE_ACCOUNT);
        this.rotation = new RootRotation(
                ca,
                clock,
                config.keyAlgorithm(),
                config.rootLifetime(),
                config.maxTtl(),
                config.rotateBefore(),
                config.warnBefore());
        X509Svid own = issueSelf();
        this.tls = new SvidSslContextSource(
                own,
                rotation.state().bundles(),
                TlsOptions.defaults().withAlpn(List.of("h2")),
                PeerAuthorizer.memberOf(config.mesh().trustDomain()),
                PeerAuthorizer.memberOf(config.mesh().trustDomain()),
                clock,
                false);
        this.selfRenewAt = halfLife(own);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "palisade-control-plane-scheduler");
            t.setDaemon(true);
            return t;
        });
        rotation.addListener(state -> {
            metrics.caRotationPhase.set(state.phase().ordinal());
            renewSelf();
        });
    }

    /**
     * Starts a local-mode control plane: loads (or makes) the CA in {@code DIR/ca}, reads {@code DIR/tokens}, serves
     * gRPC and admin, and watches the policy directory. Returns once both ports are bound; {@code /ready} turns 200
     * when the first policy set has been loaded and published.
     */
    public static ControlPlane startLocal(LocalConfig config, Clock clock) throws Exception {
        requireNonNull(config, "config");
        Path caDir = config.dir().resolve("ca");
        CertificateAuthority ca;
        if (Files.exists(caDir.resolve(CaDirectory.KEY_FILE))) {
            ca = CaDirectory.load(caDir, clock);
            if (!ca.trustDomain().equals(config.mesh().trustDomain())) {
                throw new IllegalStateException(caDir + " holds a CA for trust domain " + ca.trustDomain() + ", not "
                        + config.mesh().trustDomain());
            }
        } else {
            ca = CaDirectory.init(
                    caDir, config.mesh().trustDomain(), config.keyAlgorithm(), config.rootLifetime(), clock);
            logger.info("made a new root CA for {} in {}", config.mesh().trustDomain(), caDir);
        }
        Path tokensFile = config.dir().resolve("tokens");
        CredentialVerifier tokens;
        if (Files.exists(tokensFile)) {
            tokens = BootstrapTokens.read(tokensFile, config.mesh().trustDomain());
        } else {
            logger.warn("no bootstrap tokens at {}: no workload can get a certificate until it exists", tokensFile);
            tokens = credential -> {
                throw new CredentialException("no bootstrap tokens configured");
            };
        }
        return start(
                config,
                ca,
                tokens,
                listener -> PolicyDirectoryWatcher.start(new PolicyDirectory(config.policies()), listener),
                clock);
    }

    /**
     * Starts a Kubernetes-mode control plane: loads the CA from the Secret {@code config.caSecretName()} in
     * {@code config.namespace()} (creating both on the first start of any replica), verifies workload tokens with the
     * TokenReview API, serves gRPC and admin, and watches AuthorizationPolicy and PeerAuthentication resources, Pods
     * and Namespaces (see {@link KubernetesPolicySource}). Returns once both ports are bound and every watched kind
     * has been listed; {@code /ready} turns 200 when the first policy set has been published.
     *
     * @param client the API server's client; the caller owns it and closes it after the control plane
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot be reached or refuses
     */
    public static ControlPlane startKubernetes(KubernetesConfig config, KubernetesClient client, Clock clock)
            throws Exception {
        requireNonNull(config, "config");
        requireNonNull(client, "client");
        logger.info(
                "Kubernetes mode: API server {}, namespace {}, CA Secret {}",
                client.getMasterUrl(),
                config.namespace(),
                config.caSecretName());
        CaSecretStore caStore = new CaSecretStore(client, config.namespace(), config.caSecretName(), clock);
        CertificateAuthority ca =
                caStore.loadOrCreate(config.mesh().trustDomain(), config.keyAlgorithm(), config.rootLifetime());
        // Sidecars verify the control plane with this before they have an SVID: written before anything serves (the
        // Secret's bundle holds every root, mid-rotation too), then on each rotation change and every 30 s.
        TrustBundleConfigMaps caRoots = new TrustBundleConfigMaps(
                client, config.namespace(), config.mesh().trustDomain());
        caRoots.sync(TrustBundleSet.of(ca.trustBundle()));
        ControlPlane cp = start(
                config,
                ca,
                new TokenReviewCredentials(client, config.mesh().trustDomain()),
                listener -> KubernetesPolicySource.start(
                        client, listener, config.policyDebounce(), config.syncTimeout(), clock),
                clock);
        // Replicas share one rotation through the CA Secret (RotationAcrossReplicasTest).
        cp.rotation.addListener(state -> caRoots.syncLogged(state.bundles()));
        cp.rotation.attachStore(caStore);
        cp.schedule(
                () -> caRoots.syncLogged(cp.rotation.state().bundles()),
                TrustBundleConfigMaps.PERIOD,
                TrustBundleConfigMaps.PERIOD);
        return cp;
    }

    /** Starts a policy source that reports to {@code listener} until closed. */
    @FunctionalInterface
    private interface PolicySourceStarter {
        AutoCloseable start(PolicySetListener listener) throws Exception;
    }

    /** The one start path of both modes: what differs is passed in. */
    private static ControlPlane start(
            ControlPlaneConfig config,
            CertificateAuthority ca,
            CredentialVerifier credentials,
            PolicySourceStarter policies,
            Clock clock)
            throws Exception {
        ControlPlane cp = new ControlPlane(ca, clock, config);
        try {
            cp.serve(config, credentials, policies);
        } catch (Exception e) {
            cp.close();
            throw e;
        }
        return cp;
    }

    private void serve(ControlPlaneConfig config, CredentialVerifier credentials, PolicySourceStarter policies)
            throws Exception {
        IdentityService identity = new IdentityService(
                credentials,
                () -> rotation.state().issuer(),
                () -> rotation.state().bundles(),
                config.workloadTtl(),
                config.maxTtl());
        FlowStore flows = FlowStore.open(config.flowStore(), clock);
        flowStore = flows;
        FlowCollector.StoredListener stored = FlowCollector.StoredListener.NONE;
        OtlpConfig otlpConfig = config.otlp();
        if (otlpConfig != null) {
            OtlpFlowExporter otlp = OtlpFlowExporter.start(otlpConfig, clock);
            otlpExporter = otlp;
            metrics.registerOtlpExport(otlp);
            stored = otlp;
        }
        FlowCollector collector = new FlowCollector(flows, mesh.trustDomain(), FLOW_QUEUE_MESSAGES, stored);
        flowCollector = collector;
        metrics.registerFlowCollector(collector);
        grpc = NettyServerBuilder.forAddress(config.grpcAddress())
                .sslContext(new DynamicSslContext(tls::server))
                .addService(identity)
                .addService(xds.service())
                .addService(collector.service())
                .build()
                .start();
        logger.info(
                "identity + xDS (gRPC over TLS) listening on {}:{} as {}",
                config.grpcAddress().getHostString(),
                grpc.getPort(),
                selfId);
        Map<String, AdminServer.Endpoint> endpoints =
                new LinkedHashMap<>(new FlowApi(flows, () -> rotation.state().bundles(), clock).endpoints());
        endpoints.putAll(new GraphApi(flows, clock).endpoints());
        endpoints.putAll(new PoliciesApi(flows, () -> new PoliciesApi.State(policySet, compiled), clock).endpoints());
        endpoints.putAll(new IntegrityApi(flows, () -> rotation.state().bundles(), clock, verifier).endpoints());
        endpoints.put("/config", new AdminServer.Endpoint("application/json", this::configJson));
        admin = AdminServer.start(
                adminLoop,
                config.adminAddress(),
                this::isReady,
                metrics,
                endpoints,
                AdminAccess.of(config.adminToken()));
        logger.info("flow store {} (retention {})", config.flowStore(), config.flowRetention());
        Duration retention = config.flowRetention();
        scheduler.scheduleWithFixedDelay(
                () -> applyRetention(flows, retention), 0, FLOW_RETENTION_PERIOD.toMinutes(), TimeUnit.MINUTES);
        updateGauges();
        scheduler.scheduleWithFixedDelay(this::maintain, 30, 30, TimeUnit.SECONDS);
        policySource = policies.start(new PolicySetListener() {
            @Override
            public void onPolicySet(PolicySet set) {
                publish(set);
            }

            @Override
            public void onError(PolicyLoadException error) {
                metrics.policyLoads.labelValues("error").inc();
                lastPolicyError = error.getMessage();
                logger.warn(
                        "policies did not load; what they concern keeps its last good version:\n{}",
                        error.getMessage());
            }
        });
    }

    /** Compiles every workload of {@code set} and publishes its snapshot; a workload that fails keeps its last good. */
    void publish(PolicySet set) {
        Set<SpiffeId> present = new HashSet<>();
        int failed = 0;
        for (Workload workload : set.workloads()) {
            SpiffeId id = workload.spiffeId(mesh.trustDomain());
            present.add(id);
            try {
                CompiledWorkloadPolicy policy = PolicyCompiler.compile(set, mesh, workload);
                xds.publish(id, WorkloadResources.snapshot(policy, set, mesh));
                compiled.put(id, policy);
                metrics.xdsPublishes.inc();
            } catch (PolicyCompileException e) {
                failed++;
                logger.warn(
                        "policies for {} did not compile; its last good configuration stays: {}", id, e.getMessage());
            }
        }
        compiled.keySet().retainAll(present);
        xds.retainOnly(present);
        policyVersion = set.version();
        policySet = set;
        lastPolicyError = failed == 0 ? null : failed + " workload(s) did not compile; see the log";
        metrics.policyLoads.labelValues("ok").inc();
        logger.info(
                "policy set {} published to {} workload(s){}",
                set.version(),
                present.size() - failed,
                failed == 0 ? "" : " (" + failed + " kept their last good configuration)");
    }

    private void applyRetention(FlowStore flows, Duration retention) {
        try {
            long deleted = flows.deleteOlderThan(clock.instant().minus(retention));
            if (deleted > 0) {
                logger.info("flow retention: deleted {} entries older than {}", deleted, retention);
            }
        } catch (RuntimeException e) {
            logger.warn("flow retention failed; retrying in {}", FLOW_RETENTION_PERIOD, e);
        }
    }

    private void maintain() {
        try {
            rotation.tick();
            if (!clock.instant().isBefore(selfRenewAt)) {
                renewSelf();
            }
            updateGauges();
            metrics.xdsNacks.inc(Math.max(0, xds.nackCount() - (long) metrics.xdsNacks.get()));
        } catch (RuntimeException e) {
            logger.warn("control plane maintenance failed", e);
        }
    }

    private void updateGauges() {
        RootRotation.State state = rotation.state();
        List<X509Certificate> chain = state.issuer().chain();
        X509Certificate root = chain.get(chain.size() - 1);
        metrics.caRootExpirySeconds.set(
                Duration.between(clock.instant(), root.getNotAfter().toInstant())
                        .toSeconds());
        metrics.caRotationPhase.set(state.phase().ordinal());
        metrics.caBundleRoots.set(
                state.bundles().bundles().iterator().next().roots().size());
    }

    private X509Svid issueSelf() {
        try {
            KeyPair keys = KeyAlgorithm.EC_P256.generate();
            CertificateAuthority issuer = rotation.state().issuer().withMaxTtl(maxTtl);
            return X509Svid.of(issuer.issue(selfId, keys.getPublic(), maxTtl), keys.getPrivate());
        } catch (Exception e) {
            throw new IllegalStateException("cannot issue the control plane's own certificate", e);
        }
    }

    private synchronized void renewSelf() {
        X509Svid own = issueSelf();
        try {
            tls.update(own, rotation.state().bundles());
            selfRenewAt = halfLife(own);
            logger.info(
                    "control plane certificate renewed, serial {}",
                    own.leaf().getSerialNumber().toString(16));
        } catch (IOException e) {
            logger.warn("control plane certificate renewal failed; the current one stays", e);
        }
    }

    private static Instant halfLife(X509Svid svid) {
        return svid.notBefore()
                .plus(Duration.between(svid.notBefore(), svid.notAfter()).dividedBy(2));
    }

    /** Ready once the gRPC port is serving and a policy set has been published. */
    /**
     * Runs {@code task} on the control plane's scheduler every {@code period}, first after {@code initialDelay}, until
     * the control plane closes: for periodic chores of the assembly (the webhook certificate's renewal).
     */
    public void schedule(Runnable task, Duration initialDelay, Duration period) {
        scheduler.scheduleWithFixedDelay(task, initialDelay.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isReady() {
        return grpc != null && !grpc.isShutdown() && policyVersion != null;
    }

    public SpiffeId selfId() {
        return selfId;
    }

    public int grpcPort() {
        return requireNonNull(grpc, "grpc").getPort();
    }

    public InetSocketAddress adminAddress() {
        return requireNonNull(admin, "admin").address();
    }

    public RootRotation rotation() {
        return rotation;
    }

    public ControlPlaneMetrics metrics() {
        return metrics;
    }

    /** The flow store (open once started). */
    public FlowStore flowStore() {
        return requireNonNull(flowStore, "flowStore");
    }

    /** The OTLP exporter of stored flow records, when configured. */
    public @Nullable OtlpFlowExporter otlpExporter() {
        return otlpExporter;
    }

    /** The flow-log collector (running once started). */
    public FlowCollector flowCollector() {
        return requireNonNull(flowCollector, "flowCollector");
    }

    public XdsServer xds() {
        return xds;
    }

    public @Nullable String policyVersion() {
        return policyVersion;
    }

    private String configJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("trustDomain", mesh.trustDomain().name());
        out.put("defaultAction", mesh.defaultAction().name());
        out.put("defaultMtls", mesh.defaultMtlsMode().name());
        out.put("policyVersion", policyVersion);
        out.put("lastPolicyError", lastPolicyError);
        out.put("caRotationPhase", rotation.state().phase().name());
        Map<String, Object> workloads = new LinkedHashMap<>();
        compiled.entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(SpiffeId::toString)))
                .forEach(e -> {
                    Map<String, Object> w = new LinkedHashMap<>();
                    w.put("mtls", e.getValue().mtls().mode().name());
                    w.put(
                            "rules",
                            e.getValue().ruleStatuses().stream()
                                    .map(ControlPlane::rule)
                                    .toList());
                    workloads.put(e.getKey().toString(), w);
                });
        out.put("workloads", workloads);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> rule(RuleStatus status) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("policy", status.rbacPolicyName());
        r.put("status", status.status().name());
        r.put("reason", status.reason());
        return r;
    }

    /** Stops everything in reverse order of start. Idempotent: a shutdown hook and a try-with-resources may both call it. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (admin != null) {
            admin.close();
        }
        verifier.shutdownNow();
        if (policySource != null) {
            try {
                policySource.close();
            } catch (Exception e) {
                logger.warn("closing the policy source failed", e);
            }
        }
        if (grpc != null) {
            grpc.shutdown();
            try {
                if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) {
                    grpc.shutdownNow();
                }
            } catch (InterruptedException e) {
                grpc.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        if (flowCollector != null) {
            flowCollector.close();
        }
        if (otlpExporter != null) {
            try {
                otlpExporter.close();
            } catch (RuntimeException e) {
                logger.warn("closing the OTLP exporter failed", e);
            }
        }
        scheduler.shutdownNow();
        if (flowStore != null) {
            try {
                flowStore.close();
            } catch (RuntimeException e) {
                logger.warn("closing the flow store failed", e);
            }
        }
        adminLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
