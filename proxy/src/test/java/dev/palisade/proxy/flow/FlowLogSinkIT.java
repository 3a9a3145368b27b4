package dev.palisade.proxy.flow;

import static dev.palisade.proxy.flow.FlowFixtures.BUNDLES;
import static dev.palisade.proxy.flow.FlowFixtures.CONTROL_PLANE;
import static dev.palisade.proxy.flow.FlowFixtures.SIDECAR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.PeerAuthorizer;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.flowlog.VerifyResult;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.GapCause;
import dev.palisade.proxy.identity.Backoff;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's flow log shipped to a test collector (Envoy ALS over real mTLS on loopback): order, resends after a
 * refusal or an outage, the spill cap, and that record() never waits for any of it.
 */
@Timeout(90)
class FlowLogSinkIT {
    private static final Logger logger = LoggerFactory.getLogger(FlowLogSinkIT.class);
    private static final Duration WITHIN = Duration.ofSeconds(30);
    private static final Backoff FAST = new Backoff(Duration.ofMillis(50), Duration.ofMillis(400), 2, 0.2);

    @TempDir
    Path dir;

    private AlsTestServer server;

    @BeforeEach
    void startCollector() throws Exception {
        server = new AlsTestServer(FlowFixtures.svid(CONTROL_PLANE), BUNDLES);
    }

    @AfterEach
    void stopCollector() throws Exception {
        server.close();
    }

    private static SslContext clientContext(SpiffeId certificate) {
        try {
            return SpiffeSslContexts.forClient(
                    FlowFixtures.svid(certificate),
                    BUNDLES,
                    AlsTestServer.GRPC_TLS,
                    PeerAuthorizer.exactly(CONTROL_PLANE));
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    private FlowLogSink.Settings.Builder settings(SpiffeId sidecar, SpiffeId certificate) {
        SslContext context = clientContext(certificate);
        return FlowLogSink.Settings.builder(sidecar, FlowFixtures::sidecarSvid)
                .file(dir.resolve("log"))
                .shipTo(server.address(), () -> context, dir.resolve("spill"))
                .checkpoints(100, Duration.ofHours(1))
                .batch(100, Duration.ofMillis(20))
                .backoff(FAST)
                .closeTimeout(WITHIN);
    }

    private FlowLogSink.Settings.Builder settings() {
        return settings(SIDECAR, SIDECAR);
    }

    /** The collector's copy is the file's chain, entry for entry, and verifies on its own. */
    private void assertCollectorHasTheWholeChain(int records) {
        List<Entry> file = FlowFixtures.fileEntries(dir.resolve("log"));
        List<Entry> collected = server.entries();
        assertThat(collected).hasSize(file.size());
        assertThat(collected).as("in chain order, each once").isEqualTo(file);
        assertThat(server.misplaced.get()).isZero();
        VerifyResult result = FlowFixtures.verifier().verify(collected.iterator());
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(records);
        assertThat(result.unverifiedEntries())
                .as("the last entry is the closing checkpoint")
                .isZero();
    }

    @Test
    void aSidecarWhoseNodeIdIsNotItsCertificateIsRefusedAndKeepsItsEntries() throws Exception {
        SpiffeId other = SpiffeId.forWorkload(FlowFixtures.TD, "shop", "other");
        FlowLogSink sink = FlowLogSink.open(
                settings(SIDECAR, other).closeTimeout(Duration.ofMillis(200)).build());
        try {
            for (int i = 0; i < 30; i++) {
                sink.record(FlowFixtures.event(i));
            }
            // The collector counts a refusal before the shipper has read it: wait for both sides.
            await().atMost(WITHIN).until(() -> server.refused.get() >= 3 && sink.shipFailures() >= 3);
            assertThat(server.size()).isZero();
            assertThat(sink.shipped()).isZero();
            assertThat(sink.queueDepth()).as("kept for the next attempt").isEqualTo(30);
        } finally {
            sink.close();
        }
        assertThat(server.size()).isZero();
    }

    @Test
    void aCleanShutdownWithTheCollectorAwayKeepsEveryEntryForTheNextStart() throws Exception {
        server.stop();
        try (FlowLogSink sink =
                FlowLogSink.open(settings().closeTimeout(Duration.ofMillis(200)).build())) {
            for (int i = 0; i < 30; i++) {
                sink.record(FlowFixtures.event(i));
            }
            assertThat(sink.sync(WITHIN)).isTrue();
            await().atMost(WITHIN).until(() -> sink.shipFailures() >= 1); // a batch is in flight, undelivered
            assertThat(sink.spillDiskBytes())
                    .as("all of it in memory or in flight")
                    .isZero();
        }

        try (FlowLogSink sink = FlowLogSink.open(settings().build())) {
            // The 30 records and the closing checkpoint, replayed (polled into a batch, not yet counted, at times).
            await().atMost(WITHIN).until(() -> sink.queueDepth() == 31);
            server.restart();
            for (int i = 30; i < 40; i++) {
                sink.record(FlowFixtures.event(i));
            }
            await().atMost(WITHIN).until(() -> sink.queueDepth() == 0 && server.size() >= 41);
        }
        assertCollectorHasTheWholeChain(40);
    }

    @Test
    void aRefusingCollectorIsRetriedWithBackoffAndThenGetsEveryEntry() throws Exception {
        server.refuse = true;
        try (FlowLogSink sink = FlowLogSink.open(settings().build())) {
            for (int i = 0; i < 50; i++) {
                sink.record(FlowFixtures.event(i));
            }
            long t0 = System.nanoTime();
            await().atMost(WITHIN).until(() -> server.refused.get() >= 4);
            long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
            // 4 refusals are 3 backoffs after the first: at least ~50 + 100 + 200 ms less 20 % jitter.
            assertThat(elapsedMillis).as("backoff between attempts").isGreaterThanOrEqualTo(250);
            assertThat(server.size()).isZero();
            assertThat(sink.queueDepth()).isEqualTo(50);

            server.refuse = false;
            await().atMost(WITHIN).until(() -> server.size() >= 50);
            assertThat(sink.shipped()).isEqualTo(50);
            assertThat(sink.queueDepth()).isZero();
        }
        assertCollectorHasTheWholeChain(50);
    }

    @Test
    void everyEntryArrivesOnceAndInChainOrder() throws Exception {
        int n = 1000;
        try (FlowLogSink sink = FlowLogSink.open(settings().build())) {
            for (int i = 0; i < n; i++) {
                sink.record(FlowFixtures.event(i));
            }
            await().atMost(WITHIN).until(() -> server.size() >= n);
            assertThat(sink.dropped()).isZero();
            assertThat(sink.lost()).isZero();
        }
        assertCollectorHasTheWholeChain(n);
        assertThat(server.received.get()).as("no resends without a failure").isEqualTo(server.size());
    }

    @Test
    void aCollectorOutageNeverBlocksRecordAndEverythingArrivesAfterItReturns() throws Exception {
        int before = 200;
        int burst = 6000;
        long maxNanos = 0;
        long totalNanos = 0;
        try (FlowLogSink sink =
                FlowLogSink.open(settings().spill(500, 64L * 1024 * 1024).build())) {
            for (int i = 0; i < before; i++) {
                sink.record(FlowFixtures.event(i));
            }
            await().atMost(WITHIN).until(() -> sink.shipped() >= before);

            server.stop();
            for (int i = before; i < before + burst; i++) {
                FlowEvent event = FlowFixtures.event(i);
                long t0 = System.nanoTime();
                sink.record(event);
                long took = System.nanoTime() - t0;
                totalNanos += took;
                maxNanos = Math.max(maxNanos, took);
            }
            assertThat(sink.sync(WITHIN)).isTrue();
            assertThat(sink.dropped()).isZero();
            assertThat(sink.queueDepth()).as("waiting for the collector").isGreaterThan(burst);
            assertThat(sink.spillDiskBytes())
                    .as("spilled beyond 500 entries in memory")
                    .isPositive();
            assertThat(sink.shipFailures()).isPositive();

            long restarted = System.nanoTime();
            server.restart();
            await().atMost(WITHIN).until(() -> sink.queueDepth() == 0);
            logger.info(
                    "flow logs: {} records during the outage, record() max {} us, mean {} ns; {} entries"
                            + " delivered {} ms after the collector returned; {} entries received for {} stored",
                    burst,
                    maxNanos / 1000,
                    totalNanos / burst,
                    server.size(),
                    (System.nanoTime() - restarted) / 1_000_000,
                    server.received.get(),
                    server.size());
        }
        assertThat(maxNanos).as("record() never waits for the collector").isLessThan(50_000_000L);
        assertCollectorHasTheWholeChain(before + burst);
    }

    @Test
    void theSpillCapLosesEntriesOnlyFromTheCollectorsCopyAndSaysSoInAGap() throws Exception {
        server.stop();
        int n = 600;
        long lost;
        try (FlowLogSink sink = FlowLogSink.open(
                settings().spill(20, 16 * 1024).batch(50, Duration.ofMillis(20)).build())) {
            for (int i = 0; i < n; i++) {
                sink.record(FlowFixtures.event(i));
            }
            assertThat(sink.sync(WITHIN)).isTrue();
            assertThat(sink.dropped()).as("the file took every record").isZero();
            assertThat(sink.lost())
                    .as("beyond 20 in memory, 50 in flight and 16 KiB on disk")
                    .isPositive();
            assertThat(sink.spillDiskBytes())
                    .as("the cap, plus at most the stand-in gaps, which may pass it by their own size")
                    .isLessThanOrEqualTo(16 * 1024 + 1024);

            server.restart();
            await().atMost(WITHIN).until(() -> sink.queueDepth() == 0 && server.size() > 0);
            lost = sink.lost();
        }
        lost = Math.max(lost, 0);

        List<Entry> collected = server.entries();
        List<Entry> gaps = collected.stream().filter(Entry::hasGap).toList();
        assertThat(gaps).isNotEmpty().allSatisfy(gap -> {
            assertThat(gap.getGap().getStandIn()).isTrue();
            assertThat(gap.getGap().getCause()).isEqualTo(GapCause.SPILL_CAP);
        });
        long declared = gaps.stream().mapToLong(g -> g.getGap().getLost()).sum();
        VerifyResult result = FlowFixtures.verifier().verify(collected.iterator());
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.lostRecords()).isEqualTo(declared);
        assertThat(declared).as("every entry lost at the cap is declared").isGreaterThanOrEqualTo(lost);

        VerifyResult file = FlowFixtures.verifier().verifyLog(dir.resolve("log"), "flows.jsonl");
        assertThat(file.whole()).as(file.summary()).isTrue();
        assertThat(file.records()).as("the sidecar's file keeps everything").isEqualTo(n);
    }
}
