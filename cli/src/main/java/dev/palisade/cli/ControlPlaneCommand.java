package dev.palisade.cli;

import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.ControlPlane;
import dev.palisade.controlplane.config.DefaultAction;
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
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
 * port first, then the policy watcher, then gRPC with a 5 s grace).
 */
@Command(
        name = "control-plane",
        description = {
            "Run the control plane: identity (CSR signing) and xDS on one gRPC/TLS port, admin on another.",
            "Local mode: DIR/ca (made on first start), DIR/tokens (bootstrap tokens), DIR/policies (watched)."
        })
final class ControlPlaneCommand implements Callable<Integer> {

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

    @Option(names = "--policies", paramLabel = "DIR", description = "Policy directory (default: DIR/policies).")
    private @Nullable Path policies;

    @Option(
            names = "--grpc-listen",
            paramLabel = "HOST:PORT",
            defaultValue = "127.0.0.1:15012",
            description = "Identity + xDS address (default: ${DEFAULT-VALUE}).",
            converter = AddressConverter.class)
    private InetSocketAddress grpcListen;

    @Option(
            names = "--admin-listen",
            paramLabel = "HOST:PORT",
            defaultValue = "127.0.0.1:15014",
            description = "Admin address: /ready, /live, /metrics, /config (default: ${DEFAULT-VALUE}).",
            converter = AddressConverter.class)
    private InetSocketAddress adminListen;

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
        PrintWriter err = spec.commandLine().getErr();
        MeshConfig mesh = new MeshConfig(trustDomain, parseAction(), parseMtls());
        if (mode.kubernetes) {
            err.println("palisade control-plane: --kubernetes is not available in this build yet; use --local DIR");
            err.flush();
            return 2;
        }
        Path dir = Objects.requireNonNull(mode.local, "local");
        LocalConfig config = LocalConfig.defaults(dir, mesh).withAddresses(grpcListen, adminListen);
        if (policies != null) {
            config = config.withPolicies(policies);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try (ControlPlane cp = ControlPlane.startLocal(config, Clock.systemUTC())) {
            Thread hook = new Thread(
                    () -> {
                        cp.close();
                        stopped.countDown();
                    },
                    "palisade-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            PrintWriter out = spec.commandLine().getOut();
            out.printf(
                    Locale.ROOT,
                    "control plane %s: gRPC %s:%d, admin %s:%d%n",
                    cp.selfId(),
                    grpcListen.getHostString(),
                    cp.grpcPort(),
                    cp.adminAddress().getHostString(),
                    cp.adminAddress().getPort());
            out.flush();
            stopped.await();
        }
        return 0;
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
