package dev.palisade.flowlog;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A one-off measurement, not a test: records/s through {@link FlowLogFile} (queue, chain with hashing and a signed
 * checkpoint every 1000 entries, JSON rendering, rotated file). Run with the test classpath:
 * {@code java -cp <test classpath> dev.palisade.flowlog.FlowLogThroughput [records]}.
 */
final class FlowLogThroughput {
    private static final Logger logger = LoggerFactory.getLogger(FlowLogThroughput.class);

    private FlowLogThroughput() {}

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        Fixtures f = new Fixtures();
        Path dir = Files.createTempDirectory("flowlog-throughput");
        for (int round = 0; round < 3; round++) {
            Path roundDir = dir.resolve("r" + round);
            FlowLogFile log = FlowLogFile.builder(
                            roundDir,
                            FlowChain.builder(Fixtures.SIDECAR_ID, f.signer()).checkpointEvery(1000))
                    .clock(Clock.systemUTC())
                    .maxFileBytes(64L * 1024 * 1024)
                    .keepFiles(20)
                    .queueCapacity(65_536)
                    .open();
            long start = System.nanoTime();
            long refused = 0;
            // Batches below the queue's capacity, then wait: measures the writer without drops.
            for (int i = 0; i < records; i++) {
                if (!log.offer(Fixtures.record(i))) {
                    refused++;
                }
                if (i % 50_000 == 49_999) {
                    log.sync(Duration.ofMinutes(5));
                }
            }
            log.sync(Duration.ofMinutes(5));
            long nanos = System.nanoTime() - start;
            log.close();
            long bytes = 0;
            for (Path p : FlowLogFile.filesInOrder(roundDir, FlowLogFile.DEFAULT_NAME)) {
                bytes += Files.size(p);
            }
            long verifyStart = System.nanoTime();
            VerifyResult result = f.verifier().verifyLog(roundDir, FlowLogFile.DEFAULT_NAME);
            long verifyNanos = System.nanoTime() - verifyStart;
            logger.info(
                    "round {}: {} records in {} ms = {} records/s, {} bytes/record, {} refused offers; verify {} records/s: {}",
                    round,
                    records,
                    nanos / 1_000_000,
                    (long) (records / (nanos / 1e9)),
                    bytes / records,
                    refused,
                    (long) (records / (verifyNanos / 1e9)),
                    result.summary());
        }
    }
}
