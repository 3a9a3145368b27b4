package dev.palisade.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.flowlog.FlowEntries;
import dev.palisade.flowlog.FlowLogFile;
import dev.palisade.flowlog.FlowVerifier;
import dev.palisade.flowlog.VerifyResult;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * One run of the demo mesh: the topology, the start-up of every component as its own process, the
 * scripted scenario and the tear-down. Kept apart from the command so that the end-to-end test can read its {@link
 * DemoReport}.
 *
 * <p>Topology: the control plane on 127.0.0.1; workload {@code W} at {@code 127.0.0.1W} (frontend 11, orders 12,
 * payments 13, as in {@code examples/policies}), its sidecar's inbound listener on the workload's own address and
 * port, its app on {@code 127.0.1.1W}, its admin and health on {@code 127.0.0.1W:15000/15021}, and its explicit
 * upstream listeners on {@code 127.0.0.1W} — what the app dials instead of its peer, since nothing is captured. In
 * {@link Mode#NETNS} each workload gets a network namespace with transparent capture instead ({@link NetnsTopology});
 * the scenario is the same, its calls made through {@link MeshCalls}.
 */
public final class DemoRun implements AutoCloseable {
    static final String TRUST_DOMAIN = "demo.local";
    static final String NAMESPACE = "shop";
    static final List<String> POLICY_FILES =
            List.of("deny-admin.yaml", "orders.yaml", "payments.yaml", "peer-authentication.yaml", "workloads.yaml");
    /** The policy the scenario adds while traffic flows (also RotationUnderLoadIT's). */
    public static final String CATALOG_POLICY =
            """
            # Added by the demo in the middle of the traffic: frontend may now also read the catalog of orders.
            apiVersion: security.palisade.dev/v1
            kind: AuthorizationPolicy
            metadata:
              name: catalog
              namespace: shop
            spec:
              selector:
                matchLabels:
                  app: orders
              rules:
              - from:
                - source:
                    principals: ["spiffe://demo.local/ns/shop/sa/frontend"]
                to:
                - operation:
                    methods: ["GET"]
                    paths: ["/catalog"]
            """;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** A workload of the demo. */
    record Workload(String name, int octet, int port, boolean grpc) {
        String address() {
            return "127.0.0.1" + octet;
        }

        String appHost() {
            return "127.0.1.1" + octet;
        }

        String id() {
            return "spiffe://" + TRUST_DOMAIN + "/ns/" + NAMESPACE + "/sa/" + name;
        }

        URI admin(String path) {
            return URI.create("http://" + address() + ":15000" + path);
        }
    }

    static final Workload FRONTEND = new Workload("frontend", 1, 8080, false);
    static final Workload ORDERS = new Workload("orders", 2, 8080, false);
    static final Workload PAYMENTS = new Workload("payments", 3, 9090, true);
    static final List<Workload> WORKLOADS = List.of(FRONTEND, ORDERS, PAYMENTS);
    static final int ORDERS_UPSTREAM = 18080;
    static final int PAYMENTS_UPSTREAM = 19090;

    private final Path dir;
    private final DemoReport report;
    private final Duration timeout;
    private final Processes processes;
    private final @Nullable NetnsTopology netns;
    private final MeshCalls calls;
    private final int grpcPort;
    private final int adminPort;

    /**
     * @param dir the run's directory: the control plane's CA and policies, tokens, logs, flow logs
     * @param out where progress and results are printed
     * @param timeout the longest any one step may take
     * @param jvmOptions options of every child JVM
     * @param mode loopback, or network namespaces with capture
     */
    public DemoRun(Path dir, PrintWriter out, Duration timeout, List<String> jvmOptions, Mode mode) throws IOException {
        this.dir = dir;
        this.report = new DemoReport(out);
        this.timeout = timeout;
        this.processes = new Processes(dir.resolve("logs"), jvmOptions);
        this.netns = mode == Mode.NETNS ? new NetnsTopology(dir, processes, report, timeout) : null;
        this.calls = netns != null ? netns.calls() : new LoopbackCalls();
        report.fact("mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        this.grpcPort = 15012;
        this.adminPort = 15014;
    }

    /** Where the workloads run. */
    public enum Mode {
        /** Explicit listeners on 127.0.0.0/8, no capture. */
        LOOPBACK,
        /** A network namespace per workload, with iptables capture (root). */
        NETNS
    }

    DemoReport report() {
        return report;
    }

    /** Writes the report as JSON. */
    public void writeReport(Path file) throws IOException {
        report.write(file);
    }

    /** Whether every check passed. */
    public boolean ok() {
        return report.allOk();
    }

    /** Checks that every address the mesh binds is free, naming the first that is not. */
    void checkPorts() throws DemoException {
        List<InetSocketAddress> needed = new ArrayList<>();
        needed.add(new InetSocketAddress("127.0.0.1", grpcPort));
        needed.add(new InetSocketAddress("127.0.0.1", adminPort));
        for (Workload w : WORKLOADS) {
            needed.add(new InetSocketAddress(w.address(), w.port()));
            needed.add(new InetSocketAddress(w.address(), 15000));
            needed.add(new InetSocketAddress(w.address(), 15021));
            needed.add(new InetSocketAddress(w.appHost(), w.port()));
        }
        needed.add(new InetSocketAddress(FRONTEND.address(), ORDERS_UPSTREAM));
        needed.add(new InetSocketAddress(FRONTEND.address(), PAYMENTS_UPSTREAM));
        needed.add(new InetSocketAddress(ORDERS.address(), PAYMENTS_UPSTREAM));
        for (InetSocketAddress address : needed) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(true);
                probe.bind(address);
            } catch (IOException e) {
                throw new DemoException("port " + address.getHostString() + ":" + address.getPort()
                        + " is taken (" + e.getMessage() + "): stop whatever listens there (a previous"
                        + " 'palisade demo --keep'?) and run the demo again");
            }
        }
    }

    /** Starts the control plane, then each workload's app and sidecar, waiting for each to be ready. */
    public void start(Duration certificateTtl) throws IOException, DemoException, InterruptedException {
        if (netns == null) {
            report.section("Starting the mesh (loopback mode: explicit listeners on 127.0.0.0/8, no capture)");
            checkPorts();
        } else {
            report.section("Starting the mesh (netns mode: a network namespace per workload, transparent capture)");
        }
        Path policies = Files.createDirectories(dir.resolve("policies"));
        for (String file : POLICY_FILES) {
            try (InputStream in = Objects.requireNonNull(
                    DemoRun.class.getResourceAsStream("policies/" + file), "policies/" + file + " is not in the jar")) {
                Files.write(policies.resolve(file), in.readAllBytes());
            }
        }
        StringBuilder tokens = new StringBuilder();
        Path tokenDir = Files.createDirectories(dir.resolve("tokens"));
        for (Workload w : WORKLOADS) {
            String token = w.name() + "-demo-token-" + java.util.HexFormat.of().formatHex(RANDOM.generateSeed(8));
            tokens.append(token)
                    .append(' ')
                    .append(NAMESPACE)
                    .append(' ')
                    .append(w.name())
                    .append('\n');
            Files.writeString(tokenDir.resolve(w.name()), token);
        }
        Files.writeString(dir.resolve("tokens.txt"), tokens);
        // The control plane reads DIR/tokens as a file: keep the per-workload files beside it.
        Path cpDir = Files.createDirectories(dir.resolve("control-plane"));
        Files.writeString(cpDir.resolve("tokens"), tokens);
        if (netns != null) {
            netns.start(cpDir, policies, certificateTtl, grpcPort, adminPort);
            return;
        }

        report.progress("control plane: starting (CA in " + cpDir.resolve("ca") + ", policies in " + policies + ")");
        Processes.Child cp = processes.start(
                "control-plane",
                List.of(
                        "control-plane",
                        "--local",
                        cpDir.toString(),
                        "--policies",
                        policies.toString(),
                        "--trust-domain",
                        TRUST_DOMAIN,
                        "--certificate-ttl",
                        DurationText.of(certificateTtl),
                        "--grpc-listen",
                        "127.0.0.1:" + grpcPort,
                        "--admin-listen",
                        "127.0.0.1:" + adminPort));
        processes.awaitReady(cp, URI.create("http://127.0.0.1:" + adminPort + "/ready"), timeout);
        report.progress("control plane: ready (identity + xDS on 127.0.0.1:" + grpcPort + ", admin on 127.0.0.1:"
                + adminPort + ")");

        for (Workload w : WORKLOADS) {
            List<String> app = new ArrayList<>(List.of(
                    "demo-app",
                    "--name",
                    w.name(),
                    "--http",
                    w.appHost() + ":" + (w.grpc() ? w.port() + 1 : w.port())));
            if (w.grpc()) {
                app.addAll(List.of("--grpc", w.appHost() + ":" + w.port()));
            }
            Processes.Child appProcess = processes.start(w.name() + "-app", app);
            processes.awaitReady(
                    appProcess,
                    URI.create("http://" + w.appHost() + ":" + (w.grpc() ? w.port() + 1 : w.port()) + "/"),
                    timeout);
            Processes.Child sidecar = processes.start(w.name() + "-sidecar", sidecarArgs(w, cpDir));
            processes.awaitReady(sidecar, URI.create("http://" + w.address() + ":15021/ready"), timeout);
            JsonNode certs = calls.admin(w, "/certs");
            report.progress(String.format(
                    java.util.Locale.ROOT,
                    "%-8s app %s:%d, sidecar ready as %s (certificate until %s)",
                    w.name(),
                    w.appHost(),
                    w.port(),
                    certs.path("svid").path("spiffeId").asText(),
                    certs.path("svid").path("notAfter").asText()));
        }
    }

    private List<String> sidecarArgs(Workload w, Path cpDir) {
        List<String> args = new ArrayList<>(List.of(
                "proxy",
                "--no-capture",
                "--trust-domain",
                TRUST_DOMAIN,
                "--namespace",
                NAMESPACE,
                "--service-account",
                w.name(),
                "--control-plane",
                "127.0.0.1:" + grpcPort,
                "--ca-bundle",
                cpDir.resolve("ca/bundle.pem").toString(),
                "--token-file",
                dir.resolve("tokens").resolve(w.name()).toString(),
                "--inbound-for",
                w.port() + "=" + w.address() + ":" + w.port(),
                "--app-host",
                w.appHost(),
                "--upstream-bind",
                w.address(),
                "--admin",
                w.address() + ":15000",
                "--health",
                w.address() + ":15021",
                "--flow-log-dir",
                dir.resolve("flows").resolve(w.name()).toString(),
                "--drain-timeout",
                "2s"));
        if (w == FRONTEND) {
            args.addAll(List.of(
                    "--upstream", "orders=" + ORDERS_UPSTREAM + ":" + ORDERS.address() + ":8080:" + ORDERS.id()));
            args.addAll(List.of(
                    "--upstream",
                    "payments=" + PAYMENTS_UPSTREAM + ":" + PAYMENTS.address() + ":9090:" + PAYMENTS.id()));
        } else if (w == ORDERS) {
            args.addAll(List.of(
                    "--upstream",
                    "payments=" + PAYMENTS_UPSTREAM + ":" + PAYMENTS.address() + ":9090:" + PAYMENTS.id()));
        }
        return args;
    }

    /** The scripted scenario. */
    public void scenario() throws IOException, InterruptedException, DemoException {
        report.section("Allowed calls (mTLS between sidecars; the app sees who called)");
        DemoClient.HttpResult orders = get(FRONTEND, ORDERS, "/orders", Map.of());
        report.check("frontend -> orders   GET /orders", "200", Integer.toString(orders.status()));
        report.check("  orders' app saw the caller", FRONTEND.id(), peerSeenByApp(orders));
        report.check("orders -> payments   gRPC Charge", "OK", grpcCharge(ORDERS));
        report.check("orders -> payments   gRPC Watch (stream)", "3 messages", grpcWatch(ORDERS));

        report.section("Denied calls");
        report.check(
                "frontend -> payments gRPC Charge (no policy allows it)", "PERMISSION_DENIED", grpcCharge(FRONTEND));
        report.check(
                "frontend -> orders   GET /admin (DENY policy)",
                "403",
                Integer.toString(get(FRONTEND, ORDERS, "/admin", Map.of()).status()));
        report.check(
                "frontend -> orders   GET /orders/..%2Fadmin (encoded path)",
                "400",
                Integer.toString(
                        get(FRONTEND, ORDERS, "/orders/..%2Fadmin", Map.of()).status()));
        DemoClient.HttpResult smuggled =
                get(FRONTEND, ORDERS, "/orders", Map.of("X-Palisade-Peer-Identity", PAYMENTS.id()));
        report.check("frontend -> orders   with a forged identity header", FRONTEND.id(), peerSeenByApp(smuggled));
        report.check("plaintext client -> orders (STRICT mTLS)", "refused", calls.plaintext(ORDERS));

        report.section("Certificate rotation and a policy edit, with traffic flowing");
        Map<String, String> serials = new LinkedHashMap<>();
        for (Workload w : WORKLOADS) {
            serials.put(w.name(), serial(w));
        }
        report.check(
                "frontend -> orders   GET /catalog (before the edit)",
                "403",
                Integer.toString(get(FRONTEND, ORDERS, "/catalog", Map.of()).status()));
        String configVersion = calls.admin(ORDERS, "/config").path("version").asText();
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>("");
        Thread traffic = new Thread(
                () -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        try {
                            int status = get(FRONTEND, ORDERS, "/orders/" + sent.get(), Map.of())
                                    .status();
                            if (status != 200) {
                                failed.incrementAndGet();
                                firstFailure.compareAndSet("", "HTTP " + status);
                            }
                        } catch (IOException e) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet("", e.toString());
                        } catch (InterruptedException e) {
                            return;
                        }
                        sent.incrementAndGet();
                        try {
                            Thread.sleep(25);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "demo-traffic");
        traffic.setDaemon(true);
        traffic.start();
        try {
            Files.writeString(dir.resolve("policies/catalog.yaml"), CATALOG_POLICY);
            report.progress("policy edit: wrote policies/catalog.yaml (frontend may GET /catalog on orders)");
            String newVersion = awaitChange(
                    () -> calls.admin(ORDERS, "/config").path("version").asText(), configVersion);
            report.progress("orders' sidecar applied config " + newVersion);
            report.check(
                    "frontend -> orders   GET /catalog (after the edit)",
                    "200",
                    Integer.toString(get(FRONTEND, ORDERS, "/catalog", Map.of()).status()));
            report.progress("waiting for every sidecar to renew its certificate (half its lifetime)…");
            for (Workload w : WORKLOADS) {
                String renewed = awaitChange(() -> serial(w), serials.getOrDefault(w.name(), ""));
                report.progress(w.name() + ": new certificate, serial " + renewed.substring(0, 12) + "…");
            }
        } finally {
            traffic.interrupt();
            traffic.join(5000);
        }
        report.fact("trafficDuringRotation", sent.get());
        report.check(
                "requests failed during rotation + edit",
                "0 of " + sent.get(),
                failed.get() + " of " + sent.get() + firstFailureText(firstFailure));
    }

    /**
     * The audit trail: every sidecar's JSON-lines flow log, counted and verified (the hash chain and the signed
     * checkpoints against the mesh's trust bundle), and a summary of who called whom with what decision.
     */
    public void auditTrail() throws IOException, InterruptedException {
        report.section("Audit trail: each sidecar's flow log (hash-chained, checkpoints signed with its SVID)");
        TrustBundleSet bundle = TrustBundleSet.of(
                TrustBundle.read(TrustDomain.parse(TRUST_DOMAIN), dir.resolve("control-plane/ca/bundle.pem")));
        Map<String, Integer> summary = new java.util.TreeMap<>();
        Thread.sleep(1500); // the file writer is asynchronous: let the last records land
        for (Workload w : WORKLOADS) {
            Path flows = dir.resolve("flows").resolve(w.name());
            List<Path> files = FlowLogFile.filesInOrder(flows, FlowLogFile.DEFAULT_NAME);
            int records = 0;
            for (Path file : files) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    Entry entry = FlowEntries.parseJson(line);
                    if (!entry.hasRecord()) {
                        continue;
                    }
                    records++;
                    FlowRecord r = entry.getRecord();
                    if (r.getDirection() == Direction.INBOUND) {
                        String decision = r.getDecision() == Decision.DECISION_UNSPECIFIED
                                ? (r.getRejectionReason().isEmpty() ? "none" : "rejected")
                                : r.getDecision().name().toLowerCase(java.util.Locale.ROOT);
                        summary.merge(
                                shortId(r.getSourceId()) + " -> " + shortId(r.getDestinationId()) + "  " + decision,
                                1,
                                Integer::sum);
                    }
                }
            }
            report.fact("flowRecords." + w.name(), records);
            VerifyResult verified = FlowVerifier.of(bundle).verifyFiles(files);
            report.progress(String.format(
                    java.util.Locale.ROOT, "%-8s %5d records in %s", w.name(), records, dir.relativize(flows)));
            report.check(
                    "flow log of " + w.name() + " verifies", "whole", verified.whole() ? "whole" : verified.summary());
        }
        report.progress("");
        report.progress(String.format(
                java.util.Locale.ROOT, "%-44s %s", "inbound calls (source -> destination, decision)", "count"));
        summary.forEach((k, v) -> report.progress(String.format(java.util.Locale.ROOT, "%-44s %5d", k, v)));
        report.fact("summary", summary);
        int local = 0;
        for (Workload w : WORKLOADS) {
            Object n = report.facts().get("flowRecords." + w.name());
            local += n instanceof Integer i ? i : 0;
        }
        controlPlaneStore(local);
    }

    /**
     * The same records, as the control plane's collector stored them (each sidecar ships its chain over Envoy's
     * AccessLogService): as many as in the sidecars' files, {@code palisade flows --summary}, and {@code palisade
     * flows verify} of every chain in the store.
     */
    private void controlPlaneStore(int localRecords) throws IOException, InterruptedException {
        report.section("The control plane's flow store (shipped over Envoy's AccessLogService)");
        String server = "http://127.0.0.1:" + adminPort;
        long stored = -1;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Tool summary = runTool(List.of("flows", "--server", server, "--summary", "-o", "json", "--since", "2h"));
            stored = summary.exit() == 0 ? sumCounts(JSON.readTree(summary.output())) : -1;
            if (stored >= localRecords) {
                break;
            }
            Thread.sleep(500);
        }
        report.check(
                "records in the store (as in the sidecars' files)",
                Integer.toString(localRecords),
                Long.toString(stored));
        Tool table = runTool(List.of("flows", "--server", server, "--summary", "--since", "2h"));
        report.progress("$ palisade flows --summary");
        for (String line : table.output().split("\n")) {
            report.progress(line);
        }
        Tool verify = runTool(List.of("flows", "verify", "--server", server));
        report.check("palisade flows verify (every chain in the store)", "exit 0", "exit " + verify.exit());
        if (verify.exit() != 0) {
            report.progress(verify.output());
        }
    }

    /** The output of one {@code palisade} command run where the control plane's admin port is reachable. */
    record Tool(int exit, String output) {}

    private Tool runTool(List<String> args) throws IOException, InterruptedException {
        List<String> command = netns != null ? netns.inNamespace("hub", false, args) : processes.withJava(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Tool(-1, "timed out");
        }
        return new Tool(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
    }

    private static long sumCounts(JsonNode node) {
        long sum = 0;
        if (node.isObject() && node.has("count") && node.get("count").isNumber()) {
            sum += node.get("count").asLong();
        }
        for (JsonNode child : node) {
            sum += sumCounts(child);
        }
        return sum;
    }

    private static String shortId(String spiffeId) {
        int sa = spiffeId.lastIndexOf("/sa/");
        return spiffeId.isEmpty() ? "(plaintext)" : sa < 0 ? spiffeId : spiffeId.substring(sa + 4);
    }

    private static String firstFailureText(AtomicReference<String> first) {
        String text = first.get();
        return text == null || text.isEmpty() ? "" : " (first: " + text + ")";
    }

    /** The commands to explore further, printed at the end. */
    public void printExplore(PrintWriter out, boolean kept) {
        out.println();
        out.println("== Explore");
        if (netns != null) {
            printExploreNetns(netns, out, kept);
        } else if (kept) {
            out.println("   the mesh keeps running (--keep); its processes' logs are in " + dir.resolve("logs"));
            out.println("   curl -s http://127.0.0.12:15000/config      # orders' sidecar: policies, mode, peers");
            out.println("   curl -s http://127.0.0.12:15000/certs       # its SVID and trust bundle");
            out.println("   curl -s http://127.0.0.12:15000/metrics     # Prometheus metrics");
            out.println("   curl -s http://127.0.0.11:18080/orders      # frontend -> orders through both sidecars");
            out.println("   stop it: kill "
                    + processes.children().stream()
                            .map(c -> Long.toString(c.process().pid()))
                            .reduce((a, b) -> a + " " + b)
                            .orElse(""));
        } else {
            out.println("   ./palisade demo --keep                     # leave the mesh running to poke at it");
        }
        out.println("   ./palisade authz check --help                # why would a request be allowed?");
        out.flush();
    }

    @Override
    public void close() {
        processes.close();
        calls.close();
        if (netns != null) {
            netns.close();
        }
    }

    /** Leaves the processes running (for --keep): close() then stops nothing. */
    public void detach() {
        processes.forget();
        if (netns != null) {
            netns.detach();
        }
    }

    private void printExploreNetns(NetnsTopology netns, PrintWriter out, boolean kept) {
        String orders = netns.namespace(ORDERS.name());
        if (kept) {
            out.println("   the mesh keeps running (--keep); its processes' logs are in " + dir.resolve("logs"));
            out.println("   ip netns exec " + orders + " iptables -t nat -S   # orders' capture rules");
            out.println("   ip netns exec " + netns.namespace(FRONTEND.name()) + " java -cp " + dir.resolve("sidecar")
                    + "/palisade.jar dev.palisade.cli.Palisade demo-call --url http://" + netns.address(ORDERS)
                    + ":8080/orders   # frontend -> orders, captured");
            out.println("   stop it: kill "
                    + processes.children().stream()
                            .map(c -> Long.toString(c.process().pid()))
                            .reduce((a, b) -> a + " " + b)
                            .orElse(""));
            out.println("   then:    " + String.join("; ", netns.removal()));
        } else {
            out.println("   ./palisade demo --mode netns --keep        # leave the namespaces running to poke at them");
        }
    }

    // ---- calls -----------------------------------------------------------------------------------------------------

    private DemoClient.HttpResult get(Workload from, Workload to, String path, Map<String, String> headers)
            throws IOException, InterruptedException {
        return calls.get(from, to, path, headers);
    }

    private static String peerSeenByApp(DemoClient.HttpResult response) throws IOException {
        if (response.status() != 200) {
            return "HTTP " + response.status();
        }
        JsonNode body = JSON.readTree(response.body());
        return body.path("peerHeaderCount").asInt() == 1
                ? body.path("peer").asText()
                : body.path("peerHeaderCount").asText() + " identity headers";
    }

    private String grpcCharge(Workload from) throws IOException, InterruptedException {
        DemoClient.GrpcResult result = calls.grpc(from, DemoApp.CHARGE);
        if (!result.code().equals("OK")) {
            return result.code();
        }
        String text = String.join(" ", result.messages());
        return text.endsWith(from.id()) ? "OK" : "OK but: " + text;
    }

    private String grpcWatch(Workload from) throws IOException, InterruptedException {
        DemoClient.GrpcResult result = calls.grpc(from, DemoApp.WATCH);
        return result.code().equals("OK") ? result.messages().size() + " messages" : result.code();
    }

    private String serial(Workload w) throws IOException, InterruptedException {
        return calls.admin(w, "/certs").path("svid").path("serial").asText();
    }

    /** A value read until it differs from {@code before}, within the step timeout. */
    private String awaitChange(Reader reader, String before) throws IOException, InterruptedException, DemoException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String now = reader.read();
            if (!now.equals(before) && !now.isEmpty()) {
                return now;
            }
            Thread.sleep(200);
        }
        throw new DemoException("timed out after " + timeout.toSeconds() + " s waiting for a change from " + before);
    }

    @FunctionalInterface
    private interface Reader {
        String read() throws IOException, InterruptedException;
    }

    /** Durations as the CLI writes them. */
    static final class DurationText {
        private DurationText() {}

        static String of(Duration d) {
            return d.toSeconds() % 60 == 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
        }
    }
}
