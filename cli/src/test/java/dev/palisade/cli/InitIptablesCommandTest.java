package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code palisade init-iptables} in-process. Only dry runs and refused flags here, which run no iptables command:
 * a test never edits the host's tables. Installing for real is proxy's TransparentCaptureIT, in namespaces of its own.
 */
class InitIptablesCommandTest {

    private final CommandRunner cli = new CommandRunner("init-iptables");

    @Test
    void dryRunPrintsTheRulesOfBothFamilies() {
        assertThat(cli.run("--dry-run")).isZero();

        assertThat(cli.out().lines())
                .startsWith(
                        "# iptables (IPV4): our chains are created or flushed and refilled; the jump rules are added"
                                + " when absent",
                        "*nat",
                        ":PALISADE_INBOUND - [0:0]")
                .contains(
                        "-A PALISADE_INBOUND -p tcp --dport 15021 -j RETURN",
                        "-A PALISADE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006",
                        "-A PALISADE_OUTPUT -m owner --uid-owner 1337 -j RETURN",
                        "-A PALISADE_REDIRECT -p tcp -j REDIRECT --to-ports 15001",
                        "-A PALISADE_OUTPUT -d ::1/128 -j RETURN",
                        "-A OUTPUT -p tcp -j PALISADE_OUTPUT")
                .endsWith("COMMIT");
        assertThat(cli.err()).isEmpty();
    }

    @Test
    void dryRunHonoursEveryFlag() {
        assertThat(cli.run(
                        "--dry-run",
                        "--proxy-uid",
                        "2000",
                        "--inbound-port",
                        "16006",
                        "--outbound-port",
                        "16001",
                        "--exclude-inbound-ports",
                        "22,9090",
                        "--exclude-outbound-ports",
                        "5432",
                        "--no-ipv6"))
                .isZero();

        assertThat(cli.out().lines())
                .contains(
                        "-A PALISADE_INBOUND -p tcp --dport 22 -j RETURN",
                        "-A PALISADE_INBOUND -p tcp --dport 9090 -j RETURN",
                        "-A PALISADE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 16006",
                        "-A PALISADE_OUTPUT -p tcp --dport 5432 -j RETURN",
                        "-A PALISADE_OUTPUT -m owner --uid-owner 2000 -j RETURN",
                        "-A PALISADE_REDIRECT -p tcp -j REDIRECT --to-ports 16001")
                .noneMatch(line -> line.contains("ip6tables") || line.contains("::1"));
    }

    @Test
    void dryRunCleanupPrintsTheCommandsInsideTheNamespace() {
        assertThat(cli.run("--dry-run", "--cleanup", "--netns", "pod-ns")).isZero();

        assertThat(cli.out().lines())
                .contains(
                        "ip netns exec pod-ns iptables -w 5 -t nat -D PREROUTING -p tcp -j PALISADE_INBOUND",
                        "ip netns exec pod-ns ip6tables -w 5 -t nat -X PALISADE_REDIRECT")
                .hasSize(22);
    }

    @Test
    void acceptsTheArgumentsTheInjectorGivesTheInitContainer() {
        // injector ProxyContainers: admin, health and the app's probe ports are in the excluded list already.
        assertThat(cli.run(
                        "--dry-run",
                        "--proxy-uid",
                        "1337",
                        "--inbound-port",
                        "15006",
                        "--outbound-port",
                        "15001",
                        "--exclude-inbound-ports",
                        "7000,8080,15000,15021",
                        "--exclude-outbound-ports",
                        "5432,6379"))
                .as(cli.err())
                .isZero();

        assertThat(cli.out().lines())
                .as("once per family")
                .filteredOn(line -> line.equals("-A PALISADE_INBOUND -p tcp --dport 15021 -j RETURN"))
                .hasSize(2);
        assertThat(cli.out()).contains("-A PALISADE_INBOUND -p tcp --dport 7000 -j RETURN");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "--inbound-port 0 | --inbound-port: 0 (expected: 1..65535)",
                "--outbound-port 70000 | --outbound-port: 70000 (expected: 1..65535)",
                "--inbound-port abc | '--inbound-port'",
                "--inbound-port 15001 | --inbound-port and --outbound-port: both 15001",
                "--exclude-inbound-ports 80,http | --exclude-inbound-ports: 'http' is not a port number",
                "--exclude-outbound-ports 53,53 | --exclude-outbound-ports: 53 is listed twice",
                "--proxy-uid 0 | --proxy-uid: 0",
            })
    void refusesBadFlagsBeforeRunningAnything(String args, String message) {
        List<String> all = new ArrayList<>(List.of(args.split(" ")));
        all.add("--netns");
        all.add("must-not-be-used");

        assertThat(cli.run(all.toArray(new String[0]))).isEqualTo(2);

        assertThat(cli.err()).startsWith("palisade init-iptables: ").contains(message);
        assertThat(cli.out()).isEmpty();
    }

    @Test
    void aFailingCommandIsNamedWithExitCodeOne() {
        // ip netns exec refuses a namespace that does not exist before any iptables runs: nothing is touched.
        assertThat(cli.run("--netns", "palisade-test-no-such-namespace")).isEqualTo(1);

        assertThat(cli.err())
                .startsWith("palisade init-iptables: ip netns exec palisade-test-no-such-namespace iptables -w 5 -t"
                        + " nat -S: ");
    }

    @Test
    void isListedInTheHelp() {
        CommandRunner palisade = new CommandRunner();

        assertThat(palisade.run("--help")).isZero();
        assertThat(palisade.out()).containsPattern("(?m)^\\s+init-iptables\\s+Install the iptables NAT rules");
    }
}
