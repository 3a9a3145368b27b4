package dev.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.flows.AccessLogStreams;
import dev.palisade.flowlog.CheckpointSigner;
import dev.palisade.flowlog.FlowChain;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local-mode control plane end to end: a sidecar bootstraps its SVID with a token, opens ADS with it, receives its
 * Listener and Clusters (every Any unpacks into its Envoy type), and sees a policy file edit within a second; a bad
 * edit changes nothing.
 */
@Timeout(60)
class ControlPlaneIT {
    static final String LISTENER = AdsClient.LISTENER;
    static final String CLUSTER = AdsClient.CLUSTER;
    static final TrustDomain TD = TrustDomain.parse("demo.local");
    static final SpiffeId ORDERS = SpiffeId.forWorkload(TD, "shop", "orders");
    static final SpiffeId PAYMENTS = SpiffeId.forWorkload(TD, "shop", "payments");
    static final TlsOptions GRPC_TLS = AdsClient.GRPC_TLS;

    @TempDir
    Path dir;

    ControlPlane cp;
    TrustBundleSet bootstrap;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        Path policies = Files.createDirectories(dir.resolve("policies"));
        try (Stream<Path> examples = Files.list(Path.of("../examples/policies"))) {
            for (Path p : examples.toList()) {
                Files.copy(p, policies.resolve(p.getFileName()));
            }
        }
        Files.writeString(dir.resolve("tokens"), "orders-token-0123456789 shop orders\n");
        LocalConfig config = LocalConfig.defaults(dir, MeshConfig.defaults(TD))
                .withAddresses(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0));
        cp = ControlPlane.startLocal(config, Clock.systemUTC());
        bootstrap = TrustBundleSet.of(TrustBundle.read(TD, dir.resolve("ca/bundle.pem")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (get("/ready").statusCode() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(get("/ready").statusCode()).isEqualTo(200);
    }

    @AfterEach
    void stop() {
        cp.close();
    }

    HttpResponse<String> get(String path) throws Exception {
        InetSocketAddress admin = cp.adminAddress();
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    IssuedIdentity bootstrapOrders() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cp.grpcPort())
                .sslContext(
                        SpiffeSslContexts.forAnonymousClient(bootstrap, GRPC_TLS, PeerAuthorizer.exactly(cp.selfId())))
                .build();
        try {
            return new IdentityClient(channel, KeyAlgorithm.EC_P256, Clock.systemUTC(), Duration.ofSeconds(10))
                    .request(ORDERS, "orders-token-0123456789", Duration.ZERO);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void sidecarGetsItsSvidAndValidEnvoyConfigAndSeesAPolicyEditWithinASecond() throws Exception {
        IssuedIdentity orders = bootstrapOrders();
        assertThat(orders.svid().id()).isEqualTo(ORDERS);

        try (AdsClient ads = new AdsClient(cp.grpcPort(), cp.selfId(), orders)) {
            ads.request(CLUSTER, "", "");
            DiscoveryResponse clusters = ads.next(Duration.ofSeconds(5));
            boolean paymentsExpected = false;
            for (var any : clusters.getResourcesList()) {
                Cluster c = any.unpack(Cluster.class);
                for (var m : EnvoyAnyWalker.unpackAll(c)) {
                    if (m instanceof UpstreamTlsContext tls
                            && tls
                                    .getCommonTlsContext()
                                    .getCombinedValidationContext()
                                    .getDefaultValidationContext()
                                    .getMatchTypedSubjectAltNamesList()
                                    .stream()
                                    .anyMatch(s -> s.getMatcher().getExact().equals(PAYMENTS.toString()))) {
                        paymentsExpected = true;
                    }
                }
            }
            assertThat(paymentsExpected)
                    .as("an outbound cluster expects payments' SPIFFE ID")
                    .isTrue();
            ads.request(CLUSTER, clusters.getVersionInfo(), clusters.getNonce());

            ads.request(LISTENER, "", "");
            DiscoveryResponse first = ads.next(Duration.ofSeconds(5));
            Listener listener = first.getResources(0).unpack(Listener.class);
            List<RBAC> rbac = EnvoyAnyWalker.unpackAll(listener).stream()
                    .filter(RBAC.class::isInstance)
                    .map(RBAC.class::cast)
                    .toList();
            assertThat(rbac).isNotEmpty();
            assertThat(rbac.stream().flatMap(r -> r.getRules().getPoliciesMap().keySet().stream()))
                    .contains("ns[shop]-policy[orders]-rule[0]");
            ads.request(LISTENER, first.getVersionInfo(), first.getNonce());

            // A bad edit: nothing is pushed, the error is visible, the old config stays.
            Path bad = dir.resolve("policies/zz-bad.yaml");
            Files.writeString(
                    bad,
                    "apiVersion: security.palisade.dev/v1\nkind: AuthorizationPolicy\n"
                            + "metadata: {name: broken, namespace: shop}\nspec: {action: MAYBE}\n");
            Object none = ads.responses.poll(1500, TimeUnit.MILLISECONDS);
            assertThat(none).as("a bad policy file pushes nothing").isNull();
            assertThat(get("/config").body()).contains("zz-bad.yaml").contains("MAYBE");
            assertThat(get("/metrics").body()).containsPattern("palisade_policy_loads_total\\{result=\"error\"} [1-9]");
            Files.delete(bad);

            // A good edit reaches the connected sidecar within a second.
            long written = System.nanoTime();
            Files.writeString(
                    dir.resolve("policies/zz-deny-secret.yaml"),
                    """
                    apiVersion: security.palisade.dev/v1
                    kind: AuthorizationPolicy
                    metadata: {name: deny-secret, namespace: shop}
                    spec:
                      selector: {matchLabels: {app: orders}}
                      action: DENY
                      rules:
                      - to: [{operation: {paths: ["/orders/secret"]}}]
                    """);
            DiscoveryResponse second = ads.next(LISTENER, Duration.ofSeconds(5));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written);
            assertThat(second.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
            Listener updated = second.getResources(0).unpack(Listener.class);
            assertThat(EnvoyAnyWalker.unpackAll(updated).stream()
                            .filter(RBAC.class::isInstance)
                            .map(RBAC.class::cast)
                            .flatMap(r -> r.getRules().getPoliciesMap().keySet().stream()))
                    .contains("ns[shop]-policy[deny-secret]-rule[0]");
            assertThat(millis).as("policy edit to sidecar").isLessThan(1000);
        }
    }

    @Test
    void collectorCountersOnMetricsMoveWithRealTraffic() throws Exception {
        IssuedIdentity orders = bootstrapOrders();
        List<Entry> chain = chainOf(orders, 25);
        assertThat(get("/metrics").body())
                .contains("palisade_flow_collector_batches_total 0")
                .contains("palisade_flow_collector_entries_total{outcome=\"received\"} 0")
                .contains("palisade_flow_collector_streams_refused_total 0")
                .contains("palisade_flow_collector_store_failures_total 0");

        assertThat(sendFlows(orders, AccessLogStreams.messages(ORDERS.toString(), chain, 10)))
                .isEqualTo(Status.OK);
        int batches = AccessLogStreams.messages(ORDERS.toString(), chain, 10).size();
        String metrics = get("/metrics").body();
        assertThat(metrics)
                .contains("palisade_flow_collector_batches_total " + batches + ".0")
                .contains("palisade_flow_collector_entries_total{outcome=\"received\"} " + chain.size() + ".0")
                .contains("palisade_flow_collector_entries_total{outcome=\"stored\"} " + chain.size() + ".0")
                .contains("palisade_flow_collector_entries_total{outcome=\"duplicate\"} 0");

        // A re-send after a reconnect: received again, stored once.
        assertThat(sendFlows(orders, AccessLogStreams.messages(ORDERS.toString(), chain.subList(0, 12), 10)))
                .isEqualTo(Status.OK);
        // Another sidecar's node id on orders' certificate: refused.
        assertThat(sendFlows(orders, AccessLogStreams.messages(PAYMENTS.toString(), chain, 10))
                        .getCode())
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        metrics = get("/metrics").body();
        assertThat(metrics)
                .contains("palisade_flow_collector_entries_total{outcome=\"received\"} " + (chain.size() + 12) + ".0")
                .contains("palisade_flow_collector_entries_total{outcome=\"stored\"} " + chain.size() + ".0")
                .contains("palisade_flow_collector_entries_total{outcome=\"duplicate\"} 12.0")
                .contains("palisade_flow_collector_entries_total{outcome=\"conflict\"} 0")
                .contains("palisade_flow_collector_streams_refused_total 1.0")
                .contains("palisade_flow_collector_store_failures_total 0");
        assertThat(cp.flowStore().size()).isEqualTo(chain.size());
    }

    /** {@code n} records of the sidecar of {@code identity}, signed with its SVID, then a checkpoint. */
    static List<Entry> chainOf(IssuedIdentity identity, int n) {
        List<Entry> out = new ArrayList<>();
        FlowChain chain = FlowChain.builder(
                        identity.svid().id(),
                        CheckpointSigner.of(
                                identity.svid().privateKey(), identity.svid().chain()))
                .checkpointEvery(10)
                .build(out::add);
        long t0 = Clock.systemUTC().millis() * 1_000_000L;
        for (int i = 0; i < n; i++) {
            chain.append(FlowRecord.newBuilder()
                    .setStartUnixNanos(t0 + i * 1_000_000L)
                    .setSourceId(PAYMENTS.toString())
                    .setDestinationId(identity.svid().id().toString())
                    .setProtocol(Protocol.HTTP1)
                    .setMethod("GET")
                    .setPath("/orders/" + i)
                    .setStatus(i % 5 == 0 ? 403 : 200)
                    .setDecision(i % 5 == 0 ? Decision.DENY : Decision.ALLOW)
                    .setPolicy(i % 5 == 0 ? "shop/deny-secret" : "shop/orders")
                    .setRule(i % 5 == 0 ? 0 : 1)
                    .build());
        }
        chain.checkpoint();
        return out;
    }

    Status sendFlows(IssuedIdentity identity, List<StreamAccessLogsMessage> messages) throws Exception {
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
}
