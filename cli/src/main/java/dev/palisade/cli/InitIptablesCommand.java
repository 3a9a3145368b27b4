package dev.palisade.cli;

import dev.palisade.proxy.capture.CaptureConfig;
import dev.palisade.proxy.capture.IptablesException;
import dev.palisade.proxy.capture.IptablesInstaller;
import dev.palisade.proxy.capture.IptablesRules;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code palisade init-iptables}: what the injected init container runs. Installs the NAT rules of transparent capture
 * ({@link IptablesRules}) in the current network namespace through {@code iptables} and {@code ip6tables}, removes
 * them with {@code --cleanup}, or prints them with {@code --dry-run}. Every flag is checked before any command runs.
 */
@Command(
        name = "init-iptables",
        description = {
            "Install the iptables NAT rules that send the pod's TCP traffic through the sidecar: inbound to"
                    + " --inbound-port, the application's outbound to --outbound-port. Not captured: the sidecar's own"
                    + " user (--proxy-uid), loopback, the admin (15000) and health (15021) ports, and the excluded"
                    + " ports. IPv4 and IPv6 alike.",
            "",
            "Running it again leaves the tables as they are; --cleanup removes exactly these rules. Needs"
                    + " CAP_NET_ADMIN in the pod's network namespace."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the rules were installed (or removed, or printed)",
            "1:an iptables command failed; the message names it (rules applied before it stay)",
            "2:invalid usage (bad port, uid or port list), naming the flag"
        })
final class InitIptablesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--proxy-uid",
            paramLabel = "UID",
            defaultValue = "1337",
            description = "The sidecar's user id, whose connections are never captured (default: ${DEFAULT-VALUE}).")
    private long proxyUid;

    @Option(
            names = "--inbound-port",
            paramLabel = "PORT",
            defaultValue = "15006",
            description = "The sidecar's inbound listener (default: ${DEFAULT-VALUE}).")
    private int inboundPort;

    @Option(
            names = "--outbound-port",
            paramLabel = "PORT",
            defaultValue = "15001",
            description = "The sidecar's outbound listener (default: ${DEFAULT-VALUE}).")
    private int outboundPort;

    @Option(
            names = "--exclude-inbound-ports",
            paramLabel = "PORTS",
            defaultValue = "",
            description = "Comma-separated destination ports that reach the application directly, without the"
                    + " sidecar (15000 and 15021 always do).")
    private String excludeInboundPorts;

    @Option(
            names = "--exclude-outbound-ports",
            paramLabel = "PORTS",
            defaultValue = "",
            description = "Comma-separated destination ports that the application reaches directly, without the"
                    + " sidecar.")
    private String excludeOutboundPorts;

    @Option(
            names = "--no-ipv6",
            description =
                    "Leave ip6tables alone (for kernels without IPv6). IPv6 connections then bypass the" + " sidecar.")
    private boolean noIpv6;

    @Option(
            names = "--netns",
            paramLabel = "NAME",
            description = "Apply inside the named network namespace (ip netns exec NAME) instead of the current one.")
    private Optional<String> netns = Optional.empty();

    @Option(
            names = "--dry-run",
            description = "Print the rules (iptables-restore format), or with --cleanup the commands, and change"
                    + " nothing.")
    private boolean dryRun;

    @Option(
            names = "--cleanup",
            description = "Remove the rules and chains that init-iptables installs, and nothing else.")
    private boolean cleanup;

    @Override
    public Integer call() throws IptablesException {
        IptablesInstaller installer = new IptablesInstaller(
                IptablesRules.of(config()),
                netns.map(name -> List.of("ip", "netns", "exec", name)).orElse(List.of()),
                IptablesInstaller.DEFAULT_COMMAND_TIMEOUT);
        List<String> lines;
        if (dryRun) {
            lines = cleanup ? installer.cleanupPlan() : installer.installPlan();
        } else {
            lines = cleanup ? installer.cleanup() : installer.install();
        }
        PrintWriter out = spec.commandLine().getOut();
        lines.forEach(out::println);
        out.flush();
        return 0;
    }

    /**
     * The capture settings.
     *
     * @throws ParameterException naming the flag of the first bad value: invalid usage, exit code 2
     */
    private CaptureConfig config() {
        try {
            return CaptureConfig.builder()
                    .proxyUid(proxyUid)
                    .inboundPort(inboundPort)
                    .outboundPort(outboundPort)
                    .excludeInboundPorts(excludeInboundPorts)
                    .excludeOutboundPorts(excludeOutboundPorts)
                    .ipv6(!noIpv6)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), String.valueOf(e.getMessage()), e);
        }
    }
}
