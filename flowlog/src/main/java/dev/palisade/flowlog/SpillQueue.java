package dev.palisade.flowlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Gap;
import dev.palisade.flowlog.v1.GapCause;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * <p>Restarts: {@link #close} persists the memory part, which holds the oldest entries, to a head file
 * ({@value #HEAD}: a magic number, the entry count, then the entries length-delimited), written to a temporary file,
 * forced to disk and renamed over the old one, so that a crash during close leaves the previous head or the new one,
 * never half of one. {@link #open} replays the head first, then the segments, oldest first. The head counts against
 * {@code diskCapBytes} like a segment: what does not fit is dropped, counted, and declared by a stand-in gap after
 * what was kept. The head file stays on disk until its entries are polled (a crash before then replays them again:
 * the collector stores idempotently), so only entries offered after the last open live in memory alone; those are
 * lost on a crash, never on a clean close. An unreadable or torn head is reported, its lost entries counted and,
 * when the entry before them is known, declared by a stand-in gap; the segments are replayed all the same.
 *
 * <p>Thread-safe: the writer thread offers, the shipper thread peeks and polls; one lock, held during disk I/O (never
 * on the data path: the writer thread is the only producer).
 */
public final class SpillQueue implements EntrySink, AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(SpillQueue.class);
    private static final String PREFIX = "spill-";
    private static final String SUFFIX = ".bin";
    /** The memory part at the last close; not a {@code spill-*.bin} name, so never taken for a segment. */
    static final String HEAD = "head.bin";

    private static final String HEAD_TEMP = HEAD + ".tmp";
    /** "PSQ1": the head format's magic number and version. */
    private static final int HEAD_MAGIC = 0x50535131;
    /** Magic and count: {@code int} + {@code long}. */
    private static final int HEAD_HEADER_BYTES = 12;

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

    /** Entries of the head file still at the front of memory; the file is deleted when they are all polled. */
    private long headRemaining;

    private boolean closed;

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
        if (closed) {
            dropped++;
            logger.warn("spill queue {}: entry seq {} offered after close is dropped", dir, entry.getSeq());
            return;
        }
        if (!hasRoomFor(entry)) {
            drop(entry);
            return;
        }
        queuePendingGap();
        store(entry);
    }

    /** The oldest entry, without removing it; {@code null} when empty or closed. */
    public synchronized @Nullable Entry peek() {
        if (closed) {
            return null; // what is left is on disk for the next open
        }
        fillMemory();
        return memory.peekFirst();
    }

    /** Removes and returns the oldest entry; {@code null} when empty or closed. */
    public synchronized @Nullable Entry poll() {
        if (closed) {
            return null; // what is left is on disk for the next open
        }
        fillMemory();
        Entry entry = memory.pollFirst();
        if (entry != null && headRemaining > 0 && --headRemaining == 0) {
            deleteHead(); // every entry the head held has been handed out
        }
        return entry;
    }

    /**
     * Moves up to {@code max} of the oldest entries to the end of {@code into}, in order, under one lock (a batch for
     * the shipper without a lock round trip per entry against the writer thread); returns how many.
     */
    public synchronized int drainTo(List<Entry> into, int max) {
        requireNonNull(into, "into");
        int n = 0;
        while (n < max) {
            Entry entry = poll();
            if (entry == null) {
                break;
            }
            into.add(entry);
            n++;
        }
        return n;
    }

    /**
     * Puts back {@code entries}, which were polled and not delivered, in front of everything queued, in their order:
     * the shipper's batch when it stops. After {@link #close} they are dropped and counted.
     */
    public synchronized void returnUnshipped(List<Entry> entries) {
        requireNonNull(entries, "entries");
        if (closed) {
            dropped += entries.size();
            logger.warn("spill queue {}: {} undelivered entries returned after close are dropped", dir, entries.size());
            return;
        }
        for (int i = entries.size() - 1; i >= 0; i--) {
            memory.addFirst(requireNonNull(entries.get(i), "entry"));
        }
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

    /**
     * Closes the open segment and persists the memory part as the head file, within the disk cap; everything queued
     * is replayed by the next {@link #open}, in order. Entries dropped at the cap since the last stand-in get theirs
     * (at the tail). Later offers are dropped and counted.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        queuePendingGap(); // at the tail, where the dropped entries were
        closed = true;
        try {
            finishWriting();
        } catch (IOException e) {
            logger.warn("spill queue {}: cannot close the open segment", dir, e);
        }
        try {
            writeHead();
        } catch (IOException e) {
            dropped += memory.size();
            logger.warn(
                    "spill queue {}: cannot persist the {} entries in memory; they are lost", dir, memory.size(), e);
        }
        memory.clear();
        headRemaining = 0;
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
        long now = now();
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
        Entry standIn = standIn(
                first.getSidecar(), first.getSeq(), first.getPrevHash(), pendingLost, firstLostNanos, lastLostNanos);
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
        readHead(); // the oldest entries: memory at the last close
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

    /**
     * Writes the memory part (the oldest entries) to {@link #HEAD}, atomically: as many as fit under the disk cap,
     * oldest first, then one stand-in gap for the rest (it may pass the cap by its own size, as the one of
     * {@link #queuePendingGap} does). No memory part: no head file.
     */
    private void writeHead() throws IOException {
        Path head = dir.resolve(HEAD);
        Path temp = dir.resolve(HEAD_TEMP);
        if (memory.isEmpty()) {
            Files.deleteIfExists(head);
            return;
        }
        List<Entry> all = new ArrayList<>(memory);
        List<Entry> kept = new ArrayList<>(all.size() + 1);
        long budget = diskCapBytes - diskBytes - HEAD_HEADER_BYTES;
        int fit = 0;
        while (fit < all.size() && delimitedSize(all.get(fit)) <= budget) {
            budget -= delimitedSize(all.get(fit));
            kept.add(all.get(fit));
            fit++;
        }
        if (fit < all.size()) {
            List<Entry> rest = all.subList(fit, all.size());
            long seqs = 0; // the seqs the rest takes: a stand-in among them already stands for several
            for (Entry entry : rest) {
                seqs += entry.hasGap() && entry.getGap().getStandIn()
                        ? entry.getGap().getLost()
                        : 1;
            }
            Entry first = rest.get(0);
            long now = now();
            kept.add(standIn(first.getSidecar(), first.getSeq(), first.getPrevHash(), seqs, now, now));
            dropped += rest.size();
            logger.warn(
                    "spill queue {}: {} of the {} entries in memory do not fit under the disk cap of {} bytes;"
                            + " dropped, a stand-in gap declares them",
                    dir,
                    rest.size(),
                    all.size(),
                    diskCapBytes);
        }
        try (FileChannel channel = FileChannel.open(
                        temp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                DataOutputStream out =
                        new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)))) {
            out.writeInt(HEAD_MAGIC);
            out.writeLong(kept.size());
            for (Entry entry : kept) {
                entry.writeDelimitedTo(out);
            }
            out.flush();
            channel.force(true);
        }
        Files.move(temp, head, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory();
        logger.info("spill queue {}: kept {} entries from memory in {}", dir, kept.size(), head);
    }

    private static Entry standIn(
            String sidecar, long seq, ByteString prevHash, long lost, long firstLostNanos, long lastLostNanos) {
        return Entry.newBuilder()
                .setSidecar(sidecar)
                .setSeq(seq)
                .setPrevHash(prevHash)
                .setGap(Gap.newBuilder()
                        .setLost(lost)
                        .setCause(GapCause.SPILL_CAP)
                        .setStandIn(true)
                        .setFirstLostUnixNanos(firstLostNanos)
                        .setLastLostUnixNanos(lastLostNanos))
                .build();
    }

    /**
     * Reads the head file a clean close left into memory, ahead of the segments. A torn or corrupt head is reported,
     * never fatal: its readable entries are kept, the rest counted as dropped and, when the entry before them was
     * read, declared by a stand-in gap.
     */
    private void readHead() throws IOException {
        Path head = dir.resolve(HEAD);
        Files.deleteIfExists(dir.resolve(HEAD_TEMP)); // a close that did not finish: the old head still stands
        if (!Files.exists(head)) {
            return;
        }
        long expected = -1;
        long read = 0;
        @Nullable Entry last = null;
        String problem = "";
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(head)))) {
            int magic = in.readInt();
            long count = in.readLong();
            if (magic != HEAD_MAGIC || count < 0) {
                problem = String.format(Locale.ROOT, "not a head file (magic %08x, count %d)", magic, count);
            } else {
                expected = count;
                for (; read < count; read++) {
                    Entry entry = Entry.parseDelimitedFrom(in);
                    if (entry == null) {
                        problem = "it ends after " + read + " of " + count + " entries";
                        break;
                    }
                    memory.addLast(entry);
                    last = entry;
                }
            }
        } catch (IOException e) { // EOFException, InvalidProtocolBufferException
            problem = expected < 0
                    ? "cannot read its header: " + e
                    : "entry " + (read + 1) + " of " + expected + " is unreadable: " + e;
        }
        headRemaining = read;
        if (problem.isEmpty()) {
            logger.info("spill queue {}: replaying {} entries kept from memory at the last close", dir, read);
            return;
        }
        long lost = Math.max(0, expected - read);
        dropped += lost;
        boolean declared = false;
        if (lost > 0 && last != null && !(last.hasGap() && last.getGap().getStandIn())) {
            long now = now();
            memory.addLast(standIn(last.getSidecar(), last.getSeq() + 1, FlowEntries.hash(last), lost, now, now));
            declared = true;
        }
        logger.warn(
                "spill queue {}: the head file {} is damaged ({}): replaying the {} entries before the damage and the"
                        + " segments; {} entries lost{}",
                dir,
                head,
                problem,
                read,
                expected < 0 ? "an unknown number of" : String.valueOf(lost),
                declared ? ", declared by a stand-in gap" : "");
        if (read == 0) {
            Files.delete(head); // nothing of it is in memory: it must not be replayed again
        }
    }

    private void deleteHead() {
        try {
            Files.deleteIfExists(dir.resolve(HEAD));
        } catch (IOException e) {
            logger.warn(
                    "spill queue {}: cannot delete the replayed head file; its entries may be replayed again", dir, e);
        }
    }

    /** Makes the rename durable; not every file system lets a directory be opened for it. */
    private void forceDirectory() {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            logger.debug("spill queue {}: cannot force the directory", dir, e);
        }
    }

    private long now() {
        return FlowChain.unixNanos(clock.instant());
    }

    private static long delimitedSize(Entry entry) {
        int size = entry.getSerializedSize();
        return (long) CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }
}
