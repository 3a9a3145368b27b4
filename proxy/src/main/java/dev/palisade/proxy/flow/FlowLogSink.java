package dev.palisade.proxy.flow;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.flowlog.CheckpointSigner;
import dev.palisade.flowlog.FlowChain;
import dev.palisade.flowlog.FlowLogFile;
import dev.palisade.flowlog.SpillQueue;
import dev.palisade.proxy.identity.Backoff;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's flow log (issue 6): every {@link FlowEvent} becomes a {@link dev.palisade.flowlog.v1.FlowRecord}
 * ({@link FlowRecords}: no query, no header values), is chained with signed checkpoints, written to the rotated
 * JSON-lines file and, when a collector is configured, shipped to it over Envoy's AccessLogService.
 *
 * <pre>
 * event loop ── record() ──▶ FlowLogFile queue (bounded; full → counted drop, a Gap in the chain)
 *                               │ writer thread: FlowChain (seq, prev_hash, checkpoints) → flows.jsonl
 *                               └──▶ SpillQueue (memory, then disk; cap → counted loss, a stand-in Gap)
 *                                       │ shipper thread: a batch per ALS stream, kept until answered
 *                                       └──▶ collector (mTLS, the control plane's gRPC port)
 * </pre>
 *
 * <p>{@link #record} never blocks and never throws: it maps the event and offers it to the file's queue. The shipper
 * re-sends a batch until the collector acknowledges it, so a slow or absent collector costs disk (up to the cap),
 * never traffic. Every loss is counted: {@link #dropped()} (writer queue full) and {@link #lost()} (spill cap).
 *
 * <p>Shipping needs the file: after a restart the chain resumes from the file's last entry, so that the collector's
 * copy continues the same chain instead of starting a second one at seq 0.
 */
public final class FlowLogSink implements FlowSink, AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(FlowLogSink.class);

    private final SpiffeId sidecar;
    private final @Nullable FlowLogFile file;
    private final @Nullable SpillQueue spill;
    private final @Nullable AlsShipper shipper;
    private final Duration closeTimeout;
    private final AtomicLong unmappable = new AtomicLong();
    private volatile boolean closed;

    private FlowLogSink(
            SpiffeId sidecar,
            @Nullable FlowLogFile file,
            @Nullable SpillQueue spill,
            @Nullable AlsShipper shipper,
            Duration closeTimeout) {
        this.sidecar = sidecar;
        this.file = file;
        this.spill = spill;
        this.shipper = shipper;
        this.closeTimeout = closeTimeout;
    }

    /**
     * Opens the file (resuming its chain), the spill queue (replaying what a previous process left on disk) and starts
     * the writer and shipper threads. Without a file directory the sink records nothing.
     *
     * @throws java.io.UncheckedIOException when the file or spill directory cannot be opened
     */
    public static FlowLogSink open(Settings settings) {
        requireNonNull(settings, "settings");
        Path dir = settings.fileDirectory();
        if (dir == null) {
            logger.info("flow logs: no file directory configured; flow events are not recorded");
            return new FlowLogSink(settings.sidecar(), null, null, null, settings.closeTimeout());
        }
        FlowChain.Builder chain = FlowChain.builder(settings.sidecar(), CheckpointSigner.ofCurrent(settings.svid()))
                .clock(settings.clock())
                .checkpointEvery(settings.checkpointEvery())
                .checkpointInterval(settings.checkpointInterval());
        FlowLogFile.Builder file = FlowLogFile.builder(dir, chain)
                .clock(settings.clock())
                .maxFileBytes(settings.maxFileBytes())
                .keepFiles(settings.keepFiles())
                .queueCapacity(settings.queueCapacity());

        Path spillDir = settings.spillDirectory();
        InetSocketAddress collector = settings.collector();
        Supplier<SslContext> ssl = settings.collectorSslContext();
        if (spillDir == null || collector == null || ssl == null) {
            return new FlowLogSink(settings.sidecar(), file.open(), null, null, settings.closeTimeout());
        }
        SpillQueue spill =
                SpillQueue.open(spillDir, settings.memoryEntries(), settings.diskCapBytes(), settings.clock());
        AlsShipper shipper = new AlsShipper(
                spill,
                settings.sidecar(),
                collector,
                ssl,
                settings.backoff(),
                settings.batchEntries(),
                settings.batchDelay(),
                settings.streamDeadline());
        file.alsoTo(entry -> {
            spill.accept(entry);
            shipper.entryQueued();
        });
        shipper.start();
        FlowLogFile opened;
        try {
            opened = file.open();
        } catch (RuntimeException e) {
            shipper.close();
            spill.close();
            throw e;
        }
        logger.info(
                "flow logs: {} writing to {}, shipping to {} (spill in {})",
                settings.sidecar(),
                dir,
                collector,
                spillDir);
        return new FlowLogSink(settings.sidecar(), opened, spill, shipper, settings.closeTimeout());
    }

    /** Maps {@code event} and hands it to the writer; never blocks, never throws (a refused record is counted). */
    @Override
    public void record(FlowEvent event) {
        FlowLogFile f = file;
        if (f == null || event == null) {
            return;
        }
        try {
            f.offer(FlowRecords.from(event, sidecar));
        } catch (RuntimeException e) {
            unmappable.incrementAndGet();
            logger.debug("flow logs: an event could not be recorded", e);
        }
    }

    /** Entries waiting for the collector: in the spill queue (memory and disk) and in the batch being sent. */
    public long queueDepth() {
        SpillQueue s = spill;
        AlsShipper sh = shipper;
        return (s == null ? 0 : s.size()) + (sh == null ? 0 : sh.inFlight());
    }

    /** Records dropped before they were chained (the writer's queue was full, or the sink closed); a Gap says so. */
    public long dropped() {
        FlowLogFile f = file;
        return (f == null ? 0 : f.dropped()) + unmappable.get();
    }

    /** Entries the collector acknowledged. */
    public long shipped() {
        AlsShipper sh = shipper;
        return sh == null ? 0 : sh.shipped();
    }

    /** Entries dropped from the collector's copy at the spill cap (the file keeps them); a stand-in Gap says so. */
    public long lost() {
        SpillQueue s = spill;
        return s == null ? 0 : s.dropped();
    }

    /** Streams to the collector that failed and were retried. */
    public long shipFailures() {
        AlsShipper sh = shipper;
        return sh == null ? 0 : sh.streamsFailed();
    }

    /** Bytes of spill segments on disk. */
    public long spillDiskBytes() {
        SpillQueue s = spill;
        return s == null ? 0 : s.diskBytes();
    }

    /** Waits until everything recorded before this call is written to the file (tests, shutdown). */
    boolean sync(Duration timeout) throws InterruptedException {
        FlowLogFile f = file;
        return f == null || f.sync(timeout);
    }

    /**
     * Stops recording, writes the queued records and a final checkpoint, then gives the shipper up to
     * {@code closeTimeout} to deliver what is queued; what is left (in memory, in flight, on disk) is kept in the spill
     * directory and shipped by the next process. Blocks.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        FlowLogFile f = file;
        if (f != null) {
            f.close();
        }
        AlsShipper sh = shipper;
        if (sh != null) {
            sh.close(closeTimeout);
        }
        SpillQueue s = spill;
        if (s != null) {
            s.close();
        }
    }

    /**
     * What a {@link FlowLogSink} writes and where it ships.
     *
     * @param sidecar this workload's SPIFFE ID: the chain's {@code sidecar} and the ALS {@code node.id}
     * @param svid the current SVID, read at each checkpoint (renewals need no call)
     * @param fileDirectory where {@code flows.jsonl} and its rotations live; {@code null}: record nothing
     * @param maxFileBytes rotate past this size
     * @param keepFiles files kept, the current one included
     * @param queueCapacity records the writer's queue holds before {@link #record} drops
     * @param checkpointEvery a signed checkpoint after this many entries
     * @param checkpointInterval ... or after this long with entries uncovered
     * @param spillDirectory the shipper's spill segments; {@code null}: no shipping
     * @param memoryEntries entries the spill queue holds in memory (and per segment)
     * @param diskCapBytes bytes of spill segments before entries are dropped from the collector's copy
     * @param collector the control plane's gRPC address; {@code null}: no shipping
     * @param collectorSslContext the client context for it (the xDS one), asked for on first use; {@code null}: no
     *     shipping
     * @param batchEntries entries per ALS stream at most
     * @param batchDelay how long a batch waits for more entries after its first one
     * @param streamDeadline how long one stream may take, answer included
     * @param closeTimeout how long {@link #close} waits for the shipper to deliver the rest
     */
    public record Settings(
            SpiffeId sidecar,
            Supplier<X509Svid> svid,
            @Nullable Path fileDirectory,
            long maxFileBytes,
            int keepFiles,
            int queueCapacity,
            int checkpointEvery,
            Duration checkpointInterval,
            @Nullable Path spillDirectory,
            int memoryEntries,
            long diskCapBytes,
            @Nullable InetSocketAddress collector,
            @Nullable Supplier<SslContext> collectorSslContext,
            int batchEntries,
            Duration batchDelay,
            Duration streamDeadline,
            Duration closeTimeout,
            Clock clock,
            Backoff backoff) {

        public Settings {
            requireNonNull(sidecar, "sidecar");
            requireNonNull(svid, "svid");
            requireNonNull(checkpointInterval, "checkpointInterval");
            requireNonNull(batchDelay, "batchDelay");
            requireNonNull(streamDeadline, "streamDeadline");
            requireNonNull(closeTimeout, "closeTimeout");
            requireNonNull(clock, "clock");
            requireNonNull(backoff, "backoff");
            atLeast("maxFileBytes", maxFileBytes, 1024);
            atLeast("keepFiles", keepFiles, 1);
            atLeast("queueCapacity", queueCapacity, 1);
            atLeast("checkpointEvery", checkpointEvery, 1);
            atLeast("memoryEntries", memoryEntries, 1);
            atLeast("diskCapBytes", diskCapBytes, 0);
            atLeast("batchEntries", batchEntries, 1);
            positive("checkpointInterval", checkpointInterval);
            positive("streamDeadline", streamDeadline);
            if (batchDelay.isNegative() || closeTimeout.isNegative()) {
                throw new IllegalArgumentException(
                        "batchDelay: " + batchDelay + ", closeTimeout: " + closeTimeout + " (expected: >= 0)");
            }
            boolean anyShipping = spillDirectory != null || collector != null || collectorSslContext != null;
            boolean allShipping = spillDirectory != null && collector != null && collectorSslContext != null;
            if (anyShipping && !allShipping) {
                throw new IllegalArgumentException("shipping: spillDirectory " + spillDirectory + ", collector "
                        + collector + ", sslContext " + (collectorSslContext != null)
                        + " (expected: all three, or none)");
            }
            if (allShipping && fileDirectory == null) {
                throw new IllegalArgumentException("fileDirectory: null (expected: a directory when shipping; the"
                        + " chain resumes from the file after a restart)");
            }
        }

        /** Settings with the defaults: no file, no shipping; see {@link Builder}. */
        public static Builder builder(SpiffeId sidecar, Supplier<X509Svid> svid) {
            return new Builder(sidecar, svid);
        }

        /** Whether entries are shipped to a collector. */
        public boolean ships() {
            return collector != null;
        }

        private static void atLeast(String name, long value, long min) {
            if (value < min) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
            }
        }

        private static void positive(String name, Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
            }
        }

        /** Builds {@link Settings}; every default is named on its method. */
        public static final class Builder {
            private final SpiffeId sidecar;
            private final Supplier<X509Svid> svid;
            private @Nullable Path fileDirectory;
            private long maxFileBytes = 64L * 1024 * 1024;
            private int keepFiles = 5;
            private int queueCapacity = 8192;
            private int checkpointEvery = 1000;
            private Duration checkpointInterval = Duration.ofSeconds(10);
            private @Nullable Path spillDirectory;
            private int memoryEntries = 4096;
            private long diskCapBytes = 256L * 1024 * 1024;
            private @Nullable InetSocketAddress collector;
            private @Nullable Supplier<SslContext> collectorSslContext;
            private int batchEntries = 1000;
            // Short: a batch's entries live until its stream is answered, and the entries a young collection finds
            // alive are copied or promoted. 500 ms made the young pauses 30 % longer under load.
            private Duration batchDelay = Duration.ofMillis(100);
            private Duration streamDeadline = Duration.ofSeconds(30);
            private Duration closeTimeout = Duration.ofSeconds(5);
            private Clock clock = Clock.systemUTC();
            private Backoff backoff = Backoff.defaults();

            private Builder(SpiffeId sidecar, Supplier<X509Svid> svid) {
                this.sidecar = requireNonNull(sidecar, "sidecar");
                this.svid = requireNonNull(svid, "svid");
            }

            /** The JSON-lines file's directory (none by default: nothing is recorded). */
            public Builder file(Path directory) {
                this.fileDirectory = requireNonNull(directory, "directory");
                return this;
            }

            /** Rotate past this size (default 64 MiB). */
            public Builder maxFileBytes(long bytes) {
                this.maxFileBytes = bytes;
                return this;
            }

            /** Files kept, the current one included (default 5). */
            public Builder keepFiles(int files) {
                this.keepFiles = files;
                return this;
            }

            /** The writer's queue (default 8192 records). */
            public Builder queueCapacity(int records) {
                this.queueCapacity = records;
                return this;
            }

            /** A checkpoint every {@code entries} (default 1000) or {@code interval} (default 10 s). */
            public Builder checkpoints(int entries, Duration interval) {
                this.checkpointEvery = entries;
                this.checkpointInterval = requireNonNull(interval, "interval");
                return this;
            }

            /**
             * Ships to {@code collector} (the control plane's gRPC port) with {@code sslContext} (the xDS client context),
             * spilling to {@code spillDirectory} (none by default: no shipping).
             */
            public Builder shipTo(InetSocketAddress collector, Supplier<SslContext> sslContext, Path spillDirectory) {
                this.collector = requireNonNull(collector, "collector");
                this.collectorSslContext = requireNonNull(sslContext, "sslContext");
                this.spillDirectory = requireNonNull(spillDirectory, "spillDirectory");
                return this;
            }

            /** Spill queue bounds: entries in memory (default 4096) and bytes on disk (default 256 MiB). */
            public Builder spill(int memoryEntries, long diskCapBytes) {
                this.memoryEntries = memoryEntries;
                this.diskCapBytes = diskCapBytes;
                return this;
            }

            /** Entries per ALS stream (default 1000) and how long a batch waits to fill (default 100 ms). */
            public Builder batch(int entries, Duration delay) {
                this.batchEntries = entries;
                this.batchDelay = requireNonNull(delay, "delay");
                return this;
            }

            /** How long one stream may take, answer included (default 30 s). */
            public Builder streamDeadline(Duration deadline) {
                this.streamDeadline = requireNonNull(deadline, "deadline");
                return this;
            }

            /** How long {@link FlowLogSink#close} waits for the shipper (default 5 s). */
            public Builder closeTimeout(Duration timeout) {
                this.closeTimeout = requireNonNull(timeout, "timeout");
                return this;
            }

            /** The chain's and the gaps' clock (default UTC system clock). */
            public Builder clock(Clock clock) {
                this.clock = requireNonNull(clock, "clock");
                return this;
            }

            /** Reconnect backoff (default {@link Backoff#defaults()}: 1 s doubling to 30 s, ±20 %). */
            public Builder backoff(Backoff backoff) {
                this.backoff = requireNonNull(backoff, "backoff");
                return this;
            }

            public Settings build() {
                return new Settings(
                        sidecar,
                        svid,
                        fileDirectory,
                        maxFileBytes,
                        keepFiles,
                        queueCapacity,
                        checkpointEvery,
                        checkpointInterval,
                        spillDirectory,
                        memoryEntries,
                        diskCapBytes,
                        collector,
                        collectorSslContext,
                        batchEntries,
                        batchDelay,
                        streamDeadline,
                        closeTimeout,
                        clock,
                        backoff);
            }
        }
    }
}
