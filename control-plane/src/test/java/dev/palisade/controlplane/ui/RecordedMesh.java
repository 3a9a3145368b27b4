package dev.palisade.controlplane.ui;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.identity.IdentityClient;
import dev.palisade.certs.identity.IssuedIdentity;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.controlplane.ControlPlane;
import dev.palisade.controlplane.config.AdminToken;
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.flows.AccessLogStreams;
import dev.palisade.flowlog.CheckpointSigner;
import dev.palisade.flowlog.FlowChain;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A local-mode control plane with the demo policies (examples/policies) and an admin token, whose sidecars bootstrap
 * their SVIDs with tokens and ship signed flow-log chains through the real ALS collector over mTLS — the way
 * ControlPlaneIT does, with chains that can be continued (a later batch carries on the same sequence).
 */
final class RecordedMesh implements AutoCloseable {
    static final TrustDomain TD = TrustDomain.parse("demo.local");
    static final TlsOptions GRPC_TLS = TlsOptions.defaults().withAlpn(List.of("h2"));

    final Path dir;
    final ControlPlane cp;
    final TrustBundleSet bootstrap;
    private final Map<String, Sidecar> sidecars = new HashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();

    /** One sidecar's chain and the entries it has not shipped yet. */
    static final class Sidecar {
        final IssuedIdentity identity;
        final List<Entry> pending = new ArrayList<>();
        final FlowChain chain;

        Sidecar(IssuedIdentity identity) {
            this.identity = identity;
            this.chain = FlowChain.builder(
                            identity.svid().id(),
                            CheckpointSigner.of(
                                    identity.svid().privateKey(),
                                    identity.svid().chain()))
                    .checkpointEvery(50)
                    .checkpointInterval(Duration.ofHours(1))
                    .build(pending::add);
        }
    }

    /**
     * Starts the control plane in {@code dir} with the demo policies plus {@code extraPolicies} (file name → YAML),
     * bootstrap tokens for {@code workloads} ("namespace/service-account") and the admin token {@code adminToken}.
     */
    RecordedMesh(Path dir, Map<String, String> extraPolicies, List<String> workloads, String adminToken)
            throws Exception {
        this.dir = dir;
        Path policies = Files.createDirectories(dir.resolve("policies"));
        try (Stream<Path> examples = Files.list(Path.of("../examples/policies"))) {
            for (Path p : examples.toList()) {
                Files.copy(p, policies.resolve(p.getFileName()));
            }
        }
        for (Map.Entry<String, String> e : extraPolicies.entrySet()) {
            Files.writeString(policies.resolve(e.getKey()), e.getValue());
        }
        StringBuilder tokens = new StringBuilder();
        for (String w : workloads) {
            String[] nsSa = w.split("/", 2);
            tokens.append(tokenOf(w))
                    .append(' ')
                    .append(nsSa[0])
                    .append(' ')
                    .append(nsSa[1])
                    .append('\n');
        }
        Files.writeString(dir.resolve("tokens"), tokens.toString());
        LocalConfig config = LocalConfig.defaults(dir, MeshConfig.defaults(TD))
                .withAddresses(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0))
                .withAdminToken(AdminToken.parse(adminToken, "test"));
        cp = ControlPlane.startLocal(config, Clock.systemUTC());
        try {
            bootstrap = TrustBundleSet.of(TrustBundle.read(TD, dir.resolve("ca/bundle.pem")));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (status("/ready") != 200 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            if (status("/ready") != 200) {
                throw new IllegalStateException("the control plane did not get ready within 10 s");
            }
            for (String w : workloads) {
                String[] nsSa = w.split("/", 2);
                SpiffeId id = SpiffeId.forWorkload(TD, nsSa[0], nsSa[1]);
                sidecars.put(id.toString(), new Sidecar(bootstrapIdentity(id, tokenOf(w))));
            }
        } catch (Exception e) {
            cp.close();
            throw e;
        }
    }

    static String id(String namespace, String serviceAccount) {
        return SpiffeId.forWorkload(TD, namespace, serviceAccount).toString();
    }

    private static String tokenOf(String workload) {
        return workload.replace('/', '-') + "-bootstrap-token-0123456789";
    }

    /** The admin port's base URL, {@code http://127.0.0.1:PORT}. */
    String adminUrl() {
        return "http://127.0.0.1:" + cp.adminAddress().getPort();
    }

    int status(String path) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(adminUrl() + path)).build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private IssuedIdentity bootstrapIdentity(SpiffeId id, String token) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cp.grpcPort())
                .sslContext(
                        SpiffeSslContexts.forAnonymousClient(bootstrap, GRPC_TLS, PeerAuthorizer.exactly(cp.selfId())))
                .build();
        try {
            return new IdentityClient(channel, KeyAlgorithm.EC_P256, Clock.systemUTC(), Duration.ofSeconds(10))
                    .request(id, token, Duration.ZERO);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Appends a record to the chain of the sidecar of its destination (not shipped until {@link #ship}). */
    void record(FlowRecord record) {
        Sidecar s = sidecars.get(record.getDestinationId());
        if (s == null) {
            throw new IllegalArgumentException(
                    "record.destination_id: '" + record.getDestinationId() + "' has no sidecar in this mesh");
        }
        s.chain.append(record);
    }

    /** Checkpoints every chain and ships what each sidecar has not shipped yet, one ALS stream per sidecar. */
    void ship() throws Exception {
        for (Map.Entry<String, Sidecar> e : sidecars.entrySet()) {
            Sidecar s = e.getValue();
            s.chain.checkpoint();
            if (s.pending.isEmpty()) {
                continue;
            }
            Status status = send(s.identity, AccessLogStreams.messages(e.getKey(), List.copyOf(s.pending), 25));
            if (!status.isOk()) {
                throw new IllegalStateException("shipping the flows of " + e.getKey() + " failed: " + status);
            }
            s.pending.clear();
        }
    }

    private Status send(IssuedIdentity identity, List<StreamAccessLogsMessage> messages) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cp.grpcPort())
                .sslContext(SpiffeSslContexts.forClient(
                        identity.svid(), bootstrap, GRPC_TLS, PeerAuthorizer.exactly(cp.selfId())))
                .build();
        try {
            return AccessLogStreams.send(channel, messages);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        cp.close();
    }
}
