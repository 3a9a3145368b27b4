package dev.palisade.cli.demo;

import dev.palisade.cli.demo.DemoRun.Workload;
import dev.palisade.proxy.capture.CaptureConfig;
import dev.palisade.proxy.capture.IptablesException;
import dev.palisade.proxy.capture.IptablesInstaller;
import dev.palisade.proxy.capture.IptablesRules;
import io.netty.channel.epoll.Epoll;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The demo mesh in network namespaces, with transparent capture as in a pod. Namespaces {@code pal-<id>-frontend},
 * {@code -orders}, {@code -payments} each hold one workload: its {@code eth0} (a veth) at {@code 10.<a>.<b>.1W}
 * (11, 12, 13), the capture rules of {@code palisade init-iptables}, its app on {@code 127.0.0.1} (which never hears
 * of sidecars) and its sidecar running as uid 1337 with the default captured listeners. The veths' other ends are
 * ports of a bridge in {@code pal-<id>-hub}, which also holds the control plane at {@code 10.<a>.<b>.1:15012} (no
 * capture there: it plays the cluster outside the pods) and the plaintext client outside the mesh. Nothing is added
 * to the host's own namespace; deleting the namespaces removes the links, addresses and rules with them.
 */
public final class NetnsTopology implements AutoCloseable {
    static final int PROXY_UID = 1337;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

    private final String id;
    private final String prefix;
    private final Path dir;
    private final Processes processes;
    private final DemoReport report;
    private final Duration timeout;
    private final List<String> namespaces = new CopyOnWriteArrayList<>();
    private final NetnsCalls calls;

    NetnsTopology(Path dir, Processes processes, DemoReport report, Duration timeout) {
        SecureRandom random = new SecureRandom();
        this.id = HexFormat.of().formatHex(random.generateSeed(3));
        this.prefix = "10." + (200 + random.nextInt(50)) + "." + (1 + random.nextInt(254)) + ".";
        this.dir = dir;
        this.processes = processes;
        this.report = report;
        this.timeout = timeout;
        this.calls = new NetnsCalls(this::address);
    }

    /**
     * Why this machine cannot run the network-namespace mode, or empty when it can: it needs root (namespaces,
     * iptables), {@code ip}, {@code iptables} and {@code setpriv} on the PATH, and Netty's epoll transport (the
     * sidecar reads the original destination of captured connections through it).
     */
    public static Optional<String> unavailable() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (!Integer.valueOf(0).equals(uid)) {
                return Optional.of("not running as root");
            }
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.of("cannot tell the user id (" + e.getMessage() + ")");
        }
        for (String tool : List.of("ip", "iptables", "ip6tables", "setpriv")) {
            if (!onPath(tool)) {
                return Optional.of(tool + " not found on the PATH");
            }
        }
        if (!Epoll.isAvailable()) {
            return Optional.of("Netty's epoll transport is unavailable (" + Epoll.unavailabilityCause() + ")");
        }
        return Optional.empty();
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin";
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, tool))) {
                return true;
            }
        }
        return false;
    }

    String namespace(String name) {
        return "pal-" + id + "-" + name;
    }

    /** A workload's address on the bridge. */
    String address(Workload w) {
        return prefix + (10 + w.octet());
    }

    String hubAddress() {
        return prefix + "1";
    }

    MeshCalls calls() {
        return calls;
    }

    /**
     * Creates the namespaces, starts the control plane in the hub and each workload's app and sidecar in its own
     * namespace, waiting for each to be ready. The policies' workload addresses are rewritten to the namespaces'.
     */
    void start(Path cpDir, Path policies, Duration certificateTtl, int grpcPort, int adminPort)
            throws IOException, DemoException, InterruptedException {
        Path workloads = policies.resolve("workloads.yaml");
        String text = Files.readString(workloads, StandardCharsets.UTF_8);
        for (Workload w : DemoRun.WORKLOADS) {
            text = text.replace("address: " + w.address(), "address: " + address(w));
        }
        Files.writeString(workloads, text, StandardCharsets.UTF_8);
        prepareFiles();
        createNamespaces();

        startAgent(NetnsCalls.HUB);
        report.progress("control plane: starting in " + namespace("hub") + " (CA in " + cpDir.resolve("ca") + ")");
        Processes.Child cp = processes.startCommand(
                "control-plane",
                inNamespace(
                        "hub",
                        false,
                        List.of(
                                "control-plane",
                                "--local",
                                cpDir.toString(),
                                "--policies",
                                policies.toString(),
                                "--trust-domain",
                                DemoRun.TRUST_DOMAIN,
                                "--certificate-ttl",
                                DemoRun.DurationText.of(certificateTtl),
                                "--grpc-listen",
                                hubAddress() + ":" + grpcPort,
                                "--admin-listen",
                                "127.0.0.1:" + adminPort)));
        awaitReady(cp, NetnsCalls.HUB, URI.create("http://127.0.0.1:" + adminPort + "/ready"));
        report.progress("control plane: ready (identity + xDS on " + hubAddress() + ":" + grpcPort + ")");
        Path bundle = dir.resolve("sidecar/bundle.pem");
        Files.copy(cpDir.resolve("ca/bundle.pem"), bundle, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(bundle, PosixFilePermissions.fromString("rw-r--r--"));

        for (Workload w : DemoRun.WORKLOADS) {
            String ns = namespace(w.name());
            try {
                new IptablesInstaller(
                                IptablesRules.of(CaptureConfig.defaults()),
                                List.of("ip", "netns", "exec", ns),
                                IptablesInstaller.DEFAULT_COMMAND_TIMEOUT)
                        .install();
            } catch (IptablesException e) {
                throw new DemoException("init-iptables in " + ns + ": " + e.getMessage());
            }
            startAgent(w.name());
            int httpPort = w.grpc() ? w.port() + 1 : w.port();
            List<String> app =
                    new ArrayList<>(List.of("demo-app", "--name", w.name(), "--http", "127.0.0.1:" + httpPort));
            if (w.grpc()) {
                app.addAll(List.of("--grpc", "127.0.0.1:" + w.port()));
            }
            Processes.Child appProcess = processes.startCommand(w.name() + "-app", inNamespace(w.name(), false, app));
            awaitReady(appProcess, w.name(), URI.create("http://127.0.0.1:" + httpPort + "/"));
            Processes.Child sidecar = processes.startCommand(
                    w.name() + "-sidecar",
                    inNamespace(
                            w.name(),
                            true,
                            List.of(
                                    "proxy",
                                    "--trust-domain",
                                    DemoRun.TRUST_DOMAIN,
                                    "--namespace",
                                    DemoRun.NAMESPACE,
                                    "--service-account",
                                    w.name(),
                                    "--control-plane",
                                    hubAddress() + ":" + grpcPort,
                                    "--ca-bundle",
                                    bundle.toString(),
                                    "--token-file",
                                    dir.resolve("tokens").resolve(w.name()).toString(),
                                    "--flow-log-dir",
                                    dir.resolve("flows").resolve(w.name()).toString(),
                                    "--drain-timeout",
                                    "2s")));
            awaitReady(sidecar, w.name(), URI.create("http://127.0.0.1:15021/ready"));
            String spiffeId =
                    calls.admin(w, "/certs").path("svid").path("spiffeId").asText();
            report.progress(String.format(
                    java.util.Locale.ROOT,
                    "%-8s netns %s at %s, capture on, app 127.0.0.1:%d, sidecar (uid %d) ready as %s",
                    w.name(),
                    ns,
                    address(w),
                    w.port(),
                    PROXY_UID,
                    spiffeId));
        }
    }

    private void createNamespaces() throws DemoException {
        String hub = namespace("hub");
        ip("netns", "add", hub);
        namespaces.add(hub);
        ip("-n", hub, "link", "add", "br0", "type", "bridge");
        ip("-n", hub, "addr", "add", hubAddress() + "/24", "dev", "br0");
        ip("-n", hub, "link", "set", "lo", "up");
        ip("-n", hub, "link", "set", "br0", "up");
        for (Workload w : DemoRun.WORKLOADS) {
            String ns = namespace(w.name());
            ip("netns", "add", ns);
            namespaces.add(ns);
            String hubEnd = "veth-" + w.name();
            // Both ends are created directly inside their namespaces: nothing appears in the host's.
            ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", hubEnd, "netns", hub);
            ip("-n", hub, "link", "set", hubEnd, "master", "br0");
            ip("-n", hub, "link", "set", hubEnd, "up");
            ip("-n", ns, "addr", "add", address(w) + "/24", "dev", "eth0");
            ip("-n", ns, "link", "set", "lo", "up");
            ip("-n", ns, "link", "set", "eth0", "up");
        }
        report.fact("namespaces", List.copyOf(namespaces));
        report.progress("network namespaces: " + String.join(", ", namespaces) + " (bridge br0 in the hub, " + prefix
                + "0/24)");
    }

    /** The sidecars run as uid 1337: they must reach the jar, their token, the bundle and their flow-log directory. */
    private void prepareFiles() throws IOException, DemoException {
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p)
                    .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                throw new DemoException("the sidecars run as uid " + PROXY_UID + " and cannot reach " + dir + ": " + p
                        + " is not searchable by others (chmod o+x " + p + ", or choose another --dir)");
            }
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir.resolve("sidecar"));
        String classpath = System.getProperty("java.class.path", "");
        if (classpath.endsWith(".jar") && !classpath.contains(File.pathSeparator)) {
            // The checkout may sit where uid 1337 cannot read (a home directory): run a copy of the jar.
            Path jar = dir.resolve("sidecar/palisade.jar");
            Files.copy(Path.of(classpath), jar, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
            processes.useClasspath(jar.toString());
        } else {
            processes.useClasspath(absolute(classpath));
        }
        Files.setPosixFilePermissions(dir.resolve("tokens"), PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Workload w : DemoRun.WORKLOADS) {
            Path token = dir.resolve("tokens").resolve(w.name());
            Files.setAttribute(token, "unix:uid", PROXY_UID);
            Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
            Path flows = Files.createDirectories(dir.resolve("flows").resolve(w.name()));
            Files.setAttribute(flows, "unix:uid", PROXY_UID);
        }
    }

    private static String absolute(String classpath) {
        List<String> entries = new ArrayList<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private void startAgent(String key) throws IOException {
        Path log = dir.resolve("logs").resolve(key + "-calls.log");
        calls.startAgent(key, inNamespace(key, false, List.of("demo-call", "--serve")), log);
    }

    /** {@code ip netns exec NS [setpriv as 1337] java ... palisade ARGS}. */
    List<String> inNamespace(String key, boolean asProxy, List<String> args) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace(key)));
        if (asProxy) {
            command.addAll(List.of("setpriv", "--reuid", "" + PROXY_UID, "--regid", "" + PROXY_UID, "--clear-groups"));
        }
        command.addAll(processes.withJava(args));
        return command;
    }

    private void awaitReady(Processes.Child child, String key, URI url) throws DemoException, InterruptedException {
        processes.awaitReady(child, url, timeout, u -> calls.status(key, u));
    }

    private void ip(String... args) throws DemoException {
        List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        run(command);
    }

    private static String run(List<String> command) throws DemoException {
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            java.util.concurrent.CompletableFuture<byte[]> output =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return process.getInputStream().readAllBytes();
                        } catch (IOException e) {
                            return new byte[0];
                        }
                    });
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new DemoException(
                        String.join(" ", command) + ": no exit after " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            String text = new String(output.join(), StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new DemoException(String.join(" ", command) + ": exit " + process.exitValue() + ": " + text);
            }
            return text;
        } catch (IOException e) {
            throw new DemoException(String.join(" ", command) + ": cannot run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoException(String.join(" ", command) + ": interrupted");
        }
    }

    /** The commands that remove what this topology created (printed for --keep). */
    List<String> removal() {
        return namespaces.stream().map(ns -> "ip netns del " + ns).toList();
    }

    List<String> namespaces() {
        return List.copyOf(namespaces);
    }

    /** Ends the agents and deletes the namespaces (their links, addresses and rules go with them). Idempotent. */
    @Override
    public void close() {
        calls.close();
        for (String ns : namespaces) {
            try {
                run(List.of("ip", "netns", "del", ns));
            } catch (DemoException e) {
                report.progress("cannot delete " + ns + ": " + e.getMessage());
            }
        }
        namespaces.clear();
    }

    /** Forgets the namespaces and agents without removing them (--keep). */
    void detach() {
        namespaces.clear();
    }
}
