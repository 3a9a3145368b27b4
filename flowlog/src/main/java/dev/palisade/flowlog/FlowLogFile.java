package dev.palisade.flowlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Gap;
import dev.palisade.flowlog.v1.GapCause;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's flow log: a JSON-lines file ({@code flows.jsonl}, rotated to {@code flows.jsonl.1} … when it reaches
 * its size cap, {@code keepFiles} files in all) fed by a bounded queue and one writer thread that owns the
 * {@link FlowChain}.
 *
 * <p>{@link #offer} is what the data path calls, on event-loop threads: it never blocks. When the queue is full the
 * record is dropped and counted ({@link #dropped()}); before the next record the writer chains one {@link Gap} that
 * says how many were lost, so the loss is visible in the chain and the chain stays whole. Records take their seq on
 * the writer thread, so a dropped record never leaves a hole in the seqs.
 *
 * <p>Every chained entry also goes to the extra {@link EntrySink}s (the shipper's {@link SpillQueue}), on the writer
 * thread, after the file.
 *
 * <p>On {@link Builder#open} an existing chain is resumed from the last complete entry of the newest file (a torn last line
 * from a crash is cut off). {@link #close} drains the queue, writes a final checkpoint and closes the file.
 */
public final class FlowLogFile implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(FlowLogFile.class);

    /** The default name of the current file. */
    public static final String DEFAULT_NAME = "flows.jsonl";

    private static final Object STOP = new Object();
    private static final long IDLE_POLL_MILLIS = 200;
    /**
     * How long the writer naps when the queue is empty but lines are unflushed. Each nap is a timer wake-up of the
     * writer thread, which on a busy machine costs more than rendering a few records: 10 ms rather than 1 ms took a
     * fifth to a third off the flow-log threads' CPU per request (perf/README.md, "The flow-log writer's naps").
     */
    private static final long BATCH_NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Naps that find the queue empty before the writer flushes and waits to be woken. */
    private static final int BATCH_LOOKS = 2;
    /** The longest a written line waits in the buffer under a steady stream of records. */
    private static final long MAX_FLUSH_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final BlockingQueue<Object> queue;
    private final RotatingFile file;
    private final FlowChain chain;
    private final Clock clock;
    private final Thread writer;

    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedSinceGap = new AtomicLong();
    private final AtomicLong firstDropNanos = new AtomicLong();
    private final AtomicLong lastDropNanos = new AtomicLong();
    private final AtomicLong entriesWritten = new AtomicLong();
    private volatile boolean closed;

    private FlowLogFile(Builder b) {
        this.queue = new ArrayBlockingQueue<>(b.queueCapacity);
        this.file = new RotatingFile(b.dir, b.name, b.maxFileBytes, b.keepFiles);
        this.clock = b.clock;
        List<EntrySink> also = List.copyOf(b.also);
        FlowChain.Builder chainBuilder = b.chain.clock(b.clock);
        if (b.resume) {
            lastEntry(b.dir, b.name).ifPresent(last -> {
                logger.info("{} resuming the flow-log chain after seq {}", last.getSidecar(), last.getSeq());
                chainBuilder.resumeAfter(last.getSeq(), FlowEntries.hash(last));
            });
        }
        StringBuilder line = new StringBuilder(4096); // the writer thread's, reused for every line
        this.chain = chainBuilder.build(entry -> {
            line.setLength(0);
            FlowEntries.appendJson(entry, line);
            file.write(line.toString());
            if (line.capacity() > 256 * 1024) {
                line.setLength(0);
                line.trimToSize(); // one huge entry (a long path) does not keep its buffer
            }
            entriesWritten.incrementAndGet();
            for (EntrySink sink : also) {
                sink.accept(entry);
            }
        });
        this.writer = new Thread(this::run, "palisade-flowlog-writer");
        writer.setDaemon(true);
    }

    /** A builder for a log in {@code dir} whose chain is configured by {@code chain} (its clock is replaced). */
    public static Builder builder(Path dir, FlowChain.Builder chain) {
        return new Builder(dir, chain);
    }

    /**
     * Hands a record to the writer. Never blocks: returns {@code false} and counts the record as dropped when the
     * queue is full or the log is closed.
     */
    public boolean offer(FlowRecord record) {
        requireNonNull(record, "record");
        offered.incrementAndGet();
        if (!closed && queue.offer(record)) {
            return true;
        }
        long now = FlowChain.unixNanos(clock.instant());
        dropped.incrementAndGet();
        firstDropNanos.compareAndSet(0, now);
        lastDropNanos.set(now);
        droppedSinceGap.incrementAndGet();
        return false;
    }

    /** Records dropped because the queue was full (or the log closed): the metric of issue 6. */
    public long dropped() {
        return dropped.get();
    }

    /** Records offered, dropped or not. */
    public long offered() {
        return offered.get();
    }

    /** Entries (records, gaps, checkpoints) handed to the file so far. */
    public long entriesWritten() {
        return entriesWritten.get();
    }

    /** Write errors of the file (the entries are still passed to the extra sinks). */
    public long writeErrors() {
        return file.errors();
    }

    /**
     * Waits until everything offered before this call is written and flushed, for at most {@code timeout}. Blocks:
     * for tests and shutdown, never for the data path.
     */
    public boolean sync(Duration timeout) throws InterruptedException {
        CountDownLatch barrier = new CountDownLatch(1);
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!queue.offer(barrier, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return false;
        }
        return barrier.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Drains the queue, writes a last checkpoint, closes the file; waits at most 10 s for the writer. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!queue.offer(STOP, 10, TimeUnit.SECONDS)) {
                writer.interrupt();
            }
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            writer.interrupt();
            Thread.currentThread().interrupt();
        }
    }

    /** The files of the log in {@code dir}, oldest first (the order {@link FlowVerifier} reads them in). */
    public static List<Path> filesInOrder(Path dir, String name) {
        return RotatingFile.filesInOrder(dir, name);
    }

    /** The last complete, parseable entry of the log in {@code dir}, if there is one: where a chain resumes. */
    public static Optional<Entry> lastEntry(Path dir, String name) {
        List<Path> files = new ArrayList<>(RotatingFile.filesInOrder(dir, name));
        for (int i = files.size() - 1; i >= 0; i--) {
            Path path = files.get(i);
            try {
                RotatingFile.dropTornLine(path);
                String last = null;
                try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        if (!line.isBlank()) {
                            last = line;
                        }
                    }
                }
                if (last != null) {
                    return Optional.of(FlowEntries.parseJson(last));
                }
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException(path + ": the last line is not a flow-log entry: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Optional.empty();
    }

    FlowLogFile start() {
        writer.start();
        return this;
    }

    private void run() {
        try {
            int emptyLooks = 0;
            boolean unflushed = false;
            long flushedAt = System.nanoTime();
            for (; ; ) {
                if (Thread.interrupted()) {
                    // Neither poll() nor a nap reacts to an interrupt: stop here as the blocking poll would.
                    throw new InterruptedException();
                }
                Object item = queue.poll();
                if (item == null && unflushed && emptyLooks < BATCH_LOOKS) {
                    // Nothing waits on the queue while the writer naps, so producers signal nobody: under load the
                    // writer wakes once a nap for a batch instead of once per record, and writes it at once.
                    emptyLooks++;
                    LockSupport.parkNanos(BATCH_NAP_NANOS);
                    continue;
                }
                if (item == null) {
                    if (unflushed) {
                        file.flush(); // idle: what the buffer holds goes to the file now
                        unflushed = false;
                        flushedAt = System.nanoTime();
                    }
                    item = queue.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                }
                emptyLooks = 0;
                chainGapIfDropped();
                if (item == STOP) {
                    break;
                }
                if (item instanceof FlowRecord record) {
                    chain.append(record);
                } else if (item instanceof CountDownLatch barrier) {
                    file.flush();
                    barrier.countDown();
                    unflushed = false;
                    flushedAt = System.nanoTime();
                    continue;
                } else {
                    chain.tick();
                }
                unflushed = true;
                if (System.nanoTime() - flushedAt > MAX_FLUSH_DELAY_NANOS) {
                    // A steady stream never leaves the queue empty for long: still, no line waits longer than this.
                    file.flush();
                    unflushed = false;
                    flushedAt = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            logger.warn("flow-log writer interrupted; {} queued records are lost", queue.size());
        } catch (RuntimeException e) {
            logger.error("flow-log writer failed; records are dropped from now on", e);
            closed = true;
        } finally {
            try {
                chainGapIfDropped();
                chain.checkpoint();
            } finally {
                file.close();
            }
        }
    }

    private void chainGapIfDropped() {
        long lost = droppedSinceGap.getAndSet(0);
        if (lost > 0) {
            chain.appendGap(Gap.newBuilder()
                    .setLost(lost)
                    .setCause(GapCause.WRITE_QUEUE_FULL)
                    .setFirstLostUnixNanos(firstDropNanos.getAndSet(0))
                    .setLastLostUnixNanos(lastDropNanos.get())
                    .build());
        }
    }

    /** Configures a {@link FlowLogFile}. */
    public static final class Builder {
        private final Path dir;
        private final FlowChain.Builder chain;
        private String name = DEFAULT_NAME;
        private long maxFileBytes = 64L * 1024 * 1024;
        private int keepFiles = 5;
        private int queueCapacity = 8192;
        private Clock clock = Clock.systemUTC();
        private boolean resume = true;
        private final List<EntrySink> also = new ArrayList<>();

        private Builder(Path dir, FlowChain.Builder chain) {
            this.dir = requireNonNull(dir, "dir");
            this.chain = requireNonNull(chain, "chain");
        }

        /** The current file's name (default {@value #DEFAULT_NAME}). */
        public Builder name(String name) {
            requireNonNull(name, "name");
            if (name.isEmpty() || name.contains("/")) {
                throw new IllegalArgumentException("name: '" + name + "' (expected: a file name)");
            }
            this.name = name;
            return this;
        }

        /** Rotate when the next line would take the file past this size (default 64 MiB). */
        public Builder maxFileBytes(long bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("maxFileBytes: " + bytes + " (expected: >= 1024)");
            }
            this.maxFileBytes = bytes;
            return this;
        }

        /** Files kept, the current one included (default 5). */
        public Builder keepFiles(int files) {
            if (files < 1) {
                throw new IllegalArgumentException("keepFiles: " + files + " (expected: >= 1)");
            }
            this.keepFiles = files;
            return this;
        }

        /** Records the queue holds before {@link #offer} drops (default 8192). */
        public Builder queueCapacity(int records) {
            if (records < 1) {
                throw new IllegalArgumentException("queueCapacity: " + records + " (expected: >= 1)");
            }
            this.queueCapacity = records;
            return this;
        }

        /** The clock of the chain and of the gap records (default UTC system clock). */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** Whether to continue the chain found in {@code dir} (default true); false starts a new chain at seq 0. */
        public Builder resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /** Also hands every chained entry to {@code sink}, on the writer thread, after the file. */
        public Builder alsoTo(EntrySink sink) {
            also.add(requireNonNull(sink, "sink"));
            return this;
        }

        /** Opens the log and starts its writer thread. */
        public FlowLogFile open() {
            return new FlowLogFile(this).start();
        }
    }
}
