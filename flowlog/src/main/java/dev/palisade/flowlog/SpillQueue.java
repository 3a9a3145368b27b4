package dev.palisade.flowlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.CodedOutputStream;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Gap;
import dev.palisade.flowlog.v1.GapCause;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shipper's buffer between the flow-log writer and the collector: a bounded in-memory queue that spills to
 * segment files in a directory while the collector is slow or away, and hands entries back strictly in the order
 * they were offered, across memory, disk and restarts.
 *
 * <p>Order: while anything is on disk, new entries go to disk too (behind it); the oldest segment is read back into
 * memory only when memory is empty. So memory always holds the oldest entries and disk the newest.
 *
 * <p>Loss: beyond {@code diskCapBytes} an entry is dropped and counted ({@link #dropped()}). When there is room
 * again, a stand-in {@link Gap} ({@code stand_in = true}, cause {@link GapCause#SPILL_CAP}) is queued first: it takes
 * the seq and prev_hash of the first dropped entry and says how many consecutive entries it stands for, so the
 * verifier of the collector's copy reports a declared loss instead of a deletion.
 *
 * <p>Segment files hold length-delimited protobuf {@link Entry}s ({@code spill-<number>.bin}), at most
 * {@code memoryEntries} each, so reading one back never exceeds the memory bound.
 *
 * <p>Thread-safe: the writer thread offers, the shipper thread peeks and polls; one lock, held during disk I/O (never
 * on the data path: the writer thread is the only producer).
 */
public final class SpillQueue implements EntrySink, AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(SpillQueue.class);
    private static final String PREFIX = "spill-";
    private static final String SUFFIX = ".bin";

    private final Path dir;
    private final int memoryEntries;
    private final long diskCapBytes;
    private final Clock clock;

    private final Deque<Entry> memory = new ArrayDeque<>();
    /** Closed segments, oldest first; the open one (if any) is {@link #writing} and is not in this list. */
    private final Deque<Path> segments = new ArrayDeque<>();

    private @Nullable Path writing;
    private @Nullable OutputStream writingOut;
    private int writingCount;
    private long nextSegment;
    private long diskBytes;
    private long diskEntries;

    private long dropped;
    private @Nullable Entry firstDropped;
    private long pendingLost;
    private long firstLostNanos;
    private long lastLostNanos;

    private SpillQueue(Path dir, int memoryEntries, long diskCapBytes, Clock clock) {
        this.dir = dir;
        this.memoryEntries = memoryEntries;
        this.diskCapBytes = diskCapBytes;
        this.clock = clock;
    }

    /**
     * Opens the queue in {@code dir}, taking over the segments a previous process left there (they are replayed
     * first).
     *
     * @param memoryEntries entries held in memory before spilling, and the size of a segment
     * @param diskCapBytes bytes of segment files before entries are dropped
     */
    public static SpillQueue open(Path dir, int memoryEntries, long diskCapBytes, Clock clock) {
        requireNonNull(dir, "dir");
        requireNonNull(clock, "clock");
        if (memoryEntries < 1) {
            throw new IllegalArgumentException("memoryEntries: " + memoryEntries + " (expected: >= 1)");
        }
        if (diskCapBytes < 0) {
            throw new IllegalArgumentException("diskCapBytes: " + diskCapBytes + " (expected: >= 0)");
        }
        SpillQueue queue = new SpillQueue(dir, memoryEntries, diskCapBytes, clock);
        try {
            queue.recover();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the spill directory " + dir, e);
        }
        return queue;
    }

    /** Queues {@code entry}: in memory, else on disk, else drops and counts it. Never throws for I/O. */
    @Override
    public synchronized void accept(Entry entry) {
        requireNonNull(entry, "entry");
        if (!hasRoomFor(entry)) {
            drop(entry);
            return;
        }
        queuePendingGap();
        store(entry);
    }

    /** The oldest entry, without removing it; {@code null} when empty. */
    public synchronized @Nullable Entry peek() {
        fillMemory();
        return memory.peekFirst();
    }

    /** Removes and returns the oldest entry; {@code null} when empty. */
    public synchronized @Nullable Entry poll() {
        fillMemory();
        return memory.pollFirst();
    }

    /** Entries queued, in memory and on disk. */
    public synchronized long size() {
        return memory.size() + diskEntries;
    }

    /** Bytes of segment files on disk. */
    public synchronized long diskBytes() {
        return diskBytes;
    }

    /** Entries dropped at the disk cap: the metric of issue 6. */
    public synchronized long dropped() {
        return dropped;
    }

    /** Closes the open segment; what is queued on disk is replayed by the next {@link #open}. */
    @Override
    public synchronized void close() {
        try {
            finishWriting();
        } catch (IOException e) {
            logger.warn("spill queue {}: cannot close the open segment", dir, e);
        }
    }

    private boolean hasRoomFor(Entry entry) {
        if (onDisk() == 0 && memory.size() < memoryEntries) {
            return true;
        }
        return diskBytes + delimitedSize(entry) <= diskCapBytes;
    }

    private long onDisk() {
        return (long) segments.size() + (writing != null ? 1 : 0);
    }

    private void store(Entry entry) {
        if (onDisk() == 0 && memory.size() < memoryEntries) {
            memory.addLast(entry);
            return;
        }
        try {
            spill(entry);
        } catch (IOException e) {
            logger.warn("spill queue {}: cannot spill entry seq {}", dir, entry.getSeq(), e);
            drop(entry);
        }
    }

    private void drop(Entry entry) {
        dropped++;
        long now = FlowChain.unixNanos(clock.instant());
        if (pendingLost == 0) {
            firstDropped = entry;
            firstLostNanos = now;
        }
        pendingLost++;
        lastLostNanos = now;
    }

    /** Queues the stand-in for the entries dropped since the last one, ahead of the entry that found room. */
    private void queuePendingGap() {
        Entry first = firstDropped;
        if (pendingLost == 0 || first == null) {
            return;
        }
        Entry standIn = Entry.newBuilder()
                .setSidecar(first.getSidecar())
                .setSeq(first.getSeq())
                .setPrevHash(first.getPrevHash())
                .setGap(Gap.newBuilder()
                        .setLost(pendingLost)
                        .setCause(GapCause.SPILL_CAP)
                        .setStandIn(true)
                        .setFirstLostUnixNanos(firstLostNanos)
                        .setLastLostUnixNanos(lastLostNanos))
                .build();
        pendingLost = 0;
        firstDropped = null;
        // The stand-in is small and must not be lost itself: it may exceed the cap by its own size.
        if (onDisk() == 0 && memory.size() < memoryEntries) {
            memory.addLast(standIn);
        } else {
            try {
                spill(standIn);
            } catch (IOException e) {
                logger.warn("spill queue {}: cannot spill the gap marker at seq {}", dir, standIn.getSeq(), e);
            }
        }
    }

    private void spill(Entry entry) throws IOException {
        if (writing == null || writingCount >= memoryEntries) {
            finishWriting();
            Path path = dir.resolve(String.format(Locale.ROOT, "%s%020d%s", PREFIX, nextSegment++, SUFFIX));
            writingOut = new BufferedOutputStream(Files.newOutputStream(path));
            writing = path;
            writingCount = 0;
        }
        OutputStream out = requireNonNull(writingOut, "writingOut");
        entry.writeDelimitedTo(out);
        writingCount++;
        diskEntries++;
        diskBytes += delimitedSize(entry);
    }

    private void finishWriting() throws IOException {
        OutputStream out = writingOut;
        Path path = writing;
        writingOut = null;
        writing = null;
        if (out != null && path != null) {
            out.close();
            segments.addLast(path);
        }
    }

    /** Memory empty and segments on disk: reads the oldest segment back (at most {@code memoryEntries} entries). */
    private void fillMemory() {
        if (!memory.isEmpty()) {
            return;
        }
        try {
            if (segments.isEmpty()) {
                finishWriting();
            }
            Path oldest = segments.pollFirst();
            if (oldest != null) {
                long bytes = Files.size(oldest);
                int read = readSegment(oldest);
                Files.delete(oldest);
                diskBytes = Math.max(0, diskBytes - bytes);
                diskEntries = Math.max(0, diskEntries - read);
            }
        } catch (IOException e) {
            logger.warn("spill queue {}: cannot read back a segment", dir, e);
        }
        if (memory.isEmpty()) {
            queuePendingGap();
        }
    }

    private int readSegment(Path path) throws IOException {
        int read = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            for (int i = 0; i < Integer.MAX_VALUE; i++) { // a segment of an earlier, larger memoryEntries is read whole
                Entry entry;
                try {
                    entry = Entry.parseDelimitedFrom(in);
                } catch (IOException e) {
                    logger.warn("spill queue {}: segment {} is torn after {} entries", dir, path, read, e);
                    break;
                }
                if (entry == null) {
                    break;
                }
                memory.addLast(entry);
                read++;
            }
        }
        return read;
    }

    private void recover() throws IOException {
        Files.createDirectories(dir);
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path p : stream) {
                found.add(p);
            }
        }
        found.sort(null); // zero-padded numbers: name order is offer order
        for (Path p : found) {
            segments.addLast(p);
            diskBytes += Files.size(p);
            String name = p.getFileName().toString();
            long n = Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
            nextSegment = Math.max(nextSegment, n + 1);
            diskEntries += countEntries(p);
        }
        if (!found.isEmpty()) {
            logger.info("spill queue {}: replaying {} entries left on disk", dir, diskEntries);
        }
    }

    private long countEntries(Path path) throws IOException {
        long n = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            for (int i = 0; i < Integer.MAX_VALUE && Entry.parseDelimitedFrom(in) != null; i++) {
                n++;
            }
        } catch (IOException e) {
            // a torn segment: counted up to the tear, as readSegment will read it
        }
        return n;
    }

    private static long delimitedSize(Entry entry) {
        int size = entry.getSerializedSize();
        return (long) CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }
}
