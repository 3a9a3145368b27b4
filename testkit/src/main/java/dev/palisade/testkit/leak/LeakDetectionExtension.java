package dev.palisade.testkit.leak;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer while (or shortly after) it ran.
 *
 * <p>Leak reports only surface when a leaked object has been garbage-collected and a later
 * allocation polls the detector's reference queue, so after each class this extension runs the
 * collector and allocates a few tracked buffers before it looks. A leak of one class can therefore
 * be reported against the next one that runs in the same JVM; the report's access records name the
 * code that touched the buffer.
 */
public final class LeakDetectionExtension implements AfterAllCallback {

    private static final int ROUNDS = 3;

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty leak(s) detected after " + context.getDisplayName() + ":\n"
                    + String.join("\n\n", leaks));
        }
    }

    /** Forces pending leak reports out and returns them. */
    public static List<String> collect() throws InterruptedException {
        List<String> leaks = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            System.gc();
            Thread.sleep(20);
            for (int j = 0; j < 8; j++) {
                release(PooledByteBufAllocator.DEFAULT.buffer(16));
                release(UnpooledByteBufAllocator.DEFAULT.buffer(16));
                release(PooledByteBufAllocator.DEFAULT.directBuffer(16));
            }
            leaks.addAll(RecordingLeakDetector.drain());
        }
        return leaks;
    }

    private static void release(ByteBuf buf) {
        buf.release();
    }
}
