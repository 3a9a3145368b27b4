package dev.palisade.cli;

import dev.palisade.cli.demo.DemoException;
import dev.palisade.cli.demo.DemoRun;
import dev.palisade.cli.demo.NetnsTopology;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade demo}: a whole mesh on this machine — a local control plane and three workloads (frontend, orders,
 * payments), each an app and a sidecar in processes of their own — and a scripted scenario that shows identity,
 * enforcement and the audit trail. Exit code 0 when every check of the scenario passed, 1 otherwise.
 */
@Command(
        name = "demo",
        description = {
            "Run a local mesh (control plane + frontend, orders, payments with their sidecars, each its own process)"
                    + " and a scripted scenario: allowed and denied calls, a certificate rotation and a policy edit"
                    + " with traffic flowing.",
            "Ctrl-C tears everything down; --keep leaves the mesh running."
        })
final class DemoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--keep", description = "Leave the mesh running at the end (prints its ports and how to stop it).")
    private boolean keep;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Where the run keeps its CA, policies, logs and flow logs (default: a new temporary"
                    + " directory).")
    private @Nullable Path dir;

    @Option(
            names = "--report",
            paramLabel = "FILE",
            description = "Also write the outcome of every check as JSON (what the end-to-end test reads).")
    private @Nullable Path reportFile;

    @Option(
            names = "--step-timeout",
            paramLabel = "DURATION",
            defaultValue = "60s",
            description = "The longest any step may take (default: ${DEFAULT-VALUE}).",
            converter = DurationConverter.class)
    private Duration stepTimeout;

    @Option(
            names = "--certificate-ttl",
            paramLabel = "DURATION",
            defaultValue = "1m",
            description = "Workload certificate lifetime, short so that the demo sees rotations (default:"
                    + " ${DEFAULT-VALUE}).",
            converter = DurationConverter.class)
    private Duration certificateTtl;

    @Option(
            names = "--mode",
            paramLabel = "auto|netns|loopback",
            defaultValue = "auto",
            description = "Where the workloads run: netns (a network namespace each, with transparent capture; needs"
                    + " root, ip, iptables, setpriv and epoll), loopback (explicit listeners on 127.0.0.0/8), or auto"
                    + " (netns when the machine allows, else loopback; default).")
    private String mode;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DemoRun.Mode chosen;
        java.util.Optional<String> unavailable = NetnsTopology.unavailable();
        switch (mode.toLowerCase(java.util.Locale.ROOT)) {
            case "loopback" -> {
                chosen = DemoRun.Mode.LOOPBACK;
                out.println("palisade demo: mode loopback (--mode loopback)");
            }
            case "netns" -> {
                if (unavailable.isPresent()) {
                    err.println("palisade demo: --mode netns: " + unavailable.get()
                            + "; run as root with iproute2, iptables and setpriv installed, or use --mode loopback");
                    err.flush();
                    return 1;
                }
                chosen = DemoRun.Mode.NETNS;
                out.println("palisade demo: mode netns (--mode netns)");
            }
            case "auto" -> {
                chosen = unavailable.isPresent() ? DemoRun.Mode.LOOPBACK : DemoRun.Mode.NETNS;
                out.println("palisade demo: mode " + chosen.name().toLowerCase(java.util.Locale.ROOT) + " ("
                        + unavailable
                                .map(why -> "network namespaces need root, ip, iptables, setpriv and epoll: " + why)
                                .orElse("running as root with ip, iptables, setpriv and epoll")
                        + ")");
            }
            default ->
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--mode: '" + mode + "' (expected auto, netns or loopback)");
        }
        Path runDir = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("palisade-demo-");
        out.println("palisade demo: working directory " + runDir);
        out.flush();
        DemoRun run = new DemoRun(
                runDir,
                out,
                stepTimeout,
                List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss512k", "-Xmx128m"),
                chosen);
        Thread teardown = new Thread(run::close, "palisade-demo-teardown");
        Runtime.getRuntime().addShutdownHook(teardown);
        boolean kept = false;
        try {
            run.start(certificateTtl);
            run.scenario();
            run.auditTrail();
            run.printExplore(out, keep);
            if (keep) {
                run.detach();
                kept = true;
            }
            return run.ok() ? 0 : 1;
        } catch (DemoException e) {
            err.println("palisade demo: " + e.getMessage());
            err.flush();
            return 1;
        } finally {
            if (reportFile != null) {
                run.writeReport(reportFile);
            }
            if (!kept) {
                run.close();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(teardown);
            } catch (IllegalStateException e) {
                // shutting down already: the hook runs
            }
        }
    }
}
