package dev.palisade.cli;

import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.ControlPlane;
import dev.palisade.controlplane.config.AdminToken;
import dev.palisade.controlplane.config.AdminTokenException;
import dev.palisade.controlplane.config.DefaultAction;
import dev.palisade.controlplane.config.KubernetesConfig;
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import dev.palisade.controlplane.config.OtlpConfig;
import dev.palisade.controlplane.kube.WebhookCertificates;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code palisade control-plane}: runs the control plane until SIGTERM or Ctrl-C, then shuts down cleanly (admin
 * port first, then the policy source, then gRPC with a 5 s grace).
 *
 * <p>Kubernetes mode talks to the API server through fabric8's client, configured the usual way: in a pod, from the
 * service account's mounted token and the {@code KUBERNETES_SERVICE_*} environment; elsewhere, from
 * {@code ~/.kube/config} or {@code $KUBECONFIG}. An API server that cannot be reached is reported with its URL, and
 * the command exits with 1.
 *
 * <p>The admin API ({@code /config}, {@code /api/...}) needs a bearer token from {@code --admin-token-file} or, when
 * that is not given, {@code $PALISADE_UI_TOKEN}; with neither, only loopback clients may read it. {@code /ready},
 * {@code /live} and {@code /metrics} are open. An invalid token is a usage error (exit 2) naming its source.
 */
@Command(
        name = "control-plane",
        description = {
            "Run the control plane: identity (CSR signing) and xDS on one gRPC/TLS port, admin on another.",
            "Local mode: DIR/ca (made on first start), DIR/tokens (bootstrap tokens), DIR/policies (watched).",
            "Kubernetes mode: the CA in a Secret of --namespace (made on first start), ServiceAccount tokens checked"
                    + " with TokenReview, AuthorizationPolicy and PeerAuthentication resources, Pods and Namespaces"
                    + " watched through the API server (in-cluster config, or kubeconfig)."
        })
final class ControlPlaneCommand implements Callable<Integer> {
    static final InetSocketAddress LOCAL_GRPC = new AddressConverter().convert("127.0.0.1:15012");
    static final InetSocketAddress LOCAL_ADMIN = new AddressConverter().convert("127.0.0.1:15014");
    static final InetSocketAddress CLUSTER_GRPC = new AddressConverter().convert("0.0.0.0:15012");
    static final InetSocketAddress CLUSTER_ADMIN = new AddressConverter().convert("0.0.0.0:15014");
    static final Duration WEBHOOK_CHECK = Duration.ofHours(1);

    @Spec
    private CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    private Mode mode;

    static final class Mode {
        @Option(names = "--local", paramLabel = "DIR", description = "Local mode, from a directory.")
        @Nullable
        Path local;

        @Option(
                names = "--kubernetes",
                description = "Kubernetes mode: CA in a Secret, TokenReview, CRDs and Pods through the API server.")
        boolean kubernetes;
    }

    @Option(
            names = "--trust-domain",
            paramLabel = "TD",
            defaultValue = "cluster.local",
            description = "Trust domain (default: ${DEFAULT-VALUE}).",
            converter = TrustDomainConverter.class)
    private TrustDomain trustDomain;

    @Option(
            names = "--policies",
            paramLabel = "DIR",
            description = "Local mode: the policy directory (default: DIR/policies).")
    private @Nullable Path policies;

    @Option(
            names = "--namespace",
            paramLabel = "NS",
            defaultValue = "${env:POD_NAMESPACE:-" + KubernetesConfig.DEFAULT_NAMESPACE + "}",
            description = "Kubernetes mode: the control plane's namespace, where the CA Secret lives"
                    + " (default: $POD_NAMESPACE, else " + KubernetesConfig.DEFAULT_NAMESPACE + ").")
    private String namespace;

    @Option(
            names = "--ca-secret",
            paramLabel = "NAME",
            defaultValue = KubernetesConfig.DEFAULT_CA_SECRET,
            description = "Kubernetes mode: the name of the CA Secret (default: ${DEFAULT-VALUE}).")
    private String caSecret;

    @Option(
            names = "--grpc-listen",
            paramLabel = "HOST:PORT",
            description = "Identity + xDS address (default: 127.0.0.1:15012 with --local, 0.0.0.0:15012 with"
                    + " --kubernetes).",
            converter = AddressConverter.class)
    private @Nullable InetSocketAddress grpcListen;

    @Option(
            names = "--admin-listen",
            paramLabel = "HOST:PORT",
            description = "Admin address: /ready, /live, /metrics, /config (default: 127.0.0.1:15014 with --local,"
                    + " 0.0.0.0:15014 with --kubernetes).",
            converter = AddressConverter.class)
    private @Nullable InetSocketAddress adminListen;

    @Option(
            names = "--admin-token-file",
            paramLabel = "FILE",
            description = "Bearer token that /config and /api/... of the admin port require (16-1024 printable ASCII"
                    + " characters, no whitespace; a trailing newline is ignored). Wins over $" + AdminToken.ENV
                    + ". With neither, only loopback clients may read them; /ready, /live, /metrics stay open.")
    private @Nullable Path adminTokenFile;

    @Option(
            names = "--certificate-ttl",
            paramLabel = "DURATION",
            description = "Lifetime of a workload certificate when the workload asks for none, at most 24h"
                    + " (default: 24h; e.g. 1h, 30m).",
            converter = DurationConverter.class)
    private @Nullable Duration certificateTtl;

    @Option(
            names = "--webhook-service",
            paramLabel = "NAME",
            description = "Kubernetes mode: issue the admission webhook's serving certificate for this Service of"
                    + " --namespace, kept in the Secret NAME-tls (unless cert-manager provides it).")
    private @Nullable String webhookService;

    @Option(
            names = "--webhook-cert-dir",
            paramLabel = "DIR",
            description = "Kubernetes mode, with --webhook-service: write tls.crt, tls.key and ca.crt here (the"
                    + " directory the webhook container reads).")
    private @Nullable Path webhookCertDir;

    @Option(
            names = "--webhook-configuration",
            paramLabel = "NAME",
            description = "Kubernetes mode, with --webhook-service: set the caBundle of this"
                    + " MutatingWebhookConfiguration's webhooks.")
    private @Nullable String webhookConfiguration;

    @Option(
            names = "--flow-retention",
            paramLabel = "DURATION",
            defaultValue = "7d",
            description = "Flow-log entries older than this are deleted, hourly (default: ${DEFAULT-VALUE}).",
            converter = DurationConverter.class)
    private Duration flowRetention;

    @Option(
            names = "--flow-store",
            paramLabel = "PATH",
            description = "The flow store's SQLite file (default: DIR/flows.db with --local, "
                    + KubernetesConfig.DEFAULT_FLOW_STORE + " with --kubernetes).")
    private @Nullable Path flowStore;

    @Option(
            names = "--otlp-endpoint",
            paramLabel = "URL",
            description = "Also export each stored flow record as an OpenTelemetry log over OTLP/HTTP"
                    + " (http/protobuf) to this receiver, best effort (the flow store stays authoritative):"
                    + " http(s)://HOST:PORT, e.g. http://otel-collector:4318; /v1/logs is added when the URL has"
                    + " no path.",
            converter = OtlpEndpointConverter.class)
    private @Nullable URI otlpEndpoint;

    @Option(
            names = "--otlp-queue-size",
            paramLabel = "N",
            description = "Flow records waiting for OTLP export, at most, before new ones are dropped and counted"
                    + " (palisade_flow_otlp_dropped_total{reason=\"queue_full\"}); default "
                    + OtlpConfig.DEFAULT_QUEUE_SIZE
                    + ". Needs --otlp-endpoint.")
    private @Nullable Integer otlpQueueSize;

    @Option(
            names = "--default-action",
            paramLabel = "ACTION",
            defaultValue = "allow",
            description = "When no ALLOW policy selects a workload: allow or deny (default: ${DEFAULT-VALUE}).")
    private String defaultAction;

    @Option(
            names = "--default-mtls",
            paramLabel = "MODE",
            defaultValue = "strict",
            description =
                    "mTLS mode where no PeerAuthentication applies: strict or permissive (default: ${DEFAULT-VALUE}).")
    private String defaultMtls;

    @Override
    public Integer call() throws Exception {
        MeshConfig mesh = new MeshConfig(trustDomain, parseAction(), parseMtls());
        AdminToken adminToken = adminToken();
        return mode.kubernetes ? runKubernetes(mesh, adminToken) : runLocal(mesh, adminToken);
    }

    /** From --admin-token-file, else $PALISADE_UI_TOKEN, else none; an invalid one is a usage error. */
    private @Nullable AdminToken adminToken() {
        try {
            return AdminToken.resolve(adminTokenFile, "--admin-token-file", System.getenv());
        } catch (AdminTokenException e) {
            throw new ParameterException(spec.commandLine(), String.valueOf(e.getMessage()));
        }
    }

    private int runLocal(MeshConfig mesh, @Nullable AdminToken adminToken) throws Exception {
        for (String kubernetesOnly : new String[] {
            "--namespace", "--ca-secret", "--webhook-service", "--webhook-cert-dir", "--webhook-configuration"
        }) {
            if (spec.commandLine().getParseResult().hasMatchedOption(kubernetesOnly)) {
                throw new ParameterException(spec.commandLine(), kubernetesOnly + " applies to --kubernetes only");
            }
        }
        Path dir = Objects.requireNonNull(mode.local, "local");
        LocalConfig.Builder builder = LocalConfig.builder(dir, mesh)
                .addresses(
                        grpcListen == null ? LOCAL_GRPC : grpcListen, adminListen == null ? LOCAL_ADMIN : adminListen)
                .adminToken(adminToken)
                .otlp(otlp());
        LocalConfig defaults = builder.build();
        if (policies != null) {
            builder.policies(policies);
        }
        if (certificateTtl != null) {
            builder.ttls(checkTtl(certificateTtl, defaults.maxTtl()), defaults.maxTtl());
        }
        builder.flows(flowStore == null ? defaults.flowStore() : flowStore, flowRetention);
        LocalConfig config = builder.build();
        ControlPlane cp = ControlPlane.startLocal(config, Clock.systemUTC());
        return serve(cp, "local " + dir, config.grpcAddress().getHostString(), adminToken, () -> {});
    }

    private int runKubernetes(MeshConfig mesh, @Nullable AdminToken adminToken) throws Exception {
        if (policies != null) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--policies applies to --local only: in Kubernetes mode, policies are AuthorizationPolicy and"
                            + " PeerAuthentication resources");
        }
        if (webhookService == null) {
            for (String needsService : new String[] {"--webhook-cert-dir", "--webhook-configuration"}) {
                if (spec.commandLine().getParseResult().hasMatchedOption(needsService)) {
                    throw new ParameterException(spec.commandLine(), needsService + " needs --webhook-service");
                }
            }
        }
        KubernetesConfig config;
        try {
            KubernetesConfig.Builder builder = KubernetesConfig.builder(mesh)
                    .namespace(namespace)
                    .caSecretName(caSecret)
                    .grpcAddress(grpcListen == null ? CLUSTER_GRPC : grpcListen)
                    .adminAddress(adminListen == null ? CLUSTER_ADMIN : adminListen)
                    .flowRetention(flowRetention)
                    .adminToken(adminToken)
                    .otlp(otlp());
            if (flowStore != null) {
                builder.flowStore(flowStore);
            }
            if (certificateTtl != null) {
                Duration max = builder.build().maxTtl();
                builder.ttls(checkTtl(certificateTtl, max), max);
            }
            config = builder.build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), String.valueOf(e.getMessage()), e);
        }
        KubernetesClient client = new KubernetesClientBuilder().build();
        ControlPlane cp;
        try {
            cp = ControlPlane.startKubernetes(config, client, Clock.systemUTC());
        } catch (KubernetesClientException e) {
            client.close();
            PrintWriter err = spec.commandLine().getErr();
            err.println("palisade control-plane: "
                    + describe(e, client.getMasterUrl().toString()));
            err.flush();
            return 1;
        } catch (Exception | Error e) {
            client.close();
            throw e;
        }
        if (webhookService != null) {
            try {
                WebhookSetup webhook = new WebhookSetup(
                        new WebhookCertificates(client, config.namespace(), webhookService, Clock.systemUTC()),
                        webhookCertDir,
                        webhookConfiguration);
                webhook.run();
                cp.schedule(webhook::runLogged, WEBHOOK_CHECK, WEBHOOK_CHECK);
            } catch (KubernetesClientException | IOException | IllegalStateException e) {
                cp.close();
                client.close();
                PrintWriter err = spec.commandLine().getErr();
                err.println("palisade control-plane: webhook certificate: "
                        + (e instanceof KubernetesClientException k
                                ? describe(k, client.getMasterUrl().toString())
                                : e.getMessage()));
                err.flush();
                return 1;
            }
        }
        return serve(
                cp,
                "Kubernetes, namespace " + config.namespace() + ", API server " + client.getMasterUrl(),
                config.grpcAddress().getHostString(),
                adminToken,
                client::close);
    }

    /** Prints where the control plane listens, then waits for SIGTERM / Ctrl-C; {@code after} runs after the close. */
    private int serve(ControlPlane cp, String mode, String grpcHost, @Nullable AdminToken adminToken, Runnable after)
            throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            Thread hook = new Thread(
                    () -> {
                        cp.close();
                        after.run();
                        stopped.countDown();
                    },
                    "palisade-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            PrintWriter out = spec.commandLine().getOut();
            out.printf(
                    Locale.ROOT,
                    "control plane %s (%s): gRPC %s:%d, admin %s:%d (API: %s)%n",
                    cp.selfId(),
                    mode,
                    grpcHost,
                    cp.grpcPort(),
                    cp.adminAddress().getHostString(),
                    cp.adminAddress().getPort(),
                    adminToken == null ? "loopback clients only" : "bearer token from " + adminToken.source());
            out.flush();
            stopped.await();
        } finally {
            cp.close();
        }
        return 0;
    }

    /**
     * One line for an API server problem: "cannot reach" when no HTTP answer came back (connection refused, unknown
     * host, TLS failure, timeout), else what the API server said. Both name the API server's URL.
     */
    static String describe(KubernetesClientException e, String masterUrl) {
        // The JDK client's errors often carry no message: prefer the deepest one that has one, else the most
        // specific type (ConnectException rather than the IOException that wraps it).
        Throwable io = null;
        int depth = 0;
        for (Throwable t = e; t != null && depth < 20; t = t.getCause(), depth++) {
            if (!(t instanceof IOException)) {
                continue;
            }
            if (hasMessage(t) || io == null || (io.getClass() == IOException.class && !hasMessage(io))) {
                io = t;
            }
        }
        boolean answered = e.getCode() > 0;
        if (io != null && !answered) {
            String why = hasMessage(io)
                    ? io.getClass().getSimpleName() + ": " + io.getMessage()
                    : io.getClass().getSimpleName();
            return "cannot reach the Kubernetes API server at " + masterUrl + ": " + why;
        }
        String message = String.valueOf(e.getMessage());
        return message.contains(masterUrl) || message.contains(stripSlash(masterUrl))
                ? message
                : "Kubernetes API server at " + masterUrl + ": " + message;
    }

    private static boolean hasMessage(Throwable t) {
        return t.getMessage() != null && !t.getMessage().isBlank();
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private @Nullable OtlpConfig otlp() {
        URI endpoint = otlpEndpoint;
        Integer queueSize = otlpQueueSize;
        if (endpoint == null) {
            if (queueSize != null) {
                throw new ParameterException(spec.commandLine(), "--otlp-queue-size needs --otlp-endpoint");
            }
            return null;
        }
        OtlpConfig config = OtlpConfig.of(endpoint.toString());
        if (queueSize == null) {
            return config;
        }
        try {
            return config.withQueueSize(queueSize);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--otlp-queue-size: " + e.getMessage());
        }
    }

    private Duration checkTtl(Duration ttl, Duration max) {
        if (ttl.compareTo(Duration.ofMinutes(1)) < 0 || ttl.compareTo(max) > 0) {
            throw new ParameterException(
                    spec.commandLine(), "--certificate-ttl: " + ttl + " (expected: from 1m to " + max.toHours() + "h)");
        }
        return ttl;
    }

    /** Makes (or loads) the webhook's serving certificate, writes it for the webhook container, sets the caBundle. */
    private static final class WebhookSetup {
        private static final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(WebhookSetup.class);
        private final WebhookCertificates certificates;
        private final @Nullable Path dir;
        private final @Nullable String configuration;

        WebhookSetup(WebhookCertificates certificates, @Nullable Path dir, @Nullable String configuration) {
            this.certificates = certificates;
            this.dir = dir;
            this.configuration = configuration;
        }

        void run() throws IOException {
            WebhookCertificates.Material material = certificates.ensure();
            if (dir != null) {
                WebhookCertificates.write(material, dir);
            }
            if (configuration != null) {
                certificates.patchCaBundle(configuration, material);
            }
        }

        /** The periodic check: renewal, a caBundle reset by someone else; failures are logged and retried. */
        void runLogged() {
            try {
                run();
            } catch (IOException | RuntimeException e) {
                logger.warn("webhook certificate check failed; retrying in {}", WEBHOOK_CHECK, e);
            }
        }
    }

    private DefaultAction parseAction() {
        return switch (defaultAction.toLowerCase(Locale.ROOT)) {
            case "allow" -> DefaultAction.ALLOW;
            case "deny" -> DefaultAction.DENY;
            default ->
                throw new ParameterException(
                        spec.commandLine(), "--default-action: '" + defaultAction + "' (expected allow or deny)");
        };
    }

    private MtlsMode parseMtls() {
        return switch (defaultMtls.toLowerCase(Locale.ROOT)) {
            case "strict" -> MtlsMode.STRICT;
            case "permissive" -> MtlsMode.PERMISSIVE;
            default ->
                throw new ParameterException(
                        spec.commandLine(), "--default-mtls: '" + defaultMtls + "' (expected strict or permissive)");
        };
    }
}
