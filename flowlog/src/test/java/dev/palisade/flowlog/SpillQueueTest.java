package dev.palisade.flowlog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.flowlog.v1.Entry;
import java.nio.file.Path;
import java.util.ArrayList;
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
    void replaysWhatWasOnDiskAfterARestart() {
        List<Entry> log = f.entries(30, 10);
        SpillQueue first = SpillQueue.open(dir, 4, Long.MAX_VALUE, f.clock);
        for (Entry e : log) {
            first.accept(e);
        }
        List<Entry> shipped = new ArrayList<>();
        shipped.add(first.poll());
        first.close(); // the 3 entries left in memory are lost with the process; disk survives

        SpillQueue second = SpillQueue.open(dir, 4, Long.MAX_VALUE, f.clock);
        assertThat(second.size()).isEqualTo(log.size() - 4);
        shipped.addAll(drain(second, 1000));

        assertThat(shipped.get(0)).isEqualTo(log.get(0));
        assertThat(shipped.subList(1, shipped.size())).containsExactlyElementsOf(log.subList(4, log.size()));
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
