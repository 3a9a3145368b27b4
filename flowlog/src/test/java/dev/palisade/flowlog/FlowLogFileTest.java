package dev.palisade.flowlog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.flowlog.v1.Entry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class FlowLogFileTest {
    private final Fixtures f = new Fixtures();

    @TempDir
    Path dir;

    @Test
    void neverBlocksOnAFullQueueAndChainsAGapForWhatItDropped() throws Exception {
        CountDownLatch writerStuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FlowLogFile log = FlowLogFile.builder(dir, f.chain(1000))
                .clock(f.clock)
                .queueCapacity(4)
                .alsoTo(entry -> {
                    writerStuck.countDown();
                    await(release); // a shipper that hangs: the writer thread is stuck here
                })
                .open();
        try {
            assertThat(log.offer(Fixtures.record(0))).isTrue();
            assertThat(writerStuck.await(10, TimeUnit.SECONDS)).isTrue();

            long slowest = 0;
            int accepted = 0;
            for (int i = 1; i <= 100; i++) {
                long start = System.nanoTime();
                if (log.offer(Fixtures.record(i))) {
                    accepted++;
                }
                slowest = Math.max(slowest, System.nanoTime() - start);
            }

            assertThat(accepted).isEqualTo(4);
            assertThat(log.dropped()).isEqualTo(96);
            assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofMillis(50));
        } finally {
            release.countDown();
            log.close();
        }

        VerifyResult result = f.verifier().verifyLog(dir, FlowLogFile.DEFAULT_NAME);
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(5);
        assertThat(result.lostRecords()).isEqualTo(96);
        assertThat(result.unverifiedEntries()).isZero(); // close() wrote a last checkpoint
    }

    @Test
    void rotatesAtTheSizeCapAndKeepsKFiles() throws Exception {
        try (FlowLogFile log = FlowLogFile.builder(dir, f.chain(20))
                .clock(f.clock)
                .maxFileBytes(8 * 1024)
                .keepFiles(3)
                .open()) {
            for (int i = 0; i < 200; i++) {
                assertThat(log.offer(Fixtures.record(i))).isTrue();
                if (i % 50 == 49) {
                    assertThat(log.sync(Duration.ofSeconds(10))).isTrue();
                }
            }
        }

        assertThat(FlowLogFile.filesInOrder(dir, "flows.jsonl"))
                .extracting(p -> p.getFileName().toString())
                .containsExactly("flows.jsonl.2", "flows.jsonl.1", "flows.jsonl");
        for (Path p : FlowLogFile.filesInOrder(dir, "flows.jsonl")) {
            assertThat(Files.size(p)).isLessThanOrEqualTo(8 * 1024);
        }
        // The oldest files were rotated away: the rest verifies from where it starts, and only that way.
        assertThat(f.verifier().verifyLog(dir, "flows.jsonl").firstBreak().kind())
                .isEqualTo(VerifyResult.Kind.DELETED);
        VerifyResult partial =
                FlowVerifier.builder(f.bundles).allowPartialStart(true).build().verifyLog(dir, "flows.jsonl");
        assertThat(partial.whole()).as(partial.summary()).isTrue();
    }

    @Test
    void writesAnUntouchedLogWithCheckpointsAndARotationThatVerifiesWhole() throws Exception {
        try (FlowLogFile log = FlowLogFile.builder(dir, f.chain(10))
                .clock(f.clock)
                .maxFileBytes(16 * 1024)
                .keepFiles(10)
                .open()) {
            for (int i = 0; i < 60; i++) {
                assertThat(log.offer(Fixtures.record(i))).isTrue();
            }
        }

        List<Path> files = FlowLogFile.filesInOrder(dir, "flows.jsonl");
        assertThat(files).hasSizeGreaterThan(1);
        VerifyResult result = f.verifier().verifyFiles(files);
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(60);
        assertThat(result.checkpoints()).isEqualTo(6);
        assertThat(result.warnings()).isEmpty();
    }

    @Test
    void resumesTheChainAfterARestartAndCutsATornLastLine() throws Exception {
        try (FlowLogFile log =
                FlowLogFile.builder(dir, f.chain(1000)).clock(f.clock).open()) {
            for (int i = 0; i < 5; i++) {
                log.offer(Fixtures.record(i));
            }
        }
        Path current = dir.resolve("flows.jsonl");
        Files.writeString(
                current, "{\"sidecar\":\"spiff", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);

        try (FlowLogFile log =
                FlowLogFile.builder(dir, f.chain(1000)).clock(f.clock).open()) {
            for (int i = 5; i < 10; i++) {
                log.offer(Fixtures.record(i));
            }
        }

        VerifyResult result = f.verifier().verifyLog(dir, "flows.jsonl");
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(10);
        Entry last = FlowLogFile.lastEntry(dir, "flows.jsonl").orElseThrow();
        assertThat(last.hasCheckpoint()).isTrue();
        assertThat(last.getSeq()).isEqualTo(11); // 5 records, checkpoint, 5 records, checkpoint
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
