package dev.palisade.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import dev.palisade.controlplane.config.OtlpConfig;
import dev.palisade.controlplane.flows.AccessLogStreams;
import dev.palisade.controlplane.otlp.OtlpFlowExporter;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP export end to end: a local-mode control plane with {@code otlp} configured, a sidecar's chain sent over ALS
 * with mTLS, and a loopback OTLP/HTTP receiver that decodes what arrives. Each stored record arrives once with its
 * attributes; a down or slow receiver changes nothing for ingest, and every record not exported is counted.
 */
@Timeout(90)
class ControlPlaneOtlpIT {
    static final TrustDomain TD = TrustDomain.parse("demo.local");
    static final SpiffeId ORDERS = SpiffeId.forWorkload(TD, "shop", "orders");
    static final SpiffeId PAYMENTS = ControlPlaneIT.PAYMENTS;
    static final TlsOptions GRPC_TLS = AdsClient.GRPC_TLS;

    @TempDir
    Path dir;

    @Nullable
    ControlPlane cp;

    @Nullable
    OtlpReceiver receiver;

    TrustBundleSet bootstrap;
    final HttpClient http = HttpClient.newHttpClient();

    ControlPlane start(OtlpConfig otlp) throws Exception {
        Path policies = Files.createDirectories(dir.resolve("policies"));
        try (Stream<Path> examples = Files.list(Path.of("../examples/policies"))) {
            for (Path p : examples.toList()) {
                Files.copy(p, policies.resolve(p.getFileName()));
            }
        }
        Files.writeString(dir.resolve("tokens"), "orders-token-0123456789 shop orders\n");
        LocalConfig config = LocalConfig.defaults(dir, MeshConfig.defaults(TD))
                .withAddresses(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0))
                .withOtlp(otlp);
        ControlPlane started = ControlPlane.startLocal(config, Clock.systemUTC());
        cp = started;
        bootstrap = TrustBundleSet.of(TrustBundle.read(TD, dir.resolve("ca/bundle.pem")));
        return started;
    }

    @AfterEach
    void stop() {
        if (cp != null) {
            cp.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    @Test
    void eachStoredRecordArrivesOnceWithItsAttributes() throws Exception {
        OtlpReceiver otlp = new OtlpReceiver();
        receiver = otlp;
        ControlPlane cp =
                start(OtlpConfig.of(otlp.url()).withQueue(2048, 16, Duration.ofMillis(200), Duration.ofSeconds(5)));
        IssuedIdentity orders = bootstrapOrders(cp);
        List<Entry> chain = ControlPlaneIT.chainOf(orders, 40);
        List<FlowRecord> records =
                chain.stream().filter(Entry::hasRecord).map(Entry::getRecord).toList();

        assertThat(send(cp, orders, chain)).isEqualTo(Status.OK);
        // A re-send after a reconnect: duplicates are not stored again, so not exported again.
        assertThat(send(cp, orders, chain.subList(0, 20))).isEqualTo(Status.OK);

        await().atMost(Duration.ofSeconds(20)).until(() -> otlp.logs.size() >= records.size());
        Thread.sleep(600); // three schedule delays: anything exported twice would have arrived
        assertThat(otlp.logs).hasSize(records.size());
        Map<Long, OtlpReceiver.Log> bySeq = otlp.logs.stream()
                .collect(Collectors.toMap(l -> (Long) l.attributes().get("palisade.seq"), l -> l));
        assertThat(bySeq).hasSize(records.size());

        ObjectMapper json = new ObjectMapper();
        for (Entry e : chain) {
            if (!e.hasRecord()) {
                assertThat(bySeq).doesNotContainKey(e.getSeq());
                continue;
            }
            FlowRecord r = e.getRecord();
            OtlpReceiver.Log log = bySeq.get(e.getSeq());
            assertThat(log).as("seq %d", e.getSeq()).isNotNull();
            assertThat(log.timeUnixNano()).isEqualTo(r.getStartUnixNanos());
            assertThat(log.observedTimeUnixNano()).isPositive();
            assertThat(log.eventName()).isEqualTo(OtlpFlowExporter.EVENT_NAME);
            assertThat(log.scope()).isEqualTo(OtlpFlowExporter.SCOPE);
            assertThat(log.resource()).containsEntry("service.name", "palisade-control-plane");
            boolean deny = r.getStatus() == 403;
            assertThat(log.severityNumber()).isEqualTo(deny ? 13 : 9);
            assertThat(log.attributes())
                    .containsEntry("palisade.sidecar", ORDERS.toString())
                    .containsEntry("palisade.source.id", PAYMENTS.toString())
                    .containsEntry("palisade.destination.id", ORDERS.toString())
                    .containsEntry("http.request.method", "GET")
                    .containsEntry("url.path", r.getPath())
                    .containsEntry("http.response.status_code", (long) r.getStatus())
                    .containsEntry("palisade.decision", deny ? "deny" : "allow")
                    .containsEntry("palisade.policy", r.getPolicy())
                    .containsEntry("palisade.rule", (long) r.getRule())
                    .containsEntry("palisade.protocol", "http1");
            // The body is the flows API's row.
            JsonNode body = json.readTree((String) log.body());
            assertThat(body.path("sidecar").asText()).isEqualTo(ORDERS.toString());
            assertThat(body.path("seq").asLong()).isEqualTo(e.getSeq());
            assertThat(body.path("decision").asText()).isEqualTo(deny ? "deny" : "allow");
            assertThat(body.path("record").path("path").asText()).isEqualTo(r.getPath());
        }
        // The exporter counts a request once its answer is in, just after the receiver has the records.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(get(cp, "/metrics"))
                .contains("palisade_flow_otlp_exported_total " + records.size() + ".0")
                .contains("palisade_flow_otlp_dropped_total{reason=\"queue_full\"} 0")
                .contains("palisade_flow_otlp_dropped_total{reason=\"export_failed\"} 0"));
    }

    @Test
    void aSlowReceiverNeverHoldsIngestAndDropsAreCounted() throws Exception {
        OtlpReceiver otlp = new OtlpReceiver();
        receiver = otlp;
        otlp.answerAfter(3_000);
        // A queue of 8 in front of an endpoint that answers in 3 s, after the exporter has given up at 1 s.
        ControlPlane cp =
                start(OtlpConfig.of(otlp.url()).withQueue(8, 4, Duration.ofMillis(50), Duration.ofSeconds(1)));
        assertIngestUnaffectedAndLossCounted(cp, 300, "queue_full");
    }

    @Test
    void aReceiverThatIsDownNeverHoldsIngestAndDropsAreCounted() throws Exception {
        OtlpReceiver down = new OtlpReceiver();
        String url = down.url();
        down.close(); // nothing listens there now: connections are refused
        ControlPlane cp = start(OtlpConfig.of(url).withQueue(8, 4, Duration.ofMillis(50), Duration.ofSeconds(1)));
        // Refused connections fail each export request (after the exporter's retries).
        assertIngestUnaffectedAndLossCounted(cp, 300, "export_failed");
    }

    private void assertIngestUnaffectedAndLossCounted(ControlPlane cp, int n, String reason) throws Exception {
        IssuedIdentity orders = bootstrapOrders(cp);
        List<Entry> chain = ControlPlaneIT.chainOf(orders, n);
        long records = chain.stream().filter(Entry::hasRecord).count();
        long started = System.nanoTime();
        // The ALS response comes after every entry is stored: its time is the ingest time.
        assertThat(send(cp, orders, chain)).isEqualTo(Status.OK);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(cp.flowStore().size()).isEqualTo(chain.size());
        assertThat(cp.flowCollector().entriesStored()).isEqualTo(chain.size());
        assertThat(millis)
                .as("ingest of %d entries with the OTLP endpoint down or slow", chain.size())
                .isLessThan(5_000);

        OtlpFlowExporter exporter = Objects.requireNonNull(cp.otlpExporter());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(get(cp, "/metrics"))
                .containsPattern("palisade_flow_otlp_dropped_total\\{reason=\"" + reason + "\"} [1-9]"));
        cp.close();
        // Every stored record is accounted for: exported, or dropped with a reason.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(exporter.exported()
                        + exporter.droppedQueueFull()
                        + exporter.droppedExportFailed()
                        + exporter.droppedShutdown())
                .isEqualTo(records));
    }

    IssuedIdentity bootstrapOrders(ControlPlane cp) throws Exception {
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

    Status send(ControlPlane cp, IssuedIdentity identity, List<Entry> entries) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", cp.grpcPort())
                .sslContext(SpiffeSslContexts.forClient(
                        identity.svid(), bootstrap, GRPC_TLS, PeerAuthorizer.exactly(cp.selfId())))
                .build();
        try {
            return AccessLogStreams.send(channel, AccessLogStreams.messages(ORDERS.toString(), entries, 10));
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    String get(ControlPlane cp, String path) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + cp.adminAddress().getPort() + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
