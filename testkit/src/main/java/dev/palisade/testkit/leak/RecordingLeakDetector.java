package dev.palisade.testkit.leak;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A {@link ResourceLeakDetector} that records every leak report instead of only logging it, so that
 * {@link LeakDetectionExtension} can fail the test class that leaked.
 *
 * <p>Netty instantiates it reflectively (system property {@code io.netty.customResourceLeakDetector})
 * once per resource type; all instances share one process-wide queue.
 */
public final class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {

    private static final ConcurrentLinkedQueue<String> leaks = new ConcurrentLinkedQueue<>();
    private static volatile boolean installed;

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
        installed = true;
    }

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        this(resourceType, samplingInterval);
    }

    /** Whether Netty has created at least one detector of this type in this JVM. */
    public static boolean isInstalled() {
        return installed;
    }

    /** Removes and returns the leaks reported since the last call. */
    public static List<String> drain() {
        List<String> out = new ArrayList<>();
        for (String leak; (leak = leaks.poll()) != null; ) {
            out.add(leak);
        }
        return out;
    }

    @Override
    protected boolean needReport() {
        // The base class reports only when its logger has ERROR enabled; we always want the record.
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        leaks.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected." + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        leaks.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected"
                + " (no access records: raise io.netty.leakDetection.level to paranoid).");
        super.reportUntracedLeak(resourceType);
    }
}
