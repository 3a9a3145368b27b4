package dev.palisade.proxy.xds;

import static dev.palisade.proxy.xds.XdsFixtures.PAYMENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.UInt32Value;
import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.proxy.config.AppProtocol;
import dev.palisade.proxy.config.ProxyConfig;
import dev.palisade.proxy.config.ProxyConfigHolder;
import dev.palisade.proxy.identity.Backoff;
import dev.palisade.testkit.pki.TestCertificate;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class XdsClientIT {
    private static final TrustDomain TD = TrustDomain.parse("cluster.local");
    private static final SpiffeId CONTROL_PLANE = SpiffeId.forWorkload(TD, "palisade-system", "palisade-control-plane");
    private static final SpiffeId ORDERS = SpiffeId.forWorkload(TD, "shop", "orders");
    private static final Duration WITHIN = Duration.ofSeconds(15);

    private static final TestCertificate ROOT = TestCertificate.root("palisade test root");
    private static final TrustBundleSet BUNDLES = TrustBundleSet.of(TrustBundle.of(TD, List.of(ROOT.certificate())));

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ProxyConfigHolder holder = new ProxyConfigHolder();
    private AdsTestServer server;
    private final List<XdsClient> clients = new ArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        server = new AdsTestServer(svid(CONTROL_PLANE), BUNDLES);
    }

    @AfterEach
    void stop() throws Exception {
        for (XdsClient client : clients) {
            client.close();
        }
        server.close();
        scheduler.shutdownNow();
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static X509Svid svid(SpiffeId id) {
        TestCertificate leaf = TestCertificate.leaf(id.toString(), ROOT);
        return X509Svid.of(leaf.chain(), leaf.privateKey());
    }

    private XdsClient client(SpiffeId certificate, SpiffeId nodeId) throws Exception {
        XdsClient client = new XdsClient(
                server.address(),
                SpiffeSslContexts.forClient(
                        svid(certificate), BUNDLES, AdsTestServer.GRPC_TLS, PeerAuthorizer.exactly(CONTROL_PLANE)),
                nodeId,
                holder,
                scheduler,
                new Backoff(Duration.ofMillis(50), Duration.ofMillis(400), 2, 0.2),
                Clock.systemUTC());
        clients.add(client);
        return client;
    }

    private static Snapshot snapshot(String version, Listener listener, List<Cluster> clusters) {
        return Snapshot.create(clusters, List.of(), List.of(listener), List.of(), List.of(), version);
    }

    private static Snapshot typical(String version) {
        XdsFixtures.Workload w = XdsFixtures.typical();
        return snapshot(version, w.listener(), w.clusters());
    }

    private ProxyConfig awaitVersion(String version) {
        await().atMost(WITHIN)
                .until(() -> holder.current().map(ProxyConfig::version).orElse(""), version::equals);
        return holder.require();
    }

    @Test
    void aClientWhoseNodeIdIsNotItsCertificateGetsNothing() throws Exception {
        SpiffeId payments = SpiffeId.parse(PAYMENTS);
        server.setSnapshot(payments, typical("v1"));
        XdsClient client = client(ORDERS, payments);
        client.start();

        await().atMost(WITHIN).until(() -> server.refused.get() >= 2); // refused, and refused again after backoff
        assertThat(holder.current()).isEmpty();
        assertThat(client.isReady()).isFalse();
        assertThat(client.streamsOpened()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void anInvalidSnapshotIsNackedAndTheLastGoodConfigStays() throws Exception {
        server.setSnapshot(ORDERS, typical("v1"));
        XdsClient client = client(ORDERS, ORDERS);
        client.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
        assertThat(awaitVersion("v1/v1").inbound()).containsOnlyKeys(8080, 9090, 5432);

        XdsFixtures.Workload w = XdsFixtures.typical();
        Listener bad = w.listener().toBuilder()
                .setFilterChains(
                        0,
                        w.listener().getFilterChains(0).toBuilder()
                                .setFilterChainMatch(w.listener().getFilterChains(0).getFilterChainMatch().toBuilder()
                                        .clearDestinationPort()))
                .build();
        server.setSnapshot(ORDERS, snapshot("v2", bad, w.clusters()));

        DiscoveryRequest nack = server.nacks.poll(WITHIN.toSeconds(), TimeUnit.SECONDS);
        assertThat(nack).as("a NACK reached the server").isNotNull();
        assertThat(nack.getErrorDetail().getMessage())
                .contains("Listener palisade-inbound")
                .contains("filter_chains[0].filter_chain_match.destination_port");
        assertThat(nack.getVersionInfo())
                .as("a NACK names the last accepted version")
                .isEqualTo("v1");
        await().atMost(WITHIN).until(() -> client.nackCount() >= 1);
        assertThat(holder.require().version()).isEqualTo("v1/v1");
        assertThat(client.version()).isEqualTo("v1/v1");
        assertThat(client.lastError()).hasValueSatisfying(e -> assertThat(e).contains("destination_port"));

        // A repaired snapshot is taken up despite the NACK loop being throttled.
        server.setSnapshot(ORDERS, typical("v3"));
        awaitVersion("v3/v3");
        assertThat(client.lastError()).isEmpty();
    }

    @Test
    void theFirstConfigArrivesAndASecondVersionReplacesIt() throws Exception {
        server.setSnapshot(ORDERS, typical("v1"));
        XdsClient client = client(ORDERS, ORDERS);
        ProxyConfig first = client.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
        assertThat(first.version()).isEqualTo("v1/v1");
        assertThat(holder.require()).isSameAs(first);
        assertThat(first.inboundPort(9090).protocol()).isEqualTo(AppProtocol.HTTP2);
        assertThat(client.lastUpdate()).isPresent();

        XdsFixtures.Workload w = XdsFixtures.typical();
        Listener onlyHttp = XdsFixtures.listener()
                .addFilterChains(w.listener().getFilterChains(0))
                .build();
        server.setSnapshot(ORDERS, snapshot("v2", onlyHttp, List.of(XdsFixtures.inboundCluster(8080, false))));
        ProxyConfig second = awaitVersion("v2/v2");
        assertThat(second.inbound()).containsOnlyKeys(8080);
        assertThat(second.outbound()).isEmpty();
        assertThat(client.nackCount()).isZero();
    }

    @Test
    void reconnectsToARestartedServerAndReceivesItsNewSnapshot() throws Exception {
        server.setSnapshot(ORDERS, typical("v1"));
        XdsClient client = client(ORDERS, ORDERS);
        client.start().get(WITHIN.toSeconds(), TimeUnit.SECONDS);

        server.stop();
        XdsFixtures.Workload w = XdsFixtures.typical();
        Listener moved = w.listener().toBuilder()
                .setFilterChains(
                        0,
                        w.listener().getFilterChains(0).toBuilder()
                                .setFilterChainMatch(w.listener().getFilterChains(0).getFilterChainMatch().toBuilder()
                                        .setDestinationPort(UInt32Value.of(8080))))
                .build();
        server.setSnapshot(ORDERS, snapshot("v2", moved, w.clusters()));
        assertThat(holder.require().version())
                .as("the last good config serves meanwhile")
                .isEqualTo("v1/v1");
        server.restart();

        awaitVersion("v2/v2");
        assertThat(client.streamsOpened()).isGreaterThanOrEqualTo(2);
    }
}
