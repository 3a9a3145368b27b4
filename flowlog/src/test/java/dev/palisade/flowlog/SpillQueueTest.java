package dev.palisade.flowlog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Gap;
import dev.palisade.flowlog.v1.GapCause;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillQueueTest {
    private final Fixtures f = new Fixtures();

    @TempDir
    Path dir;

    @Test
    void dropsBeyondTheByteCapAndQueuesAStandInGapThatVerifies() {
        List<Entry> log = f.entries(40, 10); // 44 entries
        long entrySize = (long) log.get(1).getSerializedSize() + 2;
        SpillQueue queue = SpillQueue.open(dir, 4, 10 * entrySize, f.clock);

        for (Entry e : log.subList(0, 30)) {
            queue.accept(e);
        }
        long dropped = queue.dropped();
        assertThat(dropped).isPositive();
        List<Entry> shipped = drain(queue, 1000);
        for (Entry e : log.subList(30, log.size())) { // the collector is back and keeps up
            queue.accept(e);
            shipped.add(queue.poll());
        }
        assertThat(queue.poll()).isNull();

        Entry standIn = shipped.stream().filter(Entry::hasGap).findFirst().orElseThrow();
        assertThat(standIn.getGap().getStandIn()).isTrue();
        assertThat(queue.dropped()).isEqualTo(dropped);
        assertThat(standIn.getGap().getLost()).isEqualTo(dropped);
        assertThat(shipped).hasSize((int) (log.size() - dropped + 1));
        VerifyResult result = f.verifier().verify(shipped.iterator());
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.lostRecords()).isEqualTo(dropped);
        assertThat(result.warnings()).anySatisfy(w -> assertThat(w.message()).contains("dropped from this copy"));
    }

    @Test
    void keepsTheOrderAcrossMemoryDiskAndReplay() {
        List<Entry> log = f.entries(100, 10);
        SpillQueue queue = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        List<Entry> shipped = new ArrayList<>();

        for (int i = 0; i < log.size(); i++) {
            queue.accept(log.get(i));
            if (i % 7 == 0) { // a slow collector: takes one now and then
                shipped.add(queue.poll());
            }
        }
        assertThat(queue.diskBytes()).isPositive();
        shipped.addAll(drain(queue, 1000));

        assertThat(queue.dropped()).isZero();
        assertThat(shipped).containsExactlyElementsOf(log);
        assertThat(queue.diskBytes()).isZero();
    }

    @Test
    void replaysWhatWasOnDiskAndInMemoryAfterACleanRestart() {
        List<Entry> log = f.entries(30, 10); // 33 entries: 4 in memory, the rest on disk
        SpillQueue first = SpillQueue.open(dir, 4, Long.MAX_VALUE, f.clock);
        for (Entry e : log) {
            first.accept(e);
        }
        List<Entry> shipped = new ArrayList<>();
        shipped.add(first.poll());
        assertThat(first.diskBytes()).isPositive();
        first.close(); // 3 entries in memory (the oldest), 29 on disk

        SpillQueue second = SpillQueue.open(dir, 4, Long.MAX_VALUE, f.clock);
        assertThat(second.size()).isEqualTo(log.size() - 1);
        shipped.addAll(drain(second, 1000));

        assertThat(shipped).containsExactlyElementsOf(log);
        assertThat(second.dropped()).isZero();
        assertThat(dir.resolve(SpillQueue.HEAD)).doesNotExist(); // all of it polled
        assertWhole(shipped, 0);
    }

    @Test
    void keepsWhatIsOnlyInMemoryAcrossACleanRestart() {
        List<Entry> log = f.entries(5, 10); // 6 entries, all in memory
        SpillQueue first = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        log.forEach(first::accept);
        assertThat(first.diskBytes()).isZero();
        first.close();
        first.close(); // idempotent

        SpillQueue second = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        Entry last = log.get(log.size() - 1);
        List<Entry> more = f.entries(f.chain(10).resumeAfter(last.getSeq(), FlowEntries.hash(last)), 3);
        more.forEach(second::accept);

        List<Entry> shipped = drain(second, 1000);
        List<Entry> expected = new ArrayList<>(log);
        expected.addAll(more);
        assertThat(shipped).containsExactlyElementsOf(expected);
        assertWhole(shipped, 0);
    }

    @Test
    void keepsTheHeadUntilItsEntriesArePolledAndAgainAtTheNextClose() {
        List<Entry> log = f.entries(5, 10);
        SpillQueue first = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        log.forEach(first::accept);
        first.close();

        SpillQueue second = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        List<Entry> shipped = new ArrayList<>();
        shipped.add(second.poll());
        shipped.add(second.poll());
        assertThat(dir.resolve(SpillQueue.HEAD)).exists(); // a crash now would replay all 6 again: duplicates, no loss
        second.close();

        SpillQueue third = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        shipped.addAll(drain(third, 1000));
        assertThat(shipped).containsExactlyElementsOf(log);
    }

    @Test
    void putsAnUndeliveredBatchBackInFrontAndKeepsItAtClose() {
        List<Entry> log = f.entries(20, 10); // 22 entries
        SpillQueue first = SpillQueue.open(dir, 4, Long.MAX_VALUE, f.clock);
        log.forEach(first::accept);
        List<Entry> batch = new ArrayList<>(); // the shipper's batch, never acknowledged
        for (int i = 0; i < 6; i++) {
            batch.add(first.poll());
        }
        first.returnUnshipped(batch);
        first.close();

        SpillQueue second = SpillQueue.open(dir, 4, Long.MAX_VALUE, f.clock);
        assertThat(drain(second, 1000)).containsExactlyElementsOf(log);
    }

    @Test
    void keepsTheHeadWithinTheDiskCapAndDeclaresTheRest() {
        List<Entry> log = f.entries(20, 100); // 20 records and a checkpoint, all in memory
        long entrySize = (long) log.get(1).getSerializedSize() + 2;
        long cap = 12 + 5 * entrySize + entrySize / 2; // room for the header and 5 entries
        SpillQueue first = SpillQueue.open(dir, 64, cap, f.clock);
        log.forEach(first::accept);
        assertThat(first.dropped()).isZero();
        first.close();

        assertThat(first.dropped()).isEqualTo(log.size() - 5);
        SpillQueue second = SpillQueue.open(dir, 64, cap, f.clock);
        List<Entry> shipped = drain(second, 1000);
        assertThat(shipped).hasSize(6);
        assertThat(shipped.subList(0, 5)).containsExactlyElementsOf(log.subList(0, 5));
        Gap gap = shipped.get(5).getGap();
        assertThat(gap.getStandIn()).isTrue();
        assertThat(gap.getCause()).isEqualTo(GapCause.SPILL_CAP);
        assertThat(gap.getLost()).isEqualTo(log.size() - 5);
        assertThat(shipped.get(5).getSeq()).isEqualTo(5);
        // The stand-in may pass the cap by its own size, as at any other drop.
        long standInSize = shipped.get(5).getSerializedSize() + 1;
        assertThat(first.diskBytes() + sizeOf(dir.resolve(SpillQueue.HEAD))).isLessThanOrEqualTo(cap + standInSize);
        assertWhole(shipped, log.size() - 5);
    }

    @Test
    void replaysTheRestOfATornHeadAndDeclaresWhatIsLost() throws IOException {
        List<Entry> log = f.entries(30, 10); // 33 entries: 8 in memory at close, 25 on disk
        SpillQueue first = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        log.forEach(first::accept);
        first.close();
        Path head = dir.resolve(SpillQueue.HEAD);
        byte[] bytes = Files.readAllBytes(head);
        Files.write(head, Arrays.copyOf(bytes, bytes.length - 10)); // the 8th entry is cut short

        SpillQueue second = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        assertThat(second.dropped()).isEqualTo(1);
        List<Entry> shipped = drain(second, 1000);

        assertThat(shipped.subList(0, 7)).containsExactlyElementsOf(log.subList(0, 7));
        assertThat(shipped.get(7).getGap().getStandIn()).isTrue();
        assertThat(shipped.get(7).getSeq()).isEqualTo(7);
        assertThat(shipped.subList(8, shipped.size())).containsExactlyElementsOf(log.subList(8, log.size()));
        assertWhole(shipped, 1);
    }

    @Test
    void replaysTheSegmentsWhenTheHeadIsGarbage() throws IOException {
        List<Entry> log = f.entries(30, 10);
        SpillQueue first = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        log.forEach(first::accept);
        first.close();
        Files.write(dir.resolve(SpillQueue.HEAD), new byte[] {'n', 'o', 't'});
        Files.write(dir.resolve(SpillQueue.HEAD + ".tmp"), new byte[] {1, 2, 3}); // a close that did not finish

        SpillQueue second = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        List<Entry> shipped = drain(second, 1000);

        assertThat(shipped).containsExactlyElementsOf(log.subList(8, log.size()));
        assertThat(dir.resolve(SpillQueue.HEAD)).doesNotExist();
        assertThat(dir.resolve(SpillQueue.HEAD + ".tmp")).doesNotExist();
    }

    @Test
    void drainsBatchesInOrderAcrossMemoryAndDisk() {
        List<Entry> log = f.entries(30, 10); // 33 entries: 4 in memory, the rest in segments of 4
        SpillQueue queue = SpillQueue.open(dir, 4, Long.MAX_VALUE, f.clock);
        log.forEach(queue::accept);
        List<Entry> shipped = new ArrayList<>();

        assertThat(queue.drainTo(shipped, 10)).isEqualTo(10);
        assertThat(queue.drainTo(shipped, 0)).isZero();
        assertThat(queue.drainTo(shipped, 100)).isEqualTo(23);

        assertThat(shipped).containsExactlyElementsOf(log);
        assertThat(queue.size()).isZero();
    }

    @Test
    void dropsAndCountsWhatIsOfferedAfterClose() {
        SpillQueue queue = SpillQueue.open(dir, 8, Long.MAX_VALUE, f.clock);
        queue.close();
        List<Entry> log = f.entries(2, 10);

        queue.accept(log.get(0));
        queue.returnUnshipped(log.subList(1, 3));

        assertThat(queue.dropped()).isEqualTo(3);
        assertThat(queue.poll()).isNull();
    }

    private void assertWhole(List<Entry> shipped, long lost) {
        VerifyResult result = f.verifier().verify(shipped.iterator());
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.lostRecords()).isEqualTo(lost);
    }

    private static long sizeOf(Path path) {
        try {
            return Files.exists(path) ? Files.size(path) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Entry> drain(SpillQueue queue, int max) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < max; i++) {
            Entry e = queue.poll();
            if (e == null) {
                return out;
            }
            out.add(e);
        }
        throw new AssertionError("more than " + max + " entries");
    }
}
