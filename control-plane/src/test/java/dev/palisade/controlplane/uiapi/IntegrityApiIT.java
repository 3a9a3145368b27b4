package dev.palisade.controlplane.uiapi;

import static dev.palisade.controlplane.uiapi.UiFixtures.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.flowlog.CheckpointSigner;
import dev.palisade.flowlog.FlowChain;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.testkit.pki.TestCertificate;
import dev.palisade.testkit.time.FakeClock;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /api/integrity} over real HTTP on 127.0.0.1 with real signed chains in a real SQLite store: a whole chain,
 * one with no checkpoint yet, one with a conflicting (forged) entry; and the cache (no second full read within 30 s,
 * none at all while the chain is unchanged).
 */
@Timeout(60)
class IntegrityApiIT {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    static final TrustDomain TD = TrustDomain.parse("cluster.local");
    static final String WHOLE = "spiffe://cluster.local/ns/shop/sa/whole";
    static final String FRESH = "spiffe://cluster.local/ns/shop/sa/fresh";
    static final String FORGED = "spiffe://cluster.local/ns/shop/sa/forged";

    final TestCertificate root = TestCertificate.root("integrity test CA");
    final TrustBundleSet bundles = TrustBundleSet.of(TrustBundle.of(TD, List.of(root.certificate())));
    // Checkpoints are signed at the clock's time; the test certificates are valid from now.
    final FakeClock clock = new FakeClock(Instant.now());
    final FlowStore store = FlowStore.inMemory(clock);
    final AtomicInteger bundleReads = new AtomicInteger();
    final Map<String, FlowChain> chains = new HashMap<>();
    final Map<String, List<Entry>> written = new HashMap<>();
    AdminServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        store.close();
    }

    @AfterAll
    static void shutdown() {
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    FlowChain chain(String sidecar, int checkpointEvery) {
        TestCertificate leaf = TestCertificate.leaf(sidecar, root);
        List<Entry> out = written.computeIfAbsent(sidecar, k -> new ArrayList<>());
        return chains.computeIfAbsent(sidecar, k -> FlowChain.builder(
                        SpiffeId.parse(sidecar), CheckpointSigner.of(leaf.privateKey(), leaf.chain()))
                .clock(clock)
                .checkpointEvery(checkpointEvery)
                .checkpointInterval(Duration.ofHours(1))
                .build(out::add));
    }

    /** Appends n records to the sidecar's chain and ingests what the chain wrote since the last call. */
    void append(String sidecar, int n, int checkpointEvery, boolean checkpoint) {
        FlowChain chain = chain(sidecar, checkpointEvery);
        List<Entry> out = written.get(sidecar);
        int before = out.size();
        for (int i = 0; i < n; i++) {
            chain.append(FlowRecord.newBuilder()
                    .setStartUnixNanos(clock.instant().getEpochSecond() * 1_000_000_000L + i)
                    .setSourceId(UiFixtures.FRONTEND)
                    .setDestinationId(sidecar)
                    .setRequestId("r" + i)
                    .build());
        }
        if (checkpoint) {
            chain.checkpoint();
        }
        store.ingest(new ArrayList<>(out.subList(before, out.size())), SpiffeId.parse(sidecar));
    }

    void start() throws InterruptedException {
        start(Runnable::run);
    }

    void start(Executor executor) throws InterruptedException {
        server = UiFixtures.server(
                GROUP,
                new IntegrityApi(
                                store,
                                () -> {
                                    bundleReads.incrementAndGet();
                                    return bundles;
                                },
                                clock,
                                executor)
                        .endpoints());
    }

    static Map<String, JsonNode> sidecars(JsonNode answer) {
        Map<String, JsonNode> out = new HashMap<>();
        answer.path("sidecars").forEach(n -> out.put(n.path("sidecar").asText(), n));
        return out;
    }

    @Test
    void unknownParametersAre400() throws Exception {
        start();
        UiFixtures.Answer a = get(server, "/api/integrity?sidecar=x");
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.json().path("error").asText()).contains("sidecar");
    }

    @Test
    void eachChainIsWholeBrokenOrUnverified() throws Exception {
        append(WHOLE, 25, 10, true);
        append(FRESH, 5, 1_000, false);
        append(FORGED, 12, 10, true);
        Entry stored = written.get(FORGED).get(3);
        Entry forged = stored.toBuilder()
                .setRecord(stored.getRecord().toBuilder().setPath("/innocent"))
                .build();
        assertThat(store.ingest(List.of(forged), SpiffeId.parse(FORGED)).conflicts())
                .isEqualTo(1);
        start();

        Map<String, JsonNode> s = sidecars(get(server, "/api/integrity").json());
        assertThat(s).containsOnlyKeys(WHOLE, FRESH, FORGED);
        JsonNode whole = s.get(WHOLE);
        assertThat(whole.path("state").asText()).isEqualTo("whole");
        assertThat(whole.path("break").isNull()).isTrue();
        assertThat(whole.path("records").asLong()).isEqualTo(25);
        assertThat(whole.path("entries").asLong())
                .isEqualTo(written.get(WHOLE).size())
                .isGreaterThan(25);
        assertThat(whole.path("lastCheckpoint").asText())
                .isEqualTo(clock.instant().toString());
        assertThat(whole.path("lastEntry").asText()).isNotEmpty();
        assertThat(whole.path("checkedAt").asText()).isEqualTo(clock.instant().toString());

        JsonNode fresh = s.get(FRESH);
        assertThat(fresh.path("state").asText()).isEqualTo("unverified");
        assertThat(fresh.path("lastCheckpoint").isNull()).isTrue();
        assertThat(fresh.path("records").asLong()).isEqualTo(5);

        JsonNode broken = s.get(FORGED);
        assertThat(broken.path("state").asText()).isEqualTo("broken");
        assertThat(broken.path("break").path("kind").asText()).isEqualTo("INSERTED");
        assertThat(broken.path("break").path("seq").asLong()).isEqualTo(3);
        assertThat(broken.path("break").path("detail").asText()).isNotEmpty();
    }

    @Test
    void aChainIsReadAgainOnlyWhenItChangedAndThirtySecondsHavePassed() throws Exception {
        append(WHOLE, 25, 10, true);
        start();
        Instant first = clock.instant();
        JsonNode a = sidecars(get(server, "/api/integrity").json()).get(WHOLE);
        assertThat(a.path("checkedAt").asText()).isEqualTo(first.toString());
        assertThat(a.path("records").asLong()).isEqualTo(25);

        // Unchanged, a minute later: the cached result.
        clock.advance(Duration.ofMinutes(1));
        assertThat(sidecars(get(server, "/api/integrity").json())
                        .get(WHOLE)
                        .path("checkedAt")
                        .asText())
                .isEqualTo(first.toString());

        // Changed, but within 30 s of... the last check was a minute ago, so it is read again now.
        append(WHOLE, 10, 10, true);
        Instant second = clock.instant();
        JsonNode b = sidecars(get(server, "/api/integrity").json()).get(WHOLE);
        assertThat(b.path("checkedAt").asText()).isEqualTo(second.toString());
        assertThat(b.path("records").asLong()).isEqualTo(35);

        // Changed again 10 s later: still the result of 10 s ago.
        clock.advance(Duration.ofSeconds(10));
        append(WHOLE, 10, 10, true);
        JsonNode c = sidecars(get(server, "/api/integrity").json()).get(WHOLE);
        assertThat(c.path("checkedAt").asText()).isEqualTo(second.toString());
        assertThat(c.path("records").asLong()).isEqualTo(35);

        // 30 s after the last check: read again.
        clock.advance(Duration.ofSeconds(20));
        JsonNode d = sidecars(get(server, "/api/integrity").json()).get(WHOLE);
        assertThat(d.path("checkedAt").asText()).isEqualTo(clock.instant().toString());
        assertThat(d.path("records").asLong()).isEqualTo(45);
        assertThat(d.path("state").asText()).isEqualTo("whole");
    }

    @Test
    void verificationRunsOffTheRequestAndAnswersPendingUntilDone() throws Exception {
        append(WHOLE, 25, 10, true);
        LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
        start(queue::add);
        JsonNode pending = sidecars(get(server, "/api/integrity").json()).get(WHOLE);
        assertThat(pending.path("pending").asBoolean()).isTrue();
        assertThat(pending.path("state").asText()).isEqualTo("unverified");
        assertThat(pending.path("checkedAt").isNull()).isTrue();
        assertThat(pending.path("lastCheckpoint").asText())
                .isEqualTo(clock.instant().toString());
        // Asked again before it ran: queued once only.
        get(server, "/api/integrity");
        assertThat(queue).hasSize(1);
        queue.take().run();
        JsonNode done = sidecars(get(server, "/api/integrity").json()).get(WHOLE);
        assertThat(done.path("pending").asBoolean()).isFalse();
        assertThat(done.path("state").asText()).isEqualTo("whole");
        assertThat(done.path("records").asLong()).isEqualTo(25);
        assertThat(queue).isEmpty();
    }
}
