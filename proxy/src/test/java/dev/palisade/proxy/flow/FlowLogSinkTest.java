package dev.palisade.proxy.flow;

import static dev.palisade.proxy.flow.FlowFixtures.SIDECAR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.flowlog.FlowLogFile;
import dev.palisade.flowlog.VerifyResult;
import dev.palisade.flowlog.v1.Entry;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class FlowLogSinkTest {
    private static final Supplier<SslContext> NO_TLS = () -> {
        throw new IllegalStateException("not used");
    };

    @TempDir
    Path dir;

    private FlowLogSink.Settings.Builder settings() {
        return FlowLogSink.Settings.builder(SIDECAR, FlowFixtures::sidecarSvid);
    }

    @Test
    void shippingWithoutTheFileIsRefused() {
        assertThatThrownBy(() -> settings()
                        .shipTo(new InetSocketAddress("127.0.0.1", 1), NO_TLS, dir.resolve("spill"))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fileDirectory");
    }

    @Test
    void nonsensicalBoundsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> settings().file(dir).spill(0, 1024).build()).hasMessageContaining("memoryEntries: 0");
        assertThatThrownBy(() ->
                        settings().file(dir).batch(1, Duration.ofMillis(-1)).build())
                .hasMessageContaining("batchDelay");
        assertThatThrownBy(() -> settings().file(dir).maxFileBytes(10).build())
                .hasMessageContaining("maxFileBytes: 10");
    }

    @Test
    void withoutAFileNothingIsRecordedAndNothingFails() {
        try (FlowLogSink sink = FlowLogSink.open(settings().build())) {
            sink.record(FlowFixtures.event(0));
            assertThat(sink.dropped()).isZero();
            assertThat(sink.queueDepth()).isZero();
        }
    }

    @Test
    void nEventsGiveExactlyNRecordsAcrossRotatedFilesAndTheLogVerifies() throws Exception {
        int n = 250;
        try (FlowLogSink sink = FlowLogSink.open(settings()
                .file(dir)
                .maxFileBytes(32 * 1024)
                .keepFiles(100)
                .checkpoints(100, Duration.ofHours(1))
                .build())) {
            for (int i = 0; i < n; i++) {
                sink.record(FlowFixtures.event(i));
            }
            assertThat(sink.sync(Duration.ofSeconds(10))).isTrue();
            assertThat(sink.dropped()).isZero();
        }

        List<Entry> entries = FlowFixtures.fileEntries(dir);
        assertThat(entries.stream().filter(Entry::hasRecord)).hasSize(n);
        assertThat(entries.stream().filter(Entry::hasCheckpoint)).hasSize(3); // after 100, 200 entries, and on close
        assertThat(entries.stream().filter(e -> e.getRecord().getPath().contains("?")))
                .isEmpty();
        assertThat(FlowLogFile.filesInOrder(dir, FlowLogFile.DEFAULT_NAME)).hasSizeGreaterThan(2);
        assertThat(Files.readString(dir.resolve(FlowLogFile.DEFAULT_NAME))).doesNotContain("secret");

        VerifyResult result = FlowFixtures.verifier().verifyLog(dir, FlowLogFile.DEFAULT_NAME);
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(n);
        assertThat(result.unverifiedEntries()).isZero();
    }

    @Test
    void aReopenedSinkContinuesTheSameChain() throws Exception {
        for (int round = 0; round < 2; round++) {
            try (FlowLogSink sink = FlowLogSink.open(settings().file(dir).build())) {
                for (int i = 0; i < 10; i++) {
                    sink.record(FlowFixtures.event(i));
                }
            }
        }
        VerifyResult result = FlowFixtures.verifier().verifyLog(dir, FlowLogFile.DEFAULT_NAME);
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(20);
    }
}
