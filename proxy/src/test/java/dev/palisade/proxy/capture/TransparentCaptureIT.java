package dev.palisade.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Transparent capture against the kernel, in two network namespaces that this test creates and deletes: {@code a}
 * (a peer) and {@code b} (the pod), joined by a veth pair with addresses in {@code 10.99.N.0/24} and {@code
 * fd99:0:N::/64}. The installer's rules go into {@code b} through {@code ip netns exec}; a Netty epoll server in
 * {@code b} (a child JVM, {@link CaptureProbeServer}) listens where the sidecar would, 15006, 15001 and 15021, and
 * answers each connection with the original destination it read. Clients ({@link CaptureProbeClient}) run in {@code
 * a}, in {@code b} as the application (root) and in {@code b} as the proxy's uid 1337. Nothing here touches the
 * host's own interfaces or tables.
 *
 * <p>Needs root, iproute2, iptables/ip6tables and setpriv; fails with a message saying so unless {@code
 * PALISADE_SKIP_NETNS=1}. The methods run in order: install (twice), the traffic checks, cleanup.
 */
@TestMethodOrder(OrderAnnotation.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TransparentCaptureIT {

    private static final String SKIP_VARIABLE = "PALISADE_SKIP_NETNS";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    private static final int PROXY_UID = 1337;
    private static final CaptureConfig CONFIG =
            CaptureConfig.builder().excludeOutboundPorts("9091").build();

    private static final ProcessCommandRunner shell = new ProcessCommandRunner(List.of(), COMMAND_TIMEOUT);
    private static final List<String> createdNamespaces = new CopyOnWriteArrayList<>();
    private static final List<Process> children = new CopyOnWriteArrayList<>();

    private static String nsA = "";
    private static String nsB = "";
    private static String a4 = "";
    private static String b4 = "";
    private static String a6 = "";
    private static String b6 = "";
    private static IptablesInstaller installer = IptablesInstaller.of(IptablesRules.of(CONFIG));
    private static Map<String, String> baseline = Map.of();
    private static List<String> serverB = List.of();

    @BeforeAll
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    static void createNamespacesAndStartServers() throws Exception {
        assumeFalse("1".equals(System.getenv(SKIP_VARIABLE)), SKIP_VARIABLE + "=1: network namespace tests skipped");
        SecureRandom random = new SecureRandom();
        String id = HexFormat.of().formatHex(random.generateSeed(4));
        int n = 1 + random.nextInt(254);
        nsA = "pal-" + id + "-a";
        nsB = "pal-" + id + "-b";
        a4 = "10.99." + n + ".1";
        b4 = "10.99." + n + ".2";
        a6 = "fd99:0:" + n + "::1";
        b6 = "fd99:0:" + n + "::2";
        String vethA = "pal" + id + "a";
        String vethB = "pal" + id + "b";

        CommandResult add = shell.run(List.of("ip", "netns", "add", nsA));
        if (add.exitCode() != 0) {
            fail("cannot create network namespace " + nsA + " (exit " + add.exitCode() + ": "
                    + add.stderr().strip()
                    + "). This test needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN), iproute2 and iptables; set "
                    + SKIP_VARIABLE + "=1 to skip it on machines that cannot.");
        }
        createdNamespaces.add(nsA);
        sh("ip", "netns", "add", nsB);
        createdNamespaces.add(nsB);
        // Both ends are created directly inside the namespaces: nothing appears in the host's namespace.
        sh("ip", "link", "add", vethA, "netns", nsA, "type", "veth", "peer", "name", vethB, "netns", nsB);
        sh("ip", "-n", nsA, "addr", "add", a4 + "/24", "dev", vethA);
        sh("ip", "-n", nsB, "addr", "add", b4 + "/24", "dev", vethB);
        sh("ip", "-n", nsA, "-6", "addr", "add", a6 + "/64", "dev", vethA, "nodad");
        sh("ip", "-n", nsB, "-6", "addr", "add", b6 + "/64", "dev", vethB, "nodad");
        for (String[] link : new String[][] {{nsA, "lo"}, {nsA, vethA}, {nsB, "lo"}, {nsB, vethB}}) {
            sh("ip", "-n", link[0], "link", "set", link[1], "up");
        }
        // Someone else's rules in the pod, which install and cleanup must leave alone.
        for (String binary : List.of("iptables", "ip6tables")) {
            inB(binary, "-t", "nat", "-N", "SOMEONE_ELSE");
            inB(binary, "-t", "nat", "-A", "SOMEONE_ELSE", "-j", "RETURN");
            inB(binary, "-t", "nat", "-A", "OUTPUT", "-p", "udp", "--dport", "53", "-j", "SOMEONE_ELSE");
        }
        baseline = natTables();
        installer = new IptablesInstaller(
                IptablesRules.of(CONFIG),
                List.of("ip", "netns", "exec", nsB),
                IptablesInstaller.DEFAULT_COMMAND_TIMEOUT);

        Process b = startServer(nsB, "15006", "15001", "15021");
        Process a = startServer(nsA, "9090", "9091");
        serverB = awaitReady(b, nsB);
        awaitReady(a, nsA);
    }

    @AfterAll
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    static void deleteNamespaces() throws Exception {
        for (Process child : children) {
            child.destroy();
        }
        for (Process child : children) {
            if (!child.waitFor(5, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        List<String> failures = new ArrayList<>();
        for (String ns : createdNamespaces) {
            CommandResult del = shell.run(List.of("ip", "netns", "del", ns));
            if (del.exitCode() != 0) {
                failures.add(ns + ": " + del.stderr().strip());
            }
        }
        String left = shell.run(List.of("ip", "netns", "list")).stdout();
        for (String ns : createdNamespaces) {
            if (left.contains(ns)) {
                failures.add(ns + " still listed");
            }
        }
        createdNamespaces.clear();
        assertThat(failures).as("deleting the test's network namespaces").isEmpty();
    }

    @Test
    @Order(1)
    void installingTwiceLeavesTheTablesUnchanged() throws Exception {
        installer.install();
        Map<String, String> once = natTables();

        List<String> again = installer.install();

        assertThat(natTables()).isEqualTo(once);
        assertThat(again).noneMatch(c -> c.contains(" -N ") || c.contains("-A PREROUTING") || c.contains("-A OUTPUT"));
        for (String binary : List.of("iptables", "ip6tables")) {
            assertThat(once.get(binary))
                    .contains("-N PALISADE_INBOUND", "-N PALISADE_IN_REDIRECT", "-N PALISADE_OUTPUT")
                    .contains("-N PALISADE_REDIRECT", "-A PREROUTING -p tcp -j PALISADE_INBOUND")
                    .contains("-A OUTPUT -p tcp -j PALISADE_OUTPUT", "--to-ports 15006", "--to-ports 15001")
                    .contains("-N SOMEONE_ELSE");
        }
    }

    @Test
    @Order(2)
    void inboundConnectionsReachTheInboundListenerWithTheirOriginalDestination() throws Exception {
        Map<String, String> seen = probe(
                List.of("ip", "netns", "exec", nsA), b4 + ":8080", "[" + b6 + "]:8080", b4 + ":15021", b4 + ":15006");

        assertThat(seen)
                .containsEntry(b4 + ":8080", "listener=15006 original=" + b4 + ":8080")
                .containsEntry(
                        "[" + b6 + "]:8080", "listener=15006 original=[" + b6.replace("::", ":0:0:0:0:") + "]:8080")
                .as("health is never captured")
                .containsEntry(b4 + ":15021", "listener=15021 original=none")
                .as("a direct connection to the inbound port was not redirected anywhere")
                .containsEntry(b4 + ":15006", "listener=15006 original=none");
        assertThat(serverB)
                .anyMatch(
                        l -> l.startsWith("ACCEPTED listener=15006 original=" + b4 + ":8080 peer=") && l.contains(a4));
    }

    @Test
    @Order(3)
    void outboundConnectionsOfTheApplicationAreCapturedExceptExclusionsAndLoopback() throws Exception {
        Map<String, String> seen = probe(
                List.of("ip", "netns", "exec", nsB),
                a4 + ":9090",
                "[" + a6 + "]:9090",
                a4 + ":9091",
                "127.0.0.1:15021",
                b4 + ":8080");

        assertThat(seen)
                .containsEntry(a4 + ":9090", "listener=15001 original=" + a4 + ":9090")
                .containsEntry(
                        "[" + a6 + "]:9090", "listener=15001 original=[" + a6.replace("::", ":0:0:0:0:") + "]:9090")
                .as("--exclude-outbound-ports 9091 reaches namespace a's own listener")
                .containsEntry(a4 + ":9091", "listener=9091 original=none")
                .as("loopback is not captured")
                .containsEntry("127.0.0.1:15021", "listener=15021 original=none")
                .as("the app calling its own pod IP stays on lo, uncaptured, as in Istio: nothing listens on 8080")
                .containsEntry(b4 + ":8080", "REFUSED");
    }

    @Test
    @Order(4)
    void theProxysOwnConnectionsAreNotCapturedButItsHairpinGoesInbound() throws Exception {
        List<String> asProxy = List.of(
                "ip",
                "netns",
                "exec",
                nsB,
                "setpriv",
                "--reuid=" + PROXY_UID,
                "--regid=" + PROXY_UID,
                "--clear-groups");

        Map<String, String> seen = probe(asProxy, a4 + ":9090", b4 + ":8080");

        assertThat(seen)
                .as("the proxy's uid reaches namespace a directly")
                .containsEntry(a4 + ":9090", "listener=9090 original=none")
                .as("the proxy calling its own pod IP is sent to its inbound listener")
                .containsEntry(b4 + ":8080", "listener=15006 original=" + b4 + ":8080");
    }

    @Test
    @Order(5)
    void cleanupRemovesExactlyOurRules() throws Exception {
        List<String> removed = installer.cleanup();

        assertThat(removed).contains("ip netns exec " + nsB + " ip6tables -w 5 -t nat -X PALISADE_REDIRECT");
        assertThat(natTables()).isEqualTo(baseline);
        assertThat(natTables().values()).noneMatch(table -> table.contains("PALISADE"));
        assertThat(installer.cleanup()).as("a second cleanup has nothing to do").isEmpty();
        assertThat(probe(List.of("ip", "netns", "exec", nsA), b4 + ":8080"))
                .as("without capture nothing listens on 8080")
                .containsEntry(b4 + ":8080", "REFUSED");
    }

    /** {@code iptables -t nat -S} and {@code ip6tables -t nat -S} inside namespace b. */
    private static Map<String, String> natTables() throws IptablesException {
        Map<String, String> tables = new LinkedHashMap<>();
        for (String binary : List.of("iptables", "ip6tables")) {
            tables.put(binary, inB(binary, "-t", "nat", "-S"));
        }
        return tables;
    }

    private static String inB(String... command) throws IptablesException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", nsB));
        Collections.addAll(argv, command);
        return sh(argv.toArray(new String[0]));
    }

    private static String sh(String... command) throws IptablesException {
        CommandResult result = shell.run(List.of(command));
        if (result.exitCode() != 0) {
            throw new IptablesException(String.join(" ", command) + ": exit " + result.exitCode() + ": "
                    + result.stderr().strip());
        }
        return result.stdout();
    }

    private static Path testClasses() throws Exception {
        return Path.of(CaptureProbeClient.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Runs {@link CaptureProbeClient} behind {@code prefix}; target → what it got. */
    private static Map<String, String> probe(List<String> prefix, String... targets) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                java(),
                "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData",
                "-cp",
                testClasses().toString(),
                CaptureProbeClient.class.getName()));
        Collections.addAll(command, targets);
        CommandResult result = new ProcessCommandRunner(prefix, CLIENT_TIMEOUT).run(command);
        assertThat(result.exitCode())
                .as("%s %s: %s%s", prefix, List.of(targets), result.stdout(), result.stderr())
                .isZero();
        Map<String, String> seen = new LinkedHashMap<>();
        for (String line : result.stdout().split("\n")) {
            int arrow = line.indexOf(" -> ");
            if (arrow > 0) {
                seen.put(line.substring(0, arrow), line.substring(arrow + 4));
            }
        }
        return seen;
    }

    private static Process startServer(String ns, String... ports) throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(
                "ip",
                "netns",
                "exec",
                ns,
                java(),
                "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData",
                "-Dio.netty.leakDetection.level=paranoid",
                "-cp",
                classpath,
                CaptureProbeServer.class.getName()));
        Collections.addAll(command, ports);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        children.add(process);
        return process;
    }

    /** Reads the server's output on a thread of its own; returns the live list of its lines once READY. */
    private static List<String> awaitReady(Process process, String ns) throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader in = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                            lines.add(line);
                        }
                    } catch (IOException e) {
                        lines.add("READ " + e);
                    }
                },
                "probe-server-" + ns);
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!lines.contains("READY")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                fail("probe server in " + ns + " did not start: " + String.join("\n", lines));
            }
            Thread.sleep(50);
        }
        return lines;
    }
}
