package dev.palisade.cli;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.proxy.flow.FlowSink;
import dev.palisade.proxy.inbound.InboundLimits;
import dev.palisade.proxy.outbound.ExplicitUpstream;
import dev.palisade.proxy.outbound.OutsideMeshPolicy;
import dev.palisade.proxy.sidecar.ExplicitInbound;
import dev.palisade.proxy.sidecar.Sidecar;
import dev.palisade.proxy.sidecar.SidecarConfig;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code palisade proxy}: the sidecar. In a pod the injector sets everything through the environment ({@code
 * PALISADE_*}, {@code POD_NAMESPACE}, {@code SERVICE_ACCOUNT}) and traffic is captured by iptables; on a laptop or a
 * VM, {@code --no-capture} with {@code --inbound-for} and {@code --upstream} gives explicit listeners instead.
 * Runs until SIGTERM (or an authorized {@code POST /quit}), then drains.
 */
@Command(
        name = "proxy",
        description = {
            "Run the sidecar: mTLS in and out with a SPIFFE identity from the control plane, L7 authorization of"
                    + " every inbound request, flow logs, admin on 127.0.0.1:15000 and health on :15021.",
            "In a pod the injector configures it through PALISADE_* environment variables; elsewhere use"
                    + " --no-capture with --inbound-for and --upstream."
        })
final class ProxyCommand implements Callable<Integer> {

    @Spec
    private @Nullable CommandSpec spec;

    @Option(
            names = "--trust-domain",
            paramLabel = "TD",
            defaultValue = "${env:PALISADE_TRUST_DOMAIN:-cluster.local}",
            description = "Trust domain (default: $PALISADE_TRUST_DOMAIN, else cluster.local).",
            converter = TrustDomainConverter.class)
    TrustDomain trustDomain;

    @Option(
            names = "--namespace",
            paramLabel = "NS",
            defaultValue = "${env:POD_NAMESPACE}",
            description = "The workload's namespace (default: $POD_NAMESPACE).")
    @Nullable
    String namespace;

    @Option(
            names = "--service-account",
            paramLabel = "SA",
            defaultValue = "${env:SERVICE_ACCOUNT}",
            description = "The workload's service account (default: $SERVICE_ACCOUNT).")
    @Nullable
    String serviceAccount;

    @Option(
            names = "--control-plane",
            paramLabel = "HOST:PORT",
            defaultValue = "${env:PALISADE_CONTROL_PLANE:-127.0.0.1:15012}",
            description = "Identity + xDS address (default: $PALISADE_CONTROL_PLANE, else 127.0.0.1:15012).",
            converter = AddressConverter.class)
    InetSocketAddress controlPlane;

    @Option(
            names = "--control-plane-id",
            paramLabel = "SPIFFE_ID",
            description = "The control plane's SPIFFE ID (default: spiffe://TD/ns/palisade-system/sa/"
                    + "palisade-control-plane).",
            converter = SpiffeIdConverter.class)
    @Nullable
    SpiffeId controlPlaneId;

    @Option(
            names = "--ca-bundle",
            paramLabel = "FILE",
            defaultValue = "${env:PALISADE_CA_BUNDLE:-/var/run/palisade/ca/bundle.pem}",
            description = "The trust bundle (PEM) that the control plane's certificate must chain to before the"
                    + " first SVID (default: $PALISADE_CA_BUNDLE, else /var/run/palisade/ca/bundle.pem).")
    Path caBundle;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            defaultValue = "${env:PALISADE_TOKEN_FILE:-/var/run/secrets/palisade/token}",
            description = "The credential: the projected ServiceAccount token, or a local bootstrap token; re-read"
                    + " at every use (default: $PALISADE_TOKEN_FILE).")
    Path tokenFile;

    @Option(
            names = "--no-capture",
            negatable = false,
            description = "No transparent capture: only the explicit --inbound-for and --upstream listeners.")
    boolean noCapture;

    @Option(
            names = "--inbound-listen",
            paramLabel = "HOST:PORT",
            defaultValue = "0.0.0.0:${env:PALISADE_INBOUND_PORT:-15006}",
            description = "The captured inbound listener (default: 0.0.0.0:$PALISADE_INBOUND_PORT, else 15006).",
            converter = AddressConverter.class)
    InetSocketAddress inboundListen;

    @Option(
            names = "--outbound-listen",
            paramLabel = "HOST:PORT",
            defaultValue = "127.0.0.1:${env:PALISADE_OUTBOUND_PORT:-15001}",
            description = "The captured outbound listener (default: 127.0.0.1:$PALISADE_OUTBOUND_PORT, else 15001).",
            converter = AddressConverter.class)
    InetSocketAddress outboundListen;

    @Option(
            names = "--inbound-for",
            paramLabel = "APP_PORT=HOST:PORT",
            description = "An explicit inbound listener on HOST:PORT for app port APP_PORT (repeatable).",
            converter = ExplicitInboundConverter.class)
    List<ExplicitInbound> inboundFor = new ArrayList<>();

    @Option(
            names = "--upstream",
            paramLabel = "NAME=LOCAL_PORT:HOST:PORT[:EXPECTED_ID]",
            description = "An explicit outbound listener: the app connects to LOCAL_PORT, the sidecar opens mTLS to"
                    + " HOST:PORT (a peer sidecar's inbound listener) and checks its identity (repeatable).",
            converter = UpstreamConverter.class)
    List<ExplicitUpstream> upstreams = new ArrayList<>();

    @Option(
            names = "--upstream-bind",
            paramLabel = "HOST",
            defaultValue = "127.0.0.1",
            description = "Where the --upstream listeners bind (default: ${DEFAULT-VALUE}).")
    String upstreamBind;

    @Option(
            names = "--app-host",
            paramLabel = "HOST",
            defaultValue = "127.0.0.1",
            description = "The app's address for inbound requests (default: ${DEFAULT-VALUE}).")
    String appHost;

    @Option(
            names = "--admin",
            paramLabel = "HOST:PORT",
            defaultValue = "127.0.0.1:${env:PALISADE_ADMIN_PORT:-15000}",
            description = "Admin: /ready /live /metrics /config /certs, POST /quit (default: 127.0.0.1:15000).",
            converter = AddressConverter.class)
    InetSocketAddress admin;

    @Option(
            names = "--health",
            paramLabel = "HOST:PORT",
            defaultValue = "0.0.0.0:${env:PALISADE_HEALTH_PORT:-15021}",
            description = "Health for the kubelet: /ready /live (default: 0.0.0.0:15021).",
            converter = AddressConverter.class)
    InetSocketAddress health;

    @Option(
            names = "--quit-token-file",
            paramLabel = "FILE",
            description = "Enables POST /quit on the admin port for callers presenting this file's token.")
    @Nullable
    Path quitTokenFile;

    @Option(
            names = "--flow-log-dir",
            paramLabel = "DIR",
            defaultValue = "${env:PALISADE_DATA_DIR}",
            description = "Where the JSON-lines flow log is written (default: $PALISADE_DATA_DIR; none when unset).")
    @Nullable
    Path flowLogDir;

    @Option(
            names = "--outside-mesh",
            paramLabel = "allow|deny",
            defaultValue = "allow",
            description = "Captured traffic to destinations outside the mesh: pass as plain TCP, or refuse"
                    + " (default: ${DEFAULT-VALUE}).")
    String outsideMesh;

    @Option(
            names = "--drain-timeout",
            paramLabel = "DURATION",
            defaultValue = "20s",
            description = "On SIGTERM, how long in-flight requests may finish (default: ${DEFAULT-VALUE}).",
            converter = DurationConverter.class)
    Duration drainTimeout;

    @Option(
            names = "--startup-timeout",
            paramLabel = "DURATION",
            defaultValue = "120s",
            description = "Give up when no SVID and config arrived within this (default: ${DEFAULT-VALUE}).",
            converter = DurationConverter.class)
    Duration startupTimeout;

    @Option(
            names = "--tls-groups",
            paramLabel = "GROUP[,GROUP...]",
            defaultValue = "${env:PALISADE_TLS_GROUPS:-" + TlsOptions.DEFAULT_GROUPS_LINE + "}",
            description = "TLS key-exchange groups of the mesh's connections, most preferred first, of "
                    + TlsOptions.KNOWN_GROUPS_TEXT + "; every sidecar of a mesh must share one; the control plane's"
                    + " channel keeps the default (default: $PALISADE_TLS_GROUPS, else "
                    + TlsOptions.DEFAULT_GROUPS_LINE + ").",
            converter = TlsGroupsConverter.class)
    TlsGroups tlsGroups;

    @Option(
            names = "--max-header-bytes",
            paramLabel = "BYTES",
            description = "Largest request header block, HTTP/1.1 and HTTP/2 (default: 65536; 431 beyond).")
    @Nullable
    Integer maxHeaderBytes;

    @Option(
            names = "--max-header-count",
            paramLabel = "N",
            description = "Most request header fields (default: 100; 431 beyond).")
    @Nullable
    Integer maxHeaderCount;

    @Option(
            names = "--max-concurrent-streams",
            paramLabel = "N",
            description = "HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS (default: 100).")
    @Nullable
    Integer maxConcurrentStreams;

    @Option(
            names = "--header-read-timeout",
            paramLabel = "DURATION",
            description = "From connection (or the previous request) to complete request headers (default: 10s).",
            converter = DurationConverter.class)
    @Nullable
    Duration headerReadTimeout;

    @Option(
            names = "--idle-timeout",
            paramLabel = "DURATION",
            description = "Close connections idle this long (default: 5m).",
            converter = DurationConverter.class)
    @Nullable
    Duration idleTimeout;

    @Override
    public Integer call() throws Exception {
        CommandLine commandLine = requireNonNull(spec, "spec").commandLine();
        SidecarConfig config;
        try {
            config = config();
        } catch (BadLine e) {
            throw new ParameterException(commandLine, e.getMessage(), e.getCause());
        }
        return run(config, commandLine.getOut(), commandLine.getErr());
    }

    /**
     * Runs a command whose options {@link ProxyFastLine} set, without picocli: empty when the options do not make a
     * valid configuration (picocli then parses the line again and reports what is wrong, as for any other line).
     * Prints and exits as {@link #call} under picocli does; a failure is one line on stderr, exit code 1, as {@link
     * FailureHandler} reports it.
     */
    @SuppressForbidden(reason = "picocli's writers are the process's standard output and error; so are these")
    Optional<Integer> runWithoutPicocli() {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        try {
            SidecarConfig config;
            try {
                config = config();
            } catch (BadLine e) {
                return Optional.empty();
            }
            return Optional.of(run(config, out, err));
        } catch (Exception e) {
            return Optional.of(FailureHandler.report("palisade proxy", e, err));
        }
    }

    private int run(SidecarConfig config, PrintWriter out, PrintWriter err) throws Exception {
        FlowSink flowLog = FlowSink.NONE;
        AutoCloseable flowLogCloser = () -> {};
        Sidecar sidecar;
        try {
            sidecar = Sidecar.start(config, Clock.systemUTC(), flowLog, startupTimeout);
        } catch (TimeoutException | java.io.IOException e) {
            flowLogCloser.close();
            err.println("palisade proxy: " + e.getMessage());
            err.flush();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable drain = () -> {
            sidecar.drain(drainTimeout);
            try {
                flowLogCloser.close();
            } catch (Exception e) {
                // logged by the closer
            }
            stopped.countDown();
        };
        sidecar.onQuit(drain);
        Runtime.getRuntime().addShutdownHook(new Thread(drain, "palisade-shutdown"));
        out.printf(
                Locale.ROOT,
                "sidecar %s ready in %d ms: inbound %s, admin %s, health %s%n",
                config.id(),
                sidecar.startupTime() == null ? -1 : sidecar.startupTime().toMillis(),
                sidecar.inboundAddresses(),
                format(sidecar.adminAddress()),
                format(sidecar.healthAddress()));
        out.flush();
        stopped.await();
        return 0;
    }

    SidecarConfig config() {
        if (namespace == null || namespace.isBlank() || serviceAccount == null || serviceAccount.isBlank()) {
            throw new BadLine("the workload's identity needs --namespace and --service-account (or POD_NAMESPACE and"
                    + " SERVICE_ACCOUNT, which the injector sets)");
        }
        SpiffeId id;
        try {
            id = SpiffeId.parse("spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount);
        } catch (IllegalArgumentException e) {
            throw new BadLine("workload identity: " + e.getMessage(), e);
        }
        SpiffeId cpId = controlPlaneId != null
                ? controlPlaneId
                : SpiffeId.parse("spiffe://" + trustDomain + "/ns/palisade-system/sa/palisade-control-plane");
        for (Path file : new Path[] {caBundle, tokenFile}) {
            if (!Files.isReadable(file)) {
                throw new BadLine((file == caBundle ? "--ca-bundle" : "--token-file") + ": cannot read " + file);
            }
        }
        if (quitTokenFile != null && !Files.isReadable(quitTokenFile)) {
            throw new BadLine("--quit-token-file: cannot read " + quitTokenFile);
        }
        if (noCapture && inboundFor.isEmpty() && upstreams.isEmpty()) {
            throw new BadLine("--no-capture needs at least one --inbound-for or --upstream listener");
        }
        OutsideMeshPolicy outside =
                switch (outsideMesh.toLowerCase(Locale.ROOT)) {
                    case "allow" -> OutsideMeshPolicy.ALLOW;
                    case "deny" -> OutsideMeshPolicy.DENY;
                    default -> throw new BadLine("--outside-mesh: '" + outsideMesh + "' (expected allow or deny)");
                };
        InboundLimits d = InboundLimits.defaults();
        InboundLimits limits;
        try {
            limits = new InboundLimits(
                    d.maxRequestLineBytes(),
                    maxHeaderBytes == null ? d.maxHeaderBytes() : maxHeaderBytes,
                    maxHeaderCount == null ? d.maxHeaderCount() : maxHeaderCount,
                    maxConcurrentStreams == null ? d.maxConcurrentStreams() : maxConcurrentStreams,
                    d.maxResetStreamsPerWindow(),
                    d.resetWindow(),
                    d.tlsHandshakeTimeout(),
                    headerReadTimeout == null ? d.headerReadTimeout() : headerReadTimeout,
                    idleTimeout == null ? d.idleTimeout() : idleTimeout,
                    d.maxClientHelloBytes(),
                    d.connectTimeout());
        } catch (IllegalArgumentException e) {
            throw new BadLine("limits: " + e.getMessage(), e);
        }
        try {
            return new SidecarConfig(
                    id,
                    controlPlane,
                    cpId,
                    caBundle,
                    tokenFile,
                    noCapture ? null : inboundListen,
                    inboundFor,
                    noCapture ? null : outboundListen,
                    upstreams,
                    InetAddress.getByName(upstreamBind),
                    InetAddress.getByName(appHost),
                    admin,
                    health,
                    quitTokenFile,
                    flowLogDir,
                    outside,
                    limits,
                    TlsOptions.defaults().withGroups(tlsGroups.names()),
                    drainTimeout);
        } catch (UnknownHostException e) {
            throw new BadLine("unknown host: " + e.getMessage(), e);
        }
    }

    /** A command line whose values do not make a configuration; becomes picocli's usage error. */
    static final class BadLine extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadLine(String message) {
            super(message);
        }

        BadLine(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static String format(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    /** {@code APP_PORT=HOST:PORT}. */
    static final class ExplicitInboundConverter implements ITypeConverter<ExplicitInbound> {
        @Override
        public ExplicitInbound convert(String value) {
            try {
                return ExplicitInbound.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(String.valueOf(e.getMessage()));
            }
        }
    }

    /**
     * The key-exchange groups of {@code --tls-groups}, in preference order. A record around the list because a {@code
     * List} field would be a repeatable option to picocli and to {@link ProxyFastLine}.
     */
    record TlsGroups(List<String> names) {
        TlsGroups {
            names = List.copyOf(names);
        }
    }

    /** {@code GROUP[,GROUP...]}, each one of {@link TlsOptions#KNOWN_GROUPS}. */
    static final class TlsGroupsConverter implements ITypeConverter<TlsGroups> {
        @Override
        public TlsGroups convert(String value) {
            try {
                return new TlsGroups(TlsOptions.parseGroups(value));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(String.valueOf(e.getMessage()));
            }
        }
    }

    /** {@code NAME=LOCAL_PORT:HOST:PORT[:EXPECTED_ID]}. */
    static final class UpstreamConverter implements ITypeConverter<ExplicitUpstream> {
        @Override
        public ExplicitUpstream convert(String value) {
            try {
                return ExplicitUpstream.parse(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(String.valueOf(e.getMessage()));
            }
        }
    }
}
