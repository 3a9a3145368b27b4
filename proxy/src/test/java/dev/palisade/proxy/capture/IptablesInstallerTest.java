package dev.palisade.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The installer's logic against {@link FakeIptables}; TransparentCaptureIT runs it against the kernel. */
class IptablesInstallerTest {

    private final FakeIptables iptables = new FakeIptables();

    private IptablesInstaller installer(CaptureConfig config) {
        return new IptablesInstaller(IptablesRules.of(config), iptables);
    }

    @Test
    void installCreatesOurChainsTheirRulesAndTheJumps() throws Exception {
        List<String> done = installer(CaptureConfig.defaults()).install();

        assertThat(done)
                .startsWith(
                        "iptables -w 5 -t nat -N PALISADE_INBOUND",
                        "iptables -w 5 -t nat -N PALISADE_IN_REDIRECT",
                        "iptables -w 5 -t nat -N PALISADE_OUTPUT",
                        "iptables -w 5 -t nat -N PALISADE_REDIRECT",
                        "iptables -w 5 -t nat -A PALISADE_INBOUND -p tcp --dport 15000 -j RETURN")
                .contains(
                        "iptables -w 5 -t nat -A PREROUTING -p tcp -j PALISADE_INBOUND",
                        "ip6tables -w 5 -t nat -A OUTPUT -p tcp -j PALISADE_OUTPUT")
                .hasSize(2 * (4 + 10 + 2));
        assertThat(iptables.save("iptables"))
                .contains("-N PALISADE_REDIRECT\n")
                .contains("-A PREROUTING -p tcp -j PALISADE_INBOUND\n")
                .contains("-A PALISADE_OUTPUT -d 127.0.0.0/8 -j RETURN\n");
        assertThat(iptables.save("ip6tables")).contains("-A PALISADE_OUTPUT -d ::1/128 -j RETURN\n");
    }

    @Test
    void installingTwiceChangesNothing() throws Exception {
        IptablesInstaller installer = installer(CaptureConfig.defaults());
        installer.install();
        String v4 = iptables.save("iptables");
        String v6 = iptables.save("ip6tables");

        List<String> again = installer.install();

        assertThat(iptables.save("iptables")).isEqualTo(v4);
        assertThat(iptables.save("ip6tables")).isEqualTo(v6);
        assertThat(again).contains("iptables -w 5 -t nat -F PALISADE_INBOUND").noneMatch(c -> c.contains("-N "));
        assertThat(again).noneMatch(c -> c.contains("-A PREROUTING") || c.contains("-A OUTPUT"));
    }

    @Test
    void reinstallingWithAnotherConfigReplacesTheRulesInOurChains() throws Exception {
        installer(CaptureConfig.defaults()).install();
        installer(CaptureConfig.builder()
                        .outboundPort(16001)
                        .excludeOutboundPorts("5432")
                        .build())
                .install();

        assertThat(iptables.save("iptables"))
                .contains("-A PALISADE_REDIRECT -p tcp -j REDIRECT --to-ports 16001\n")
                .doesNotContain("--to-ports 15001")
                .contains("-A PALISADE_OUTPUT -p tcp --dport 5432 -j RETURN\n");
    }

    @Test
    void cleanupRemovesExactlyOurRules() throws Exception {
        // Someone else's chain and jumps, which must survive.
        iptables.run(List.of("iptables", "-t", "nat", "-N", "KUBE_SOMETHING"));
        iptables.run(List.of("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "udp", "-j", "KUBE_SOMETHING"));
        iptables.run(List.of("iptables", "-t", "nat", "-A", "KUBE_SOMETHING", "-j", "RETURN"));
        String before = iptables.save("iptables");
        String before6 = iptables.save("ip6tables");
        IptablesInstaller installer = installer(CaptureConfig.defaults());
        installer.install();

        List<String> done = installer.cleanup();

        assertThat(iptables.save("iptables")).isEqualTo(before);
        assertThat(iptables.save("ip6tables")).isEqualTo(before6);
        assertThat(done)
                .containsExactly(
                        "iptables -w 5 -t nat -D PREROUTING -p tcp -j PALISADE_INBOUND",
                        "iptables -w 5 -t nat -D OUTPUT -p tcp -j PALISADE_OUTPUT",
                        "iptables -w 5 -t nat -F PALISADE_INBOUND",
                        "iptables -w 5 -t nat -F PALISADE_IN_REDIRECT",
                        "iptables -w 5 -t nat -F PALISADE_OUTPUT",
                        "iptables -w 5 -t nat -F PALISADE_REDIRECT",
                        "iptables -w 5 -t nat -X PALISADE_INBOUND",
                        "iptables -w 5 -t nat -X PALISADE_IN_REDIRECT",
                        "iptables -w 5 -t nat -X PALISADE_OUTPUT",
                        "iptables -w 5 -t nat -X PALISADE_REDIRECT",
                        "ip6tables -w 5 -t nat -D PREROUTING -p tcp -j PALISADE_INBOUND",
                        "ip6tables -w 5 -t nat -D OUTPUT -p tcp -j PALISADE_OUTPUT",
                        "ip6tables -w 5 -t nat -F PALISADE_INBOUND",
                        "ip6tables -w 5 -t nat -F PALISADE_IN_REDIRECT",
                        "ip6tables -w 5 -t nat -F PALISADE_OUTPUT",
                        "ip6tables -w 5 -t nat -F PALISADE_REDIRECT",
                        "ip6tables -w 5 -t nat -X PALISADE_INBOUND",
                        "ip6tables -w 5 -t nat -X PALISADE_IN_REDIRECT",
                        "ip6tables -w 5 -t nat -X PALISADE_OUTPUT",
                        "ip6tables -w 5 -t nat -X PALISADE_REDIRECT");
    }

    @Test
    void cleanupOfCleanTablesDoesNothing() throws Exception {
        assertThat(installer(CaptureConfig.defaults()).cleanup()).isEmpty();
        assertThat(iptables.log()).allMatch(c -> c.endsWith("-t nat -S"));
    }

    @Test
    void cleanupRemovesEveryCopyOfAJumpAndHalfInstalledChains() throws Exception {
        IptablesInstaller installer = installer(CaptureConfig.defaults());
        installer.install();
        iptables.run(List.of("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-j", "PALISADE_OUTPUT"));
        iptables.run(List.of("ip6tables", "-t", "nat", "-D", "PREROUTING", "-p", "tcp", "-j", "PALISADE_INBOUND"));
        iptables.run(List.of("ip6tables", "-t", "nat", "-F", "PALISADE_INBOUND"));
        iptables.run(List.of("ip6tables", "-t", "nat", "-X", "PALISADE_INBOUND"));

        installer.cleanup();

        assertThat(iptables.save("iptables")).doesNotContain("PALISADE");
        assertThat(iptables.save("ip6tables")).doesNotContain("PALISADE");
    }

    @Test
    void aFailureNamesTheCommandAndCarriesStderr() {
        iptables.failOn("ip6tables -w 5 -t nat -N PALISADE_INBOUND", 3, "can't initialize ip6tables table `nat'\n");

        assertThatThrownBy(() -> installer(CaptureConfig.defaults()).install())
                .isInstanceOf(IptablesException.class)
                .hasMessage(
                        "ip6tables -w 5 -t nat -N PALISADE_INBOUND: exit 3: can't initialize ip6tables table `nat'");
    }

    @Test
    void aFailedCheckIsAnErrorNotAnAbsentRule() {
        iptables.failOn("-C OUTPUT", 4, "iptables: Resource temporarily unavailable.");

        assertThatThrownBy(() -> installer(CaptureConfig.defaults()).install())
                .hasMessage("iptables -w 5 -t nat -C OUTPUT -p tcp -j PALISADE_OUTPUT: exit 4: iptables: Resource"
                        + " temporarily unavailable.");
    }

    @Test
    void ipv6OffLeavesIp6tablesAlone() throws Exception {
        installer(CaptureConfig.builder().ipv6(false).build()).install();

        assertThat(iptables.log()).isNotEmpty().allMatch(c -> c.startsWith("iptables "));
    }

    @Test
    void dryRunPlansRunNothing() {
        IptablesInstaller installer = installer(CaptureConfig.defaults());

        assertThat(installer.installPlan())
                .startsWith(
                        "# iptables (IPV4): our chains are created or flushed and refilled; the jump rules are added"
                                + " when absent",
                        "*nat")
                .contains("# ip6tables (IPV6): our chains are created or flushed and refilled; the jump rules are"
                        + " added when absent")
                .endsWith("-A OUTPUT -p tcp -j PALISADE_OUTPUT", "COMMIT");
        assertThat(installer.cleanupPlan())
                .startsWith(
                        "# iptables (IPV4): each command only for what is present",
                        "iptables -w 5 -t nat -D PREROUTING -p tcp -j PALISADE_INBOUND")
                .endsWith("ip6tables -w 5 -t nat -X PALISADE_REDIRECT")
                .hasSize(2 * 11);
        assertThat(iptables.log()).isEmpty();
    }

    @Test
    void processesRunBehindThePrefixWithStdoutStderrAndExitCode() throws Exception {
        ProcessCommandRunner runner = new ProcessCommandRunner(List.of("sh", "-c"), Duration.ofSeconds(10));

        CommandResult result = runner.run(List.of("echo out; echo err >&2; exit 3"));

        assertThat(result).isEqualTo(new CommandResult(3, "out\n", "err\n"));
        assertThat(runner.display(List.of("true"))).isEqualTo("sh -c true");
    }

    @Test
    void aHungProcessIsKilledAtTheDeadline() {
        ProcessCommandRunner runner = new ProcessCommandRunner(List.of(), Duration.ofMillis(300));

        assertThatThrownBy(() -> runner.run(List.of("sleep", "30")))
                .isInstanceOf(IptablesException.class)
                .hasMessageStartingWith("sleep 30: timed out after 300 ms");
    }

    @Test
    void aMissingBinaryIsNamed() {
        ProcessCommandRunner runner = new ProcessCommandRunner(List.of(), Duration.ofSeconds(1));

        assertThatThrownBy(() -> runner.run(List.of("/nonexistent/iptables", "-S")))
                .isInstanceOf(IptablesException.class)
                .hasMessageStartingWith("/nonexistent/iptables -S: cannot run: ");
    }
}
