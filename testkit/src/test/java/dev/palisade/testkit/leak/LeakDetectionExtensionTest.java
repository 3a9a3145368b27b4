package dev.palisade.testkit.leak;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak check must be able to fail: a buffer dropped without release() is reported. */
class LeakDetectionExtensionTest {

    @Test
    void detectorIsInstalledByTheBuildConfiguration() {
        PooledByteBufAllocator.DEFAULT.buffer(1).release();
        assertThat(RecordingLeakDetector.isInstalled())
                .as("surefire must run with -Dio.netty.customResourceLeakDetector="
                        + RecordingLeakDetector.class.getName())
                .isTrue();
    }

    @Test
    void reportsABufferThatWasNeverReleased() throws InterruptedException {
        leakOne();
        List<String> leaks = LeakDetectionExtension.collect();
        assertThat(leaks).isNotEmpty();
        assertThat(leaks.get(0)).contains("LEAK").contains("leakOne");
    }

    @Test
    void reportsNothingWhenEveryBufferIsReleased() throws InterruptedException {
        LeakDetectionExtension.collect(); // drain anything earlier tests left behind
        for (int i = 0; i < 100; i++) {
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            buf.writeLong(i);
            buf.release();
        }
        assertThat(LeakDetectionExtension.collect()).isEmpty();
    }

    private static void leakOne() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(32);
        buf.writeInt(42); // recorded access: the report names this method
    }
}
