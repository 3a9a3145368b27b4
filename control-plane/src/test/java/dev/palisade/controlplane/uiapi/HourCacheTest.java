package dev.palisade.controlplane.uiapi;

import static dev.palisade.controlplane.uiapi.UiFixtures.API;
import static dev.palisade.controlplane.uiapi.UiFixtures.T0;
import static dev.palisade.controlplane.uiapi.UiFixtures.WEB;
import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.controlplane.flows.FlowMinutes;
import dev.palisade.controlplane.flows.FlowMinutes.Grouping;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The store keeps whole hours of the rollup grouped, for the unfiltered graph and rule-hit queries. Its answers must
 * equal what the same window gives when the cache cannot be used (a destination filter bypasses it), before and after
 * ingest writes into a cached hour, and after retention.
 */
class HourCacheTest {
    static final Instant SINCE = T0.plusSeconds(17);
    static final Instant UNTIL = T0.plusSeconds(3 * 3600 - 5);

    @Test
    void cachedHoursFollowIngestAndRetention() {
        try (FlowStore store = FlowStore.inMemory(Clock.fixed(T0.plusSeconds(4 * 3600), ZoneOffset.UTC))) {
            Map<String, List<Entry>> chains = UiFixtures.chains(3 * 3600);
            chains.forEach((sidecar, entries) -> store.ingest(entries, SpiffeId.parse(sidecar)));

            for (Grouping grouping : List.of(Grouping.EDGES, Grouping.HITS)) {
                assertThat(unfiltered(store, grouping))
                        .as("first, %s", grouping)
                        .isEqualTo(bypassed(store, grouping));
                assertThat(unfiltered(store, grouping))
                        .as("cached, %s", grouping)
                        .isEqualTo(bypassed(store, grouping));
            }
            long before = total(unfiltered(store, Grouping.EDGES));

            // One more record in the middle of the cached hour (T0 + 1 h .. T0 + 2 h).
            List<Entry> web = chains.get(WEB);
            FlowRecord late = web.get(0).getRecord().toBuilder()
                    .setStartUnixNanos(T0.plusSeconds(5400).getEpochSecond() * 1_000_000_000L)
                    .build();
            store.ingest(
                    List.of(Entry.newBuilder()
                            .setSidecar(WEB)
                            .setSeq(web.size())
                            .setRecord(late)
                            .build()),
                    SpiffeId.parse(WEB));

            assertThat(total(unfiltered(store, Grouping.EDGES)))
                    .as("a write into a cached hour")
                    .isEqualTo(before + 1);
            assertThat(unfiltered(store, Grouping.EDGES)).isEqualTo(bypassed(store, Grouping.EDGES));

            store.deleteOlderThan(T0.plusSeconds(2 * 3600));
            assertThat(unfiltered(store, Grouping.EDGES))
                    .as("after retention")
                    .isEqualTo(bypassed(store, Grouping.EDGES));
            assertThat(total(unfiltered(store, Grouping.EDGES))).isLessThan(before);
        }
    }

    static Map<FlowMinutes.Count, Long> unfiltered(FlowStore store, Grouping grouping) {
        return asMap(store.flowCounts(SINCE, UNTIL, grouping, null, null));
    }

    /** The same window, destination by destination: a filter bypasses the hour cache. */
    static Map<FlowMinutes.Count, Long> bypassed(FlowStore store, Grouping grouping) {
        Map<FlowMinutes.Count, Long> out = new HashMap<>();
        for (String destination : List.of(API, WEB)) {
            asMap(store.flowCounts(SINCE, UNTIL, grouping, null, destination))
                    .forEach((k, n) -> out.merge(k, n, Long::sum));
        }
        return out;
    }

    static Map<FlowMinutes.Count, Long> asMap(List<FlowMinutes.Count> counts) {
        Map<FlowMinutes.Count, Long> out = new HashMap<>();
        for (FlowMinutes.Count c : counts) {
            out.merge(
                    new FlowMinutes.Count(c.source(), c.destination(), c.decisionClass(), c.policy(), c.rule(), 0),
                    c.count(),
                    Long::sum);
        }
        return out;
    }

    static long total(Map<FlowMinutes.Count, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
