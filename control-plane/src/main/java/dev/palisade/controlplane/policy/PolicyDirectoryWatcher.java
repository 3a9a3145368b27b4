package dev.palisade.controlplane.policy;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a {@link PolicyDirectory} and reloads it when its files change, telling a {@link
 * PolicySetListener} about each new set or each failed load.
 *
 * <p>Changes are noticed through the file system's {@link WatchService} (inotify on Linux), and by a
 * periodic poll as well, because watch events are not delivered on every file system (network
 * mounts, some container overlays) and can overflow. Events are debounced: a reload starts once no
 * event has arrived for the debounce interval (or, under a constant stream of events, at the latest
 * after ten intervals), so that an editor's save or a ConfigMap swap is read once, complete. A
 * reload whose files have the version of the previous attempt, good or bad, is not reported again.
 *
 * <p>The first load happens on start, asynchronously; every listener call comes from the watcher's
 * one daemon thread, in order. {@link #lastGood()} is safe to call from any thread.
 */
public final class PolicyDirectoryWatcher implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(PolicyDirectoryWatcher.class);

    /** Default quiet time after a file event before reloading. */
    public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);

    /** Default interval of the fallback poll. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(5);

    private final PolicyDirectory directory;
    private final PolicySetListener listener;
    private final long debounceNanos;
    private final long pollNanos;
    private final Thread thread;
    private final Map<Path, WatchKey> keys = new HashMap<>();
    private final @Nullable WatchService watchService;

    private volatile boolean closed;
    private volatile @Nullable PolicySet lastGood;

    // Confined to the watcher thread.
    private @Nullable String lastAttemptedVersion;

    private PolicyDirectoryWatcher(
            PolicyDirectory directory, PolicySetListener listener, Duration debounce, Duration pollInterval) {
        this.directory = requireNonNull(directory, "directory");
        this.listener = requireNonNull(listener, "listener");
        if (debounce.isNegative() || pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException(
                    "debounce: " + debounce + ", pollInterval: " + pollInterval + " (expected: >= 0, > 0)");
        }
        this.debounceNanos = debounce.toNanos();
        this.pollNanos = pollInterval.toNanos();
        WatchService ws = null;
        try {
            ws = directory.path().getFileSystem().newWatchService();
        } catch (IOException | UnsupportedOperationException e) {
            logger.warn("{}: no file watch service, polling every {}", directory.path(), pollInterval, e);
        }
        this.watchService = ws;
        this.thread = new Thread(this::run, "palisade-policy-watcher");
        this.thread.setDaemon(true);
    }

    /** Starts watching with {@link #DEFAULT_DEBOUNCE} and {@link #DEFAULT_POLL_INTERVAL}. */
    public static PolicyDirectoryWatcher start(PolicyDirectory directory, PolicySetListener listener) {
        return start(directory, listener, DEFAULT_DEBOUNCE, DEFAULT_POLL_INTERVAL);
    }

    /**
     * Starts watching: loads the directory at once (on the watcher thread), then on every change.
     *
     * @param debounce quiet time after a file event before reloading
     * @param pollInterval interval of the fallback poll
     */
    public static PolicyDirectoryWatcher start(
            PolicyDirectory directory, PolicySetListener listener, Duration debounce, Duration pollInterval) {
        PolicyDirectoryWatcher watcher = new PolicyDirectoryWatcher(directory, listener, debounce, pollInterval);
        watcher.thread.start();
        return watcher;
    }

    /** The last set that loaded, if any has. */
    public Optional<PolicySet> lastGood() {
        return Optional.ofNullable(lastGood);
    }

    /** Stops watching and waits (briefly) for the watcher thread to end. No listener call follows. */
    @Override
    public void close() {
        closed = true;
        WatchService ws = watchService;
        if (ws != null) {
            try {
                ws.close();
            } catch (IOException e) {
                logger.debug("{}: closing the watch service failed", directory.path(), e);
            }
        }
        thread.interrupt();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long now = System.nanoTime();
        long nextPoll = now; // the first load
        long pendingSince = 0;
        boolean pending = false;
        try {
            while (!closed) {
                now = System.nanoTime();
                if (now - nextPoll >= 0 || (pending && (now - pendingSince >= 10 * debounceNanos))) {
                    reload();
                    pending = false;
                    now = System.nanoTime();
                    nextPoll = now + pollNanos;
                }
                long wakeAt = pending ? Math.min(nextPoll, pendingSince + 10 * debounceNanos) : nextPoll;
                long wait = Math.max(0, wakeAt - now);
                if (pending && waitForEvents(Math.min(wait, debounceNanos)) == 0) {
                    reload(); // quiet for a whole debounce interval
                    pending = false;
                    nextPoll = System.nanoTime() + pollNanos;
                } else if (!pending && waitForEvents(wait) > 0) {
                    pending = true;
                    pendingSince = System.nanoTime();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // close()
        } catch (RuntimeException | Error e) {
            logger.error("{}: policy watcher stopped", directory.path(), e);
        }
    }

    /** Waits up to {@code nanos} for file events; returns how many arrived (0 on timeout). */
    private int waitForEvents(long nanos) throws InterruptedException {
        WatchService ws = watchService;
        if (ws == null) {
            TimeUnit.NANOSECONDS.sleep(nanos);
            return 0;
        }
        WatchKey key = ws.poll(nanos, TimeUnit.NANOSECONDS);
        int events = 0;
        while (key != null) {
            events += Math.max(1, key.pollEvents().size());
            if (!key.reset()) {
                keys.values().remove(key);
            }
            key = ws.poll();
        }
        return events;
    }

    private void reload() {
        if (closed) {
            return;
        }
        registerDirectories();
        PolicyDirectory.Contents contents = directory.read();
        if (contents.version().equals(lastAttemptedVersion)) {
            return;
        }
        lastAttemptedVersion = contents.version();
        PolicySet set;
        try {
            set = directory.parse(contents);
        } catch (PolicyLoadException e) {
            PolicySet good = lastGood;
            logger.warn(
                    "{}: not loaded, keeping {}: {}",
                    directory.path(),
                    good == null ? "no policies" : "version " + good.version(),
                    e.getMessage());
            notify(() -> listener.onError(e));
            return;
        }
        lastGood = set;
        logger.info(
                "{}: loaded version {}: {} authorization policies, {} peer authentications, {} workloads",
                directory.path(),
                set.version(),
                set.authorizationPolicies().size(),
                set.peerAuthentications().size(),
                set.workloads().size());
        notify(() -> listener.onPolicySet(set));
    }

    private void notify(Runnable call) {
        if (closed) {
            return;
        }
        try {
            call.run();
        } catch (RuntimeException e) {
            logger.warn("{}: policy listener failed", directory.path(), e);
        }
    }

    private void registerDirectories() {
        WatchService ws = watchService;
        if (ws == null) {
            return;
        }
        try {
            for (Path dir : directory.directories()) {
                WatchKey key = keys.get(dir);
                if (key == null || !key.isValid()) {
                    keys.put(dir, dir.register(ws, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY));
                }
            }
        } catch (ClosedWatchServiceException e) {
            throw e;
        } catch (IOException e) {
            logger.debug("{}: cannot watch (the poll still runs)", directory.path(), e);
        }
    }
}
