package dev.palisade.cli;

import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code palisade} command: the root of the command tree and the main class of {@code palisade.jar}.
 *
 * <p>Subcommands are registered here, one per concern; each prints through {@code spec.commandLine().getOut()} and
 * {@code getErr()} so that tests can run the whole tree in-process with {@link #newCommandLine()}. The standard help
 * options and the exit-code list are inherited by every subcommand. Exit codes: 0 success, 1 the command failed, 2
 * invalid usage (picocli's defaults, reported by {@link UsageErrorHandler} and {@link FailureHandler}).
 */
@Command(
        name = "palisade",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Palisade.VersionProvider.class,
        description =
                "A security sidecar mesh for Kubernetes: SPIFFE mTLS, L7 authorization, tamper-evident flow logs.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:the command failed",
            "2:invalid usage (unknown flag, bad value, missing command)"
        })
public final class Palisade implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    /** The subcommands, in the order the usage lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            VersionCommand.class,
            ControlPlaneCommand.class,
            CertsCommand.class,
            AuthzCommand.class,
            InjectCommand.class,
            WebhookCommand.class,
            ProxyCommand.class,
            FlowsCommand.class,
            DemoCommand.class,
            DemoAppCommand.class,
            DemoCallCommand.class,
            InitIptablesCommand.class,
            WaitReadyCommand.class,
            HelpCommand.class);

    static final String NETTY_JFR = "io.netty.jfr.enabled";

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        defaultSystemProperties();
        if (args.length > 0 && args[0].equals("proxy")) {
            // Logging starts here, before the warm-up thread logs: SLF4J otherwise warns on stderr that it replays the
            // calls two threads made while it was starting.
            LoggerFactory.getILoggerFactory();
            warmUpTls();
            // The sidecar's start reads its plain command line without picocli (ProxyFastLine); every other line,
            // and one that turns out not to make a configuration, goes to picocli below, which reports it.
            Optional<Integer> exit = ProxyFastLine.parse(args, System::getenv).flatMap(ProxyCommand::runWithoutPicocli);
            if (exit.isPresent()) {
                System.exit(exit.get());
            }
        }
        System.exit(forArguments(args).execute(args));
    }

    /**
     * System properties whose library defaults Palisade changes, each only where the command line did not set it.
     * Must run before the first Netty class is initialised.
     *
     * <ul>
     *   <li>{@code io.netty.jfr.enabled=false}: Netty's own JFR events (its buffer allocator's), which no Palisade
     *       command records. Registering them loads about 200 classes into every process (the event classes, the JDK's
     *       JFR metadata and reflection accessors) and puts an is-enabled check on each buffer allocation.
     *       {@code -Dio.netty.jfr.enabled=true} brings them back; JFR recordings of the JVM's own events work either
     *       way.
     * </ul>
     */
    static void defaultSystemProperties() {
        if (System.getProperty(NETTY_JFR) == null) {
            System.setProperty(NETTY_JFR, "false");
        }
    }

    /**
     * Starts loading BoringSSL on a daemon thread, so that it overlaps the sidecar's command line parsing and set-up
     * instead of delaying its first TLS context (perf/README.md, "Time to ready"). A failure here only loses the head
     * start: the first context loads it again and reports what is wrong.
     */
    private static void warmUpTls() {
        Thread warmUp = new Thread(
                () -> {
                    try {
                        SpiffeSslContexts.warmUp(TlsOptions.defaults());
                    } catch (SSLException | RuntimeException | LinkageError e) {
                        // the sidecar's own first context reports it
                    }
                },
                "palisade-tls-warmup");
        warmUp.setDaemon(true);
        warmUp.start();
    }

    /**
     * A fresh command tree with Palisade's error reporting; callers may replace its writers with {@link
     * CommandLine#setOut} and {@link CommandLine#setErr} before {@link CommandLine#execute}.
     */
    public static CommandLine newCommandLine() {
        return newCommandLine(SUBCOMMANDS);
    }

    /**
     * The tree that {@code args} need: for {@code palisade proxy …}, the sidecar's start, the root with that one
     * subcommand, which parses and runs it the same way; for anything else the whole tree. Picocli builds every
     * subcommand's model by reflection up front, and the whole tree (with the classes behind it) cost the sidecar
     * about 1.5 s of its time to ready on a 2-core machine (perf/README.md).
     */
    static CommandLine forArguments(String[] args) {
        if (args.length > 0 && args[0].equals("proxy")) {
            return newCommandLine(List.of(ProxyCommand.class));
        }
        return newCommandLine();
    }

    private static CommandLine newCommandLine(List<Class<?>> subcommands) {
        CommandLine root = new CommandLine(new Palisade());
        for (Class<?> subcommand : subcommands) {
            root.addSubcommand(subcommand);
        }
        // After the subcommands: the handlers are set on the tree as it is at this call.
        return root.setParameterExceptionHandler(new UsageErrorHandler())
                .setExecutionExceptionHandler(new FailureHandler());
    }

    /** {@code palisade} without a command: the usage, and exit code 2. */
    @Override
    public Integer call() {
        return MissingCommand.report(spec);
    }

    /** {@code palisade --version}: the stamped version and commit. */
    static final class VersionProvider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"palisade " + BuildInfo.load().describe()};
        }
    }
}
