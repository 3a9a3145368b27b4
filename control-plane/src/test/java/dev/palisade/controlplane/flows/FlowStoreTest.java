package dev.palisade.controlplane.flows;

import static dev.palisade.controlplane.flows.FlowFixtures.API;
import static dev.palisade.controlplane.flows.FlowFixtures.BATCH;
import static dev.palisade.controlplane.flows.FlowFixtures.FRONTEND;
import static dev.palisade.controlplane.flows.FlowFixtures.T0;
import static dev.palisade.controlplane.flows.FlowFixtures.WEB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.flowlog.VerifyResult;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowStoreTest {
    final FlowFixtures fx = new FlowFixtures();
    final List<Entry> web = fx.chain(WEB, 200);
    final List<Entry> api = fx.chain(API, 50);
    FlowStore store = FlowStore.inMemory(fx.clock);

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        store.close();
    }

    void ingestAll() {
        store.ingest(web, SpiffeId.parse(WEB));
        store.ingest(api, SpiffeId.parse(API));
    }

    @Test
    void aDifferentEntryForAStoredSeqIsKeptAsAConflictAndBreaksVerification() {
        ingestAll();
        Entry forged = web.get(3).toBuilder()
                .setRecord(web.get(3).getRecord().toBuilder().setPath("/innocent"))
                .build();
        FlowStore.IngestResult r = store.ingest(List.of(forged), SpiffeId.parse(WEB));
        assertThat(r).isEqualTo(new FlowStore.IngestResult(List.of(), 0, 1));
        assertThat(store.ingest(List.of(forged), SpiffeId.parse(WEB)).conflicts())
                .as("the same conflict re-sent is counted, stored once")
                .isEqualTo(1);
        assertThat(store.conflicts(WEB)).singleElement().satisfies(c -> assertThat(c.seq())
                .isEqualTo(3));

        VerifyResult result = store.verify(WEB, fx.bundles);
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.firstBreak().kind()).isEqualTo(VerifyResult.Kind.INSERTED);
        assertThat(result.firstBreak().seq()).isEqualTo(3);
        assertThat(store.verify(API, fx.bundles).whole())
                .as("other chains unaffected")
                .isTrue();
    }

    @Test
    void anEntryAlteredInTheDatabaseFileIsNamedByVerify() throws Exception {
        Path file = dir.resolve("flows.db");
        store.close();
        store = FlowStore.open(file, fx.clock);
        ingestAll();
        store.close();
        Entry altered = web.get(5).toBuilder()
                .setRecord(web.get(5).getRecord().toBuilder().setStatus(200))
                .build();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                PreparedStatement s =
                        c.prepareStatement("UPDATE entries SET entry = ? WHERE sidecar = ? AND seq = 5")) {
            s.setBytes(1, altered.toByteArray());
            s.setString(2, WEB);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        store = FlowStore.open(file, fx.clock);
        VerifyResult result = store.verify(WEB, fx.bundles);
        assertThat(result.firstBreak().kind()).isEqualTo(VerifyResult.Kind.MODIFIED);
        assertThat(result.firstBreak().seq()).isEqualTo(5);
    }

    @Test
    void badQueriesAreRefusedNamingTheParameter() {
        Instant now = fx.clock.instant();
        assertThatThrownBy(() -> FlowQuery.fromParameters(Map.of("decision", List.of("maybe")), now))
                .hasMessageContaining("decision: 'maybe'");
        assertThatThrownBy(() -> FlowQuery.fromParameters(Map.of("from", List.of("spiffe://demo*x*")), now))
                .hasMessageContaining("from:");
        assertThatThrownBy(() -> FlowQuery.fromParameters(Map.of("from", List.of("frontend")), now))
                .hasMessageContaining("from: 'frontend'");
        assertThatThrownBy(() -> FlowQuery.fromParameters(Map.of("since", List.of("yesterday")), now))
                .hasMessageContaining("since: 'yesterday'");
        assertThatThrownBy(() -> FlowQuery.fromParameters(Map.of("limit", List.of("0")), now))
                .hasMessageContaining("limit: 0");
        assertThatThrownBy(() -> FlowQuery.fromParameters(Map.of("bogus", List.of("1")), now))
                .hasMessageContaining("unknown parameter 'bogus'");
        assertThatThrownBy(() -> store.query(FlowQuery.all().withPage(10, "garbage")))
                .hasMessageContaining("cursor: 'garbage'");
        assertThat(FlowQuery.fromParameters(Map.of("since", List.of("1h")), now).since())
                .isEqualTo(now.minusSeconds(3600));
        assertThat(FlowQuery.fromParameters(Map.of("since", List.of("2025-06-15T10:00:05Z")), now)
                        .since())
                .isEqualTo(T0.plusSeconds(5));
    }

    @Test
    void sidecarsAreListedOnceEachInOrder() {
        assertThat(store.sidecars()).isEmpty();
        store.ingest(web, SpiffeId.parse(WEB));
        assertThat(store.sidecars()).containsExactly(WEB);
        ingestAll();
        assertThat(store.sidecars())
                .containsExactlyElementsOf(
                        java.util.stream.Stream.of(WEB, API).sorted().toList());
    }

    @Test
    void exactResendsAreIgnored() {
        assertThat(store.ingest(web, SpiffeId.parse(WEB))).isEqualTo(new FlowStore.IngestResult(web, 0, 0));
        assertThat(store.ingest(web.subList(10, 40), SpiffeId.parse(WEB)))
                .isEqualTo(new FlowStore.IngestResult(List.of(), 30, 0));
        assertThat(store.size()).isEqualTo(web.size());
        assertThat(store.summary(FlowQuery.all()).stream()
                        .mapToLong(SummaryGroup::count)
                        .sum())
                .as("re-sends are not counted twice in the rollup")
                .isEqualTo(200);
        VerifyResult result = store.verify(WEB, fx.bundles);
        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(200);
    }

    @Test
    void filtersSelectExactlyTheMatchingRecords() {
        ingestAll();
        Instant now = fx.clock.instant();
        check(
                Map.of("from", List.of("spiffe://cluster.local/ns/shop/*")),
                r -> r.getSourceId().equals(FRONTEND),
                now);
        check(
                Map.of("from", List.of("spiffe://cluster.local/ns/jobs/")),
                r -> r.getSourceId().equals(BATCH),
                now);
        check(Map.of("to", List.of(API)), r -> r.getDestinationId().equals(API), now);
        check(
                Map.of("to", List.of("spiffe://cluster.local/ns/shop/sa/ap*")),
                r -> r.getDestinationId().equals(API),
                now);
        check(Map.of("decision", List.of("deny")), r -> r.getStatus() == 403, now);
        check(Map.of("decision", List.of("audit")), r -> r.getAuditPoliciesCount() > 0, now);
        check(Map.of("decision", List.of("dry-run-deny")), r -> r.getDryRun() == DryRunVerdict.DRY_RUN_WOULD_DENY, now);
        check(Map.of("policy", List.of("shop/deny-batch")), r -> r.getPolicy().equals("shop/deny-batch"), now);
        check(Map.of("status", List.of("200")), r -> r.getStatus() == 200, now);
        check(Map.of("pathPrefix", List.of("/admin/")), r -> r.getPath().startsWith("/admin/"), now);
        check(Map.of("pathPrefix", List.of("/ADMIN/")), r -> false, now);
        check(
                Map.of("since", List.of("2025-06-15T10:00:30Z"), "until", List.of("2025-06-15T10:01:10.5Z")),
                r -> r.getStartUnixNanos() >= nanos(T0.plusSeconds(30))
                        && r.getStartUnixNanos() < nanos(T0.plusMillis(70_500)),
                now);
    }

    private void check(Map<String, List<String>> parameters, Predicate<FlowRecord> expected, Instant now) {
        Map<String, List<String>> p = new HashMap<>(parameters);
        p.put("limit", List.of("10000"));
        FlowPage page = store.query(FlowQuery.fromParameters(p, now));
        List<FlowRecord> want = allRecords().stream().filter(expected).toList();
        assertThat(page.flows()).as(parameters.toString()).hasSize(want.size());
        assertThat(page.flows().stream().map(FlowRow::record).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(want);
        assertThat(page.nextCursor()).isNull();
    }

    private List<FlowRecord> allRecords() {
        List<FlowRecord> all = new ArrayList<>();
        for (Entry e : web) {
            if (e.hasRecord()) {
                all.add(e.getRecord());
            }
        }
        for (Entry e : api) {
            if (e.hasRecord()) {
                all.add(e.getRecord());
            }
        }
        return all;
    }

    @Test
    void pagesWalkEveryRecordOnceInTimeOrder() {
        ingestAll();
        Set<String> seen = new HashSet<>();
        Instant last = Instant.MIN;
        String cursor = null;
        int pages = 0;
        do {
            FlowPage page = store.query(FlowQuery.all().withPage(17, cursor));
            for (FlowRow row : page.flows()) {
                assertThat(seen.add(row.sidecar() + "#" + row.seq())).isTrue();
                assertThat(row.time()).isAfterOrEqualTo(last);
                last = row.time();
            }
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null && pages < 100);
        assertThat(seen).hasSize(250);
        assertThat(pages).isEqualTo(15);
    }

    @Test
    void summaryFromTheRollupEqualsCountingTheRecords() {
        ingestAll();
        // Not on minute boundaries: partial minutes come from the raw rows.
        Instant since = T0.plusMillis(12_345);
        Instant until = T0.plusMillis(170_001);
        for (String decision : new String[] {null, "deny"}) {
            FlowQuery q = FlowQuery.all()
                    .withTime(since, until)
                    .withPeers("spiffe://cluster.local/ns/*", null)
                    .withDecision(decision);
            assertThat(q.rollupAnswers()).isTrue();
            Map<List<String>, Long> want = allRecords().stream()
                    .filter(r -> r.getStartUnixNanos() >= nanos(since) && r.getStartUnixNanos() < nanos(until))
                    .filter(r -> decision == null || FlowRow.decisionOf(r).equals(decision))
                    .collect(Collectors.groupingBy(
                            r -> List.of(r.getSourceId(), r.getDestinationId(), FlowRow.decisionOf(r)),
                            Collectors.counting()));
            Map<List<String>, Long> got = store.summary(q).stream()
                    .collect(Collectors.toMap(
                            g -> List.of(g.source(), g.destination(), g.decision()), SummaryGroup::count));
            assertThat(got).as("decision " + decision).isEqualTo(want);
        }
        List<SummaryGroup> byPolicy = store.summary(FlowQuery.all().withPolicy("shop/deny-batch"));
        assertThat(byPolicy.stream().mapToLong(SummaryGroup::count).sum()).isEqualTo(40 + 10);
    }

    @Test
    void retentionDeletesWhatIsOlderThanTheCutoff() {
        ingestAll();
        // Rounded down to the minute (the rollup's unit): records from T0 + 60 s stay.
        store.deleteOlderThan(T0.plusSeconds(100));
        assertThat(store.query(FlowQuery.all().withPage(10_000, null)).flows())
                .allSatisfy(r -> assertThat(r.time()).isAfterOrEqualTo(T0.plusSeconds(60)))
                .hasSize(140);
        assertThat(store.summary(FlowQuery.all()).stream()
                        .mapToLong(SummaryGroup::count)
                        .sum())
                .isEqualTo(140);
        VerifyResult partial = store.verify(WEB, fx.bundles);
        assertThat(partial.whole())
                .as("a chain whose start was retired verifies, with a warning: " + partial.summary())
                .isTrue();
        assertThat(partial.warnings()).isNotEmpty();
    }

    static long nanos(Instant t) {
        return FlowStore.nanos(t);
    }
}
