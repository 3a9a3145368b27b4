package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class PalisadeCommandTest {

    private static final String VERSION =
            System.getProperty("palisade.expectedVersion", BuildInfo.load().version());

    private final CommandRunner cli = new CommandRunner();

    @Test
    void nettysJfrProbeDefaultsToOffButAnExplicitSettingWins() {
        String before = System.getProperty(Palisade.NETTY_JFR);
        try {
            System.clearProperty(Palisade.NETTY_JFR);
            Palisade.defaultSystemProperties();
            assertThat(System.getProperty(Palisade.NETTY_JFR)).isEqualTo("false");

            System.setProperty(Palisade.NETTY_JFR, "true");
            Palisade.defaultSystemProperties();
            assertThat(System.getProperty(Palisade.NETTY_JFR)).isEqualTo("true");
        } finally {
            if (before == null) {
                System.clearProperty(Palisade.NETTY_JFR);
            } else {
                System.setProperty(Palisade.NETTY_JFR, before);
            }
        }
    }

    @Test
    void helpListsTheVersionAndCertsCommands() {
        assertThat(cli.run("--help")).isZero();

        assertThat(cli.out())
                .startsWith("Usage: palisade ")
                .containsPattern("(?m)^\\s+version\\s+Print the version")
                .containsPattern("(?m)^\\s+certs\\s+Workload identity")
                .contains("Exit codes:");
        assertThat(cli.err()).isEmpty();
    }

    @Test
    void versionPrintsTheProjectVersionTheRuntimeAndTheNativeLibraries() {
        assertThat(cli.run("version")).isZero();

        assertThat(cli.out())
                .startsWith("palisade " + VERSION)
                .contains("java       " + System.getProperty("java.version"))
                .containsPattern("(?m)^  epoll +(available|unavailable)")
                .containsPattern("(?m)^  boringssl +(available|unavailable)");
        assertThat(cli.err()).isEmpty();
    }

    @Test
    void versionFlagPrintsTheStampedVersionAndCommit() {
        assertThat(cli.run("--version")).isZero();

        assertThat(cli.out().strip()).isEqualTo("palisade " + BuildInfo.load().describe());
        assertThat(cli.out()).startsWith("palisade " + VERSION);
    }

    @ParameterizedTest
    @CsvSource({
        "'--bogus', palisade",
        "'version --bogus', palisade version",
        "'certs --bogus', palisade certs",
    })
    void unknownFlagExitsWithTwoAndNamesTheFlag(String args, String command) {
        assertThat(cli.run(args.split(" "))).isEqualTo(2);

        assertThat(cli.err())
                .startsWith(command + ": Unknown option: '--bogus'")
                .contains("Try '" + command + " --help' for more information.");
        assertThat(cli.out()).isEmpty();
    }

    @Test
    void mistypedCommandExitsWithTwoAndSuggestsTheRealOne() {
        assertThat(cli.run("verison")).isEqualTo(2);

        assertThat(cli.err()).contains("'verison'").contains("Did you mean: palisade version");
    }

    @Test
    void runWithoutACommandPrintsTheUsageAndExitsWithTwo() {
        assertThat(cli.run()).isEqualTo(2);

        assertThat(cli.err()).startsWith("palisade: missing command").contains("Usage: palisade ");
        assertThat(cli.out()).isEmpty();
    }

    @Test
    void certsWithoutASubcommandPrintsItsUsageAndExitsWithTwo() {
        assertThat(cli.run("certs")).isEqualTo(2);

        assertThat(cli.err()).startsWith("palisade certs: missing command").contains("Usage: palisade certs ");
    }

    @Test
    void subcommandsInheritTheHelpOption() {
        assertThat(cli.run("certs", "--help")).isZero();

        assertThat(cli.out()).startsWith("Usage: palisade certs ").contains("-h, --help");
    }

    @Test
    void theSidecarsTreeHasOnlyTheProxyCommandOtherCommandsTheWholeTree() {
        assertThat(Palisade.forArguments(new String[] {"proxy", "--help"}).getSubcommands())
                .containsOnlyKeys("proxy");
        assertThat(Palisade.forArguments(new String[] {"version"}).getSubcommands())
                .containsKeys("version", "proxy", "certs", "help")
                .hasSize(Palisade.SUBCOMMANDS.size());
        assertThat(Palisade.forArguments(new String[] {}).getSubcommands()).hasSize(Palisade.SUBCOMMANDS.size());
    }

    @ParameterizedTest
    @CsvSource({
        "'proxy --help'",
        "'proxy --bogus'",
        "'proxy --namespace'",
        "'proxy --version'",
    })
    void theSidecarsTreeAnswersAsTheWholeTreeDoes(String args) {
        int whole = cli.run(args.split(" "));
        String wholeOut = cli.out();
        String wholeErr = cli.err();
        StringWriter sidecarOut = new StringWriter();
        StringWriter sidecarErr = new StringWriter();
        CommandLine sidecar = Palisade.forArguments(args.split(" "));
        sidecar.setOut(new PrintWriter(sidecarOut, true));
        sidecar.setErr(new PrintWriter(sidecarErr, true));

        assertThat(sidecar.execute(args.split(" "))).isEqualTo(whole);

        assertThat(sidecarOut.toString()).isEqualTo(wholeOut);
        assertThat(sidecarErr.toString()).isEqualTo(wholeErr);
        assertThat(wholeOut + wholeErr).contains("palisade");
    }

    @Test
    void failingCommandPrintsOneLineAndExitsWithOne() {
        CommandLine commandLine = new CommandLine(new Failing()).setExecutionExceptionHandler(new FailureHandler());
        StringWriter err = new StringWriter();
        commandLine.setErr(new PrintWriter(err, true));

        assertThat(commandLine.execute()).isEqualTo(1);

        assertThat(err.toString())
                .isEqualTo("failing: NoSuchFileException: /tmp/missing/svid.crt" + System.lineSeparator());
    }

    @Command(name = "failing")
    static final class Failing implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            throw new NoSuchFileException("/tmp/missing/svid.crt");
        }
    }
}
