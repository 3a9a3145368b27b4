package dev.palisade.cli.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 5's "must show" with transparent capture: two network namespaces that this test creates and deletes, {@code
 * a} (frontend) and {@code b} (orders), joined by a veth pair at {@code 10.97.N.1} and {@code .2}. Each runs what a
 * pod runs — {@code palisade init-iptables}, the app on 127.0.0.1:8080 and {@code palisade proxy} with its captured
 * listeners as uid 1337 — each a child JVM of the shaded jar started with {@code ip netns exec}; the control plane
 * (local mode, the example policies with the workloads' addresses rewritten) runs in {@code b} on {@code b:15012}.
 * Because it shares {@code b} with a captured workload, {@code b}'s rules exclude 15012 both ways, as a pod's
 * annotations would for a port the sidecar must not see.
 *
 * <p>The calls are {@code palisade demo-call} processes in {@code a}: as root they are the app, captured; as uid 1337
 * they are not, which is how a plaintext client reaches {@code b} here. {@code tcpdump} on {@code a}'s veth records
 * the traffic between the namespaces. The host's own {@code iptables-save} must be the same before and after.
 *
 * <p>Needs root, iproute2, iptables, setpriv and tcpdump; fails with a message saying so unless {@code
 * PALISADE_SKIP_NETNS=1}. The methods run in order, refusals first.
 */
@TestMethodOrder(OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NetnsMeshIT {
    private static final String SKIP_VARIABLE = "PALISADE_SKIP_NETNS";
    private static final Path JAR =
            Path.of(System.getProperty("palisade.jar", "target/palisade.jar")).toAbsolutePath();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final int PROXY_UID = 1337;
    private static final String FRONTEND = "spiffe://demo.local/ns/shop/sa/frontend";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<String> createdNamespaces = new CopyOnWriteArrayList<>();
    private static final List<Process> children = new CopyOnWriteArrayList<>();
    private static String hostTablesBefore = "";
    private static String nsA = "";
    private static String nsB = "";
    private static String a = "";
    private static String b = "";
    private static String vethA = "";
    private static Path dir = Path.of(".");
    private static Path pcap = Path.of(".");
    private static Process tcpdump;

    @BeforeAll
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    static void createNamespacesAndStartTheMesh() throws Exception {
        assumeFalse("1".equals(System.getenv(SKIP_VARIABLE)), SKIP_VARIABLE + "=1: network namespace tests skipped");
        assertThat(JAR).as("the shaded jar (mvn package builds it)").isRegularFile();
        hostTablesBefore = hostTables();
        SecureRandom random = new SecureRandom();
        String id = HexFormat.of().formatHex(random.generateSeed(4));
        int n = 1 + random.nextInt(254);
        nsA = "pal-" + id + "-a";
        nsB = "pal-" + id + "-b";
        a = "10.97." + n + ".1";
        b = "10.97." + n + ".2";
        vethA = "pal" + id + "a";
        String vethB = "pal" + id + "b";

        Result add = run(List.of("ip", "netns", "add", nsA));
        if (add.exit() != 0) {
            fail("cannot create network namespace " + nsA + " (exit " + add.exit() + ": "
                    + add.output().strip()
                    + "). This test needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN), iproute2, iptables, setpriv and"
                    + " tcpdump; set " + SKIP_VARIABLE + "=1 to skip it on machines that cannot.");
        }
        createdNamespaces.add(nsA);
        sh("ip", "netns", "add", nsB);
        createdNamespaces.add(nsB);
        sh("ip", "link", "add", vethA, "netns", nsA, "type", "veth", "peer", "name", vethB, "netns", nsB);
        sh("ip", "-n", nsA, "addr", "add", a + "/24", "dev", vethA);
        sh("ip", "-n", nsB, "addr", "add", b + "/24", "dev", vethB);
        for (String[] link : new String[][] {{nsA, "lo"}, {nsA, vethA}, {nsB, "lo"}, {nsB, vethB}}) {
            sh("ip", "-n", link[0], "link", "set", link[1], "up");
        }

        // Files: the sidecars run as uid 1337 and must read the jar, the bundle and their own token.
        dir = Files.createTempDirectory("palisade-netns-it-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cpDir = Files.createDirectories(dir.resolve("control-plane"));
        Path policies = Files.createDirectories(dir.resolve("policies"));
        try (Stream<Path> examples = Files.list(Path.of("../examples/policies"))) {
            for (Path p : examples.toList()) {
                String text = Files.readString(p, StandardCharsets.UTF_8)
                        .replace("address: 127.0.0.11", "address: " + a)
                        .replace("address: 127.0.0.12", "address: " + b)
                        .replace("address: 127.0.0.13", "address: 10.97." + n + ".3");
                Files.writeString(policies.resolve(p.getFileName()), text, StandardCharsets.UTF_8);
            }
        }
        String token = HexFormat.of().formatHex(random.generateSeed(8));
        Files.writeString(
                cpDir.resolve("tokens"),
                "frontend-" + token + " shop frontend\norders-" + token + " shop orders\n",
                StandardCharsets.UTF_8);
        for (String sa : List.of("frontend", "orders")) {
            Path file = dir.resolve(sa + ".token");
            Files.writeString(file, sa + "-" + token, StandardCharsets.UTF_8);
            Files.setAttribute(file, "unix:uid", PROXY_UID);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }

        start(
                "control-plane",
                inNs(
                        nsB,
                        false,
                        "control-plane",
                        "--local",
                        cpDir.toString(),
                        "--policies",
                        policies.toString(),
                        "--trust-domain",
                        "demo.local",
                        "--grpc-listen",
                        b + ":15012",
                        "--admin-listen",
                        "127.0.0.1:15014"));
        awaitReady(nsB, 15014, "control-plane");
        Path bundle = dir.resolve("bundle.pem");
        Files.copy(cpDir.resolve("ca/bundle.pem"), bundle);
        Files.setPosixFilePermissions(bundle, PosixFilePermissions.fromString("rw-r--r--"));

        sh(inNs(nsA, false, "init-iptables").toArray(new String[0]));
        sh(inNs(nsB, false, "init-iptables", "--exclude-inbound-ports", "15012", "--exclude-outbound-ports", "15012")
                .toArray(new String[0]));
        for (String[] w : new String[][] {{nsA, "frontend"}, {nsB, "orders"}}) {
            start(w[1] + "-app", inNs(w[0], false, "demo-app", "--name", w[1], "--http", "127.0.0.1:8080"));
            start(
                    w[1] + "-sidecar",
                    inNs(
                            w[0],
                            true,
                            "proxy",
                            "--trust-domain",
                            "demo.local",
                            "--namespace",
                            "shop",
                            "--service-account",
                            w[1],
                            "--control-plane",
                            b + ":15012",
                            "--ca-bundle",
                            bundle.toString(),
                            "--token-file",
                            dir.resolve(w[1] + ".token").toString(),
                            "--drain-timeout",
                            "1s"));
        }
        awaitReady(nsA, 15021, "frontend-sidecar");
        awaitReady(nsB, 15021, "orders-sidecar");

        pcap = dir.resolve("veth.pcap");
        tcpdump = new ProcessBuilder(
                        "ip",
                        "netns",
                        "exec",
                        nsA,
                        "tcpdump",
                        "-i",
                        vethA,
                        "-U",
                        "-s",
                        "0",
                        "-Z",
                        "root",
                        "-w",
                        pcap.toString(),
                        "tcp")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("tcpdump.log").toFile())
                .start();
        children.add(tcpdump);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.readString(dir.resolve("tcpdump.log")).contains("listening on")) {
            if (!tcpdump.isAlive() || System.nanoTime() > deadline) {
                fail("tcpdump did not start: " + Files.readString(dir.resolve("tcpdump.log")));
            }
            Thread.sleep(50);
        }
    }

    @AfterAll
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    static void removeEverything() throws Exception {
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
            Result del = run(List.of("ip", "netns", "del", ns));
            if (del.exit() != 0) {
                failures.add(ns + ": " + del.output().strip());
            }
        }
        String left = run(List.of("ip", "netns", "list")).output();
        for (String ns : createdNamespaces) {
            if (left.contains(ns)) {
                failures.add(ns + " still listed");
            }
        }
        createdNamespaces.clear();
        assertThat(failures).as("deleting the test's network namespaces").isEmpty();
        if (!hostTablesBefore.isEmpty()) {
            assertThat(hostTables()).as("the host's own iptables").isEqualTo(hostTablesBefore);
        }
    }

    @Test
    @Order(1)
    void aPlaintextClientOutsideCaptureIsRefusedByTheStrictSidecar() throws Exception {
        JsonNode answer = call(true, "--plaintext", b + ":8080", "--path", "/plaintext-probe");

        assertThat(answer.path("result").asText()).as(answer.toString()).isEqualTo("refused");
    }

    @Test
    @Order(2)
    void theAppsCallToAnAdminPathIsDeniedByOrdersSidecar() throws Exception {
        JsonNode answer = call(false, "--url", "http://" + b + ":8080/admin");

        assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(403);
    }

    @Test
    @Order(3)
    void theAppCallsOrdersAddressAndOrdersAppSeesFrontendsIdentity() throws Exception {
        JsonNode answer = call(false, "--url", "http://" + b + ":8080/orders");

        assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(200);
        JsonNode body = JSON.readTree(answer.path("body").asText());
        assertThat(body.path("app").asText()).isEqualTo("orders");
        assertThat(body.path("peer").asText()).isEqualTo(FRONTEND);
        assertThat(body.path("peerHeaderCount").asInt()).isEqualTo(1);
    }

    @Test
    @Order(4)
    void theCaptureOnTheVethHoldsOnlyTlsBetweenTheSidecars() throws Exception {
        tcpdump.destroy();
        assertThat(tcpdump.waitFor(10, TimeUnit.SECONDS)).as("tcpdump stopped").isTrue();
        byte[] bytes = Files.readAllBytes(pcap);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        List<byte[]> payloads = tcpPayloads(bytes, 8080);

        assertThat(text)
                .as("control: the plaintext probe's request line crossed the veth in clear, so the capture sees text")
                .contains("GET /plaintext-probe HTTP/1.1");
        assertThat(text)
                .as("the app's requests and the orders app's answer never cross in clear")
                .doesNotContain("GET /orders")
                .doesNotContain("GET /admin")
                .doesNotContain("\"app\":\"orders\"")
                .doesNotContain(FRONTEND);
        assertThat(payloads)
                .as("TLS handshake records on port 8080")
                .anyMatch(p -> p.length > 5 && p[0] == 0x16 && p[1] == 0x03);
        assertThat(payloads)
                .as("TLS application data records on port 8080")
                .anyMatch(p -> indexOf(p, new byte[] {0x17, 0x03, 0x03}) >= 0);
    }

    /** Payloads of the IPv4 TCP segments to or from {@code port} in a pcap of an Ethernet link. */
    private static List<byte[]> tcpPayloads(byte[] pcapBytes, int port) {
        ByteBuffer buf = ByteBuffer.wrap(pcapBytes);
        int magic = buf.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
        buf.order(magic == 0xa1b2c3d4 || magic == 0xa1b23c4d ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        assertThat(buf.getInt(20)).as("pcap link type Ethernet").isEqualTo(1);
        List<byte[]> payloads = new ArrayList<>();
        int offset = 24;
        while (offset + 16 <= pcapBytes.length) {
            int captured = buf.getInt(offset + 8);
            int frame = offset + 16;
            offset = frame + captured;
            if (offset > pcapBytes.length || captured < 34) {
                break;
            }
            int etherType = ((pcapBytes[frame + 12] & 0xff) << 8) | (pcapBytes[frame + 13] & 0xff);
            int ip = frame + 14;
            if (etherType != 0x0800 || pcapBytes[ip + 9] != 6) {
                continue;
            }
            int ipHeader = (pcapBytes[ip] & 0x0f) * 4;
            int ipTotal = ((pcapBytes[ip + 2] & 0xff) << 8) | (pcapBytes[ip + 3] & 0xff);
            int tcp = ip + ipHeader;
            int sport = ((pcapBytes[tcp] & 0xff) << 8) | (pcapBytes[tcp + 1] & 0xff);
            int dport = ((pcapBytes[tcp + 2] & 0xff) << 8) | (pcapBytes[tcp + 3] & 0xff);
            int tcpHeader = ((pcapBytes[tcp + 12] & 0xf0) >> 4) * 4;
            int start = tcp + tcpHeader;
            int end = Math.min(ip + ipTotal, offset);
            if ((sport == port || dport == port) && end > start) {
                byte[] payload = new byte[end - start];
                System.arraycopy(pcapBytes, start, payload, 0, payload.length);
                payloads.add(payload);
            }
        }
        return payloads;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** {@code palisade demo-call ARGS} in namespace a: as root (the app, captured) or as uid 1337 (not captured). */
    private static JsonNode call(boolean asProxyUid, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("demo-call"));
        command.addAll(List.of(args));
        Result result = run(inNs(nsA, asProxyUid, command.toArray(new String[0])));
        String json = result.output()
                .lines()
                .filter(l -> l.startsWith("{"))
                .reduce((x, y) -> y)
                .orElse("");
        assertThat(json).as("demo-call %s: %s", List.of(args), result.output()).isNotEmpty();
        return JSON.readTree(json);
    }

    private static List<String> inNs(String ns, boolean asProxyUid, String... palisadeArgs) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        if (asProxyUid) {
            command.addAll(List.of("setpriv", "--reuid", "" + PROXY_UID, "--regid", "" + PROXY_UID, "--clear-groups"));
        }
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData",
                "-Xmx128m",
                "-cp",
                JAR.toString(),
                "dev.palisade.cli.Palisade"));
        command.addAll(List.of(palisadeArgs));
        return command;
    }

    private static void start(String name, List<String> command) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
        children.add(process);
    }

    /** {@code palisade wait-ready} inside {@code ns}: fails naming the component and showing its log. */
    private static void awaitReady(String ns, int port, String component) throws Exception {
        Result ready = run(inNs(ns, false, "wait-ready", "--port", Integer.toString(port), "--timeout", "60s"));
        if (ready.exit() != 0) {
            Path log = dir.resolve(component + ".log");
            fail(component + " in " + ns + " not ready: " + ready.output() + "\n" + log + ":\n"
                    + (Files.exists(log) ? Files.readString(log) : "(no log)"));
        }
    }

    /** The host's iptables and ip6tables, without comments and counters. */
    private static String hostTables() throws Exception {
        StringBuilder all = new StringBuilder();
        for (String save : List.of("iptables-save", "ip6tables-save")) {
            Result r = run(List.of(save));
            all.append(save).append(" exit ").append(r.exit()).append('\n');
            r.output()
                    .lines()
                    .filter(l -> !l.startsWith("#"))
                    .map(l -> l.replaceAll("\\[\\d+:\\d+\\]", ""))
                    .forEach(l -> all.append(l).append('\n'));
        }
        return all.toString();
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> command) throws Exception {
        Path out = Files.createTempFile("palisade-netns-cmd-", ".log");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                return new Result(
                        -1,
                        String.join(" ", command) + ": no exit after " + COMMAND_TIMEOUT.toSeconds() + " s\n"
                                + Files.readString(out));
            }
            return new Result(process.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static void sh(String... command) throws Exception {
        Result result = run(List.of(command));
        if (result.exit() != 0) {
            throw new IllegalStateException(String.join(" ", command) + ": exit " + result.exit() + ": "
                    + result.output().strip());
        }
    }
}
