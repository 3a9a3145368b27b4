package dev.palisade.cli.mesh;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.cli.demo.DemoApp;
import dev.palisade.controlplane.ControlPlane;
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.proxy.flow.FlowEvent;
import dev.palisade.proxy.inbound.InboundLimits;
import dev.palisade.proxy.outbound.ExplicitUpstream;
import dev.palisade.proxy.outbound.OutsideMeshPolicy;
import dev.palisade.proxy.sidecar.ExplicitInbound;
import dev.palisade.proxy.sidecar.Sidecar;
import dev.palisade.proxy.sidecar.SidecarConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The demo mesh in one JVM for the end-to-end tests: a local-mode control plane with the example policies, and three
 * workloads — frontend, orders, payments — each a {@link DemoApp} behind a real {@link Sidecar} with explicit
 * listeners on its own loopback addresses. Everything between them is real sockets and real mTLS; only the process
 * boundary is missing (the demo and {@code PalisadeJarIT} cover that).
 *
 * <p>Addresses: workload {@code W} at {@code 127.<a>.<b>.1W} (11, 12, 13), its app at {@code 127.<a>.<b>.11W}, with
 * a random {@code a.b} per mesh so that parallel runs do not collide.
 */
final class LocalMesh implements AutoCloseable {
    static final TrustDomain TD = TrustDomain.parse("demo.local");
    static final SpiffeId FRONTEND = SpiffeId.parse("spiffe://demo.local/ns/shop/sa/frontend");
    static final SpiffeId ORDERS = SpiffeId.parse("spiffe://demo.local/ns/shop/sa/orders");
    static final SpiffeId PAYMENTS = SpiffeId.parse("spiffe://demo.local/ns/shop/sa/payments");

    final Path dir;
    final String prefix;
    private final LocalConfig controlPlaneConfig;
    private final boolean flowLogs;
    volatile ControlPlane controlPlane;
    final Map<String, Sidecar> sidecars = new ConcurrentHashMap<>();
    final Map<String, List<FlowEvent>> flows = new ConcurrentHashMap<>();
    final List<DemoApp> apps = new CopyOnWriteArrayList<>();

    private LocalMesh(
            Path dir, String prefix, LocalConfig controlPlaneConfig, ControlPlane controlPlane, boolean flowLogs) {
        this.dir = dir;
        this.prefix = prefix;
        this.controlPlaneConfig = controlPlaneConfig;
        this.controlPlane = controlPlane;
        this.flowLogs = flowLogs;
    }

    /** Starts the control plane and the three workloads; returns once every sidecar is ready. */
    static LocalMesh start(Path dir, Duration workloadTtl) throws Exception {
        return start(dir, workloadTtl, false);
    }

    /**
     * As {@link #start(Path, Duration)}; with {@code flowLogs}, every sidecar also writes its flow log to {@code
     * dir/flows/<name>} and ships it to the control plane's collector, as {@code palisade proxy --flow-log-dir} does.
     */
    static LocalMesh start(Path dir, Duration workloadTtl, boolean flowLogs) throws Exception {
        SecureRandom random = new SecureRandom();
        String prefix = "127." + (100 + random.nextInt(100)) + "." + (1 + random.nextInt(250)) + ".";
        Path policies = Files.createDirectories(dir.resolve("policies"));
        try (Stream<Path> examples = Files.list(Path.of("../examples/policies"))) {
            for (Path p : examples.toList()) {
                String text = Files.readString(p, StandardCharsets.UTF_8).replace("127.0.0.", prefix);
                Files.writeString(policies.resolve(p.getFileName()), text, StandardCharsets.UTF_8);
            }
        }
        Files.writeString(
                dir.resolve("tokens"),
                "frontend-token-0123456789 shop frontend\n"
                        + "orders-token-0123456789 shop orders\n"
                        + "payments-token-0123456789 shop payments\n");
        LocalConfig config = LocalConfig.defaults(dir, MeshConfig.defaults(TD))
                .withAddresses(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0))
                .withTtls(workloadTtl, Duration.ofHours(24));
        ControlPlane cp = ControlPlane.startLocal(config, Clock.systemUTC());
        // A restart must come back on the same gRPC port: the sidecars were configured with it.
        LocalConfig again = config.withAddresses(
                new InetSocketAddress("127.0.0.1", cp.grpcPort()), new InetSocketAddress("127.0.0.1", 0));
        LocalMesh mesh = new LocalMesh(dir, prefix, again, cp, flowLogs);
        try {
            mesh.apps.add(DemoApp.start("orders", new InetSocketAddress(prefix + "112", 8080), null));
            mesh.apps.add(DemoApp.start(
                    "payments",
                    new InetSocketAddress(prefix + "113", 8081),
                    new InetSocketAddress(prefix + "113", 9090)));
            mesh.startSidecar(
                    "payments",
                    PAYMENTS,
                    "13",
                    List.of(new ExplicitInbound(9090, addr(prefix + "13", 9090))),
                    List.of());
            mesh.startSidecar(
                    "orders",
                    ORDERS,
                    "12",
                    List.of(new ExplicitInbound(8080, addr(prefix + "12", 8080))),
                    List.of(ExplicitUpstream.parse("payments=0:" + prefix + "13:9090:" + PAYMENTS)));
            mesh.startSidecar(
                    "frontend",
                    FRONTEND,
                    "11",
                    List.of(),
                    List.of(
                            ExplicitUpstream.parse("orders=0:" + prefix + "12:8080:" + ORDERS),
                            ExplicitUpstream.parse("payments=0:" + prefix + "13:9090:" + PAYMENTS)));
            return mesh;
        } catch (Exception | Error e) {
            mesh.close();
            throw e;
        }
    }

    private void startSidecar(
            String name, SpiffeId id, String octet, List<ExplicitInbound> inbound, List<ExplicitUpstream> upstreams)
            throws Exception {
        Path token = dir.resolve(name + ".token");
        Files.writeString(token, name + "-token-0123456789");
        List<FlowEvent> events = new CopyOnWriteArrayList<>();
        flows.put(name, events);
        SidecarConfig config = new SidecarConfig(
                id,
                new InetSocketAddress("127.0.0.1", controlPlane.grpcPort()),
                controlPlane.selfId(),
                dir.resolve("ca/bundle.pem"),
                token,
                null,
                inbound,
                null,
                upstreams,
                InetAddress.getByName(prefix + octet),
                InetAddress.getByName(prefix + "1" + octet),
                addr(prefix + octet, 0),
                addr(prefix + octet, 0),
                null,
                flowLogs ? dir.resolve("flows").resolve(name) : null,
                OutsideMeshPolicy.DENY,
                InboundLimits.defaults(),
                TlsOptions.defaults(),
                Duration.ofSeconds(2));
        sidecars.put(name, Sidecar.start(config, Clock.systemUTC(), events::add, Duration.ofSeconds(30)));
    }

    /** Stops the control plane (identity, xDS, the flow collector and its store); the sidecars keep serving. */
    void stopControlPlane() {
        controlPlane.close();
    }

    /**
     * Starts the control plane again from the same directory (CA, tokens, policies, flow store) on the same gRPC
     * port, retrying the bind for a few seconds.
     */
    void restartControlPlane() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                controlPlane = ControlPlane.startLocal(controlPlaneConfig, Clock.systemUTC());
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    static InetSocketAddress addr(String host, int port) {
        return new InetSocketAddress(host, port);
    }

    Sidecar sidecar(String name) {
        return sidecars.get(name);
    }

    /** Where the app of {@code from} connects to reach {@code upstream} through its sidecar. */
    InetSocketAddress upstream(String from, String upstream) {
        return sidecar(from).upstreamAddress(upstream);
    }

    /** The inbound listener of a workload, as a peer (or a plaintext client) reaches it. */
    InetSocketAddress inbound(String name) {
        return sidecar(name).inboundAddresses().get(0);
    }

    @Override
    public void close() {
        List<AutoCloseable> all = new ArrayList<>(sidecars.values());
        all.addAll(apps);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                // best effort: the test reports its own failure
            }
        }
        controlPlane.close();
    }

    /** The status of a GET of {@code url} (10 s timeout), or -1 when the request failed at the connection. */
    static int status(HttpClient http, String url) throws InterruptedException {
        try {
            return http.send(
                            HttpRequest.newBuilder(URI.create(url))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        }
    }
}
