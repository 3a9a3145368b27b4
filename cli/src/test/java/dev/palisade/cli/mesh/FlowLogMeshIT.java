package dev.palisade.cli.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.flowlog.FlowEntries;
import dev.palisade.flowlog.FlowLogFile;
import dev.palisade.flowlog.FlowVerifier;
import dev.palisade.flowlog.VerifyResult;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6's must-show through real sidecars: the demo mesh in one JVM, every sidecar writing its flow log and shipping
 * it to the control plane's collector over Envoy's AccessLogService (mTLS), as {@code palisade proxy --flow-log-dir}
 * does. N requests, allowed and denied, give exactly N records in the receiving sidecar's file and in the store, with
 * the right fields; then the control plane goes away for a while under load — no request fails or slows beyond a
 * small bound — and once it is back the store holds every record, in chain order, byte for byte as in the file, and
 * the chain verifies.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class FlowLogMeshIT {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @Test
    void everyRequestIsRecordedOnceInTheFileAndTheStoreAndSurvivesACollectorOutage() throws Exception {
        try (LocalMesh mesh = LocalMesh.start(dir, Duration.ofHours(1), true)) {
            InetSocketAddress upstream = mesh.upstream("frontend", "orders");
            String base = "http://" + upstream.getHostString() + ":" + upstream.getPort();
            String orders = LocalMesh.ORDERS.toString();
            String frontend = LocalMesh.FRONTEND.toString();

            // 1. Allowed and denied requests, each with its own path, so each record can be told apart.
            int allowed = 30;
            int denied = 10;
            for (int i = 0; i < allowed; i++) {
                assertThat(LocalMesh.status(http, base + "/orders/a" + i))
                        .as("allowed request %d", i)
                        .isEqualTo(200);
            }
            for (int i = 0; i < denied; i++) {
                assertThat(LocalMesh.status(http, base + "/admin/d" + i + "?token=secret" + i))
                        .as("denied request %d", i)
                        .isEqualTo(403);
            }
            Map<Long, Entry> file = awaitFileRecords(mesh, "orders", allowed + denied);
            List<FlowRecord> inbound = inboundFrom(file, frontend);
            assertThat(inbound).as("inbound records at orders").hasSize(allowed + denied);
            assertThat(inbound)
                    .filteredOn(r -> r.getDecision() == Decision.ALLOW)
                    .extracting(FlowRecord::getPath)
                    .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, allowed)
                            .mapToObj(i -> "/orders/a" + i)
                            .toList());
            assertThat(inbound)
                    .filteredOn(r -> r.getDecision() == Decision.DENY)
                    .hasSize(denied);
            assertThat(inbound).allSatisfy(r -> {
                assertThat(r.getDirection()).isEqualTo(Direction.INBOUND);
                assertThat(r.getSourceId()).isEqualTo(frontend);
                assertThat(r.getDestinationId()).isEqualTo(orders);
                assertThat(r.getMethod()).isEqualTo("GET");
                assertThat(r.getTlsVersion()).isEqualTo("TLSv1.3");
                assertThat(r.getTlsCipher()).isNotEmpty();
                assertThat(r.getRequestId()).isNotEmpty();
                assertThat(r.getStartUnixNanos()).isPositive();
                assertThat(r.getPath()).as("the query string is dropped").doesNotContain("?", "secret");
                if (r.getDecision() == Decision.ALLOW) {
                    assertThat(r.getStatus()).isEqualTo(200);
                    assertThat(r.getBytesOut()).isPositive();
                } else {
                    assertThat(r.getStatus()).isEqualTo(403);
                    assertThat(r.getPolicy()).contains("deny-admin");
                }
            });
            Map<Long, Entry> stored = awaitStoreHolds(mesh, orders, file);
            assertThat(inboundFrom(stored, frontend))
                    .as("the same records in the store")
                    .hasSize(allowed + denied);

            // 2. A baseline of the loop the outage will run, measured in this run on this machine.
            long[] baseline = timedLoop(base, "/orders/b", 100);

            // 3. The control plane (and its collector) goes away; traffic goes on.
            int grpcPort = mesh.controlPlane.grpcPort();
            mesh.stopControlPlane();
            assertThatThrownBy(() -> {
                        try (Socket s = new Socket("127.0.0.1", grpcPort)) {
                            s.getInputStream().read();
                        }
                    })
                    .as("the collector is really gone")
                    .isInstanceOf(ConnectException.class);
            long[] outage = timedLoop(base, "/orders/o", 200);
            Thread.sleep(2000);
            long[] later = timedLoop(base, "/orders/p", 100);
            long baselineMedian = baseline[baseline.length / 2];
            long bound = 3 * baselineMedian + TimeUnit.MILLISECONDS.toNanos(20);
            assertThat(outage[outage.length / 2])
                    .as("median latency during the outage (ns) vs 3 × baseline median + 20 ms")
                    .isLessThanOrEqualTo(bound);
            assertThat(later[later.length / 2])
                    .as("median latency later in the outage (ns)")
                    .isLessThanOrEqualTo(bound);
            assertThat(Math.max(outage[outage.length - 1], later[later.length - 1]))
                    .as("no request of the outage took a second (a blocked data path would)")
                    .isLessThan(TimeUnit.SECONDS.toNanos(1));

            // 4. The control plane comes back on the same port with the same store: every record arrives, in order.
            int total = allowed + denied + baseline.length + outage.length + later.length;
            Map<Long, Entry> fileAfter = awaitFileRecords(mesh, "orders", total);
            assertThat(inboundFrom(fileAfter, frontend)).hasSize(total);
            mesh.restartControlPlane();
            Map<Long, Entry> storedAfter = awaitStoreHolds(mesh, orders, fileAfter);
            assertThat(inboundFrom(storedAfter, frontend))
                    .as("every record, in the store")
                    .hasSize(total);
            assertThat(storedAfter.keySet())
                    .as("the store's chain has no hole: seq 0..n-1")
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, storedAfter.size())
                            .boxed()
                            .toList());
            TrustBundleSet bundles = TrustBundleSet.of(TrustBundle.read(LocalMesh.TD, dir.resolve("ca/bundle.pem")));
            VerifyResult fromStore = mesh.controlPlane.flowStore().verify(orders, bundles);
            assertThat(fromStore.whole()).as(fromStore.summary()).isTrue();
            assertThat(fromStore.lostRecords()).isZero();
            VerifyResult fromFile = FlowVerifier.of(bundles)
                    .verifyFiles(
                            FlowLogFile.filesInOrder(dir.resolve("flows").resolve("orders"), FlowLogFile.DEFAULT_NAME));
            assertThat(fromFile.whole()).as(fromFile.summary()).isTrue();
        }
    }

    /** {@code count} allowed requests; every one must succeed; their latencies in ns, sorted. */
    private long[] timedLoop(String base, String prefix, int count) throws InterruptedException {
        long[] latencies = new long[count];
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            int status = LocalMesh.status(http, base + prefix + i);
            latencies[i] = System.nanoTime() - t0;
            if (status != 200) {
                failures.add(prefix + i + ": " + status);
            }
        }
        assertThat(failures).as("failed requests of %s", prefix).isEmpty();
        Arrays.sort(latencies);
        return latencies;
    }

    private static List<FlowRecord> inboundFrom(Map<Long, Entry> entries, String source) {
        return entries.values().stream()
                .filter(Entry::hasRecord)
                .map(Entry::getRecord)
                .filter(r ->
                        r.getDirection() == Direction.INBOUND && r.getSourceId().equals(source))
                .collect(Collectors.toList());
    }

    /** The entries of a sidecar's flow-log files by seq, once they hold {@code records} inbound records. */
    private Map<Long, Entry> awaitFileRecords(LocalMesh mesh, String name, int records) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Map<Long, Entry> entries = readFiles(name);
        while (inboundFrom(entries, LocalMesh.FRONTEND.toString()).size() < records && System.nanoTime() < deadline) {
            Thread.sleep(100);
            entries = readFiles(name);
        }
        return entries;
    }

    private Map<Long, Entry> readFiles(String name) throws IOException {
        Map<Long, Entry> entries = new TreeMap<>();
        for (Path f : FlowLogFile.filesInOrder(dir.resolve("flows").resolve(name), FlowLogFile.DEFAULT_NAME)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (!line.isBlank() && line.endsWith("}")) {
                    Entry e = FlowEntries.parseJson(line);
                    entries.put(e.getSeq(), e);
                }
            }
        }
        return entries;
    }

    /**
     * Waits until the store holds every entry of {@code file} for the sidecar; asserts that each stored entry is, byte
     * for byte, the file's entry of the same seq; returns the stored entries by seq.
     */
    private static Map<Long, Entry> awaitStoreHolds(LocalMesh mesh, String sidecar, Map<Long, Entry> file)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Map<Long, Entry> stored = storeEntries(mesh, sidecar);
        while (!stored.keySet().containsAll(file.keySet()) && System.nanoTime() < deadline) {
            Thread.sleep(250);
            stored = storeEntries(mesh, sidecar);
        }
        assertThat(stored.keySet()).as("seqs in the store").containsAll(file.keySet());
        for (Map.Entry<Long, Entry> e : file.entrySet()) {
            assertThat(FlowEntries.canonicalBytes(stored.get(e.getKey())))
                    .as("stored entry %d as written", e.getKey())
                    .isEqualTo(FlowEntries.canonicalBytes(e.getValue()));
        }
        return stored;
    }

    private static Map<Long, Entry> storeEntries(LocalMesh mesh, String sidecar) {
        Map<Long, Entry> stored = new TreeMap<>();
        List<Long> order = new ArrayList<>();
        Iterator<Entry> it = mesh.controlPlane.flowStore().entries(sidecar);
        while (it.hasNext()) {
            Entry e = it.next();
            order.add(e.getSeq());
            stored.put(e.getSeq(), e);
        }
        assertThat(order).as("the store gives a chain in seq order").isSorted();
        return stored;
    }
}
