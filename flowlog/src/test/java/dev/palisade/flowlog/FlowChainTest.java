package dev.palisade.flowlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Gap;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlowChainTest {
    private final Fixtures f = new Fixtures();

    @Test
    void refusesToChainAStandInGap() {
        FlowChain chain = f.chain(10).build(e -> {});

        assertThatThrownBy(() -> chain.appendGap(
                        Gap.newBuilder().setLost(1).setStandIn(true).build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(chain.nextSeq()).isZero();
    }

    @Test
    void goesOnWithoutACheckpointWhenSigningFails() {
        List<Entry> out = new ArrayList<>();
        FlowChain chain = FlowChain.builder(Fixtures.SIDECAR_ID, payload -> {
                    throw new GeneralSecurityException("no key yet");
                })
                .clock(f.clock)
                .checkpointEvery(2)
                .build(out::add);

        for (int i = 0; i < 5; i++) {
            chain.append(Fixtures.record(i));
        }

        assertThat(out).hasSize(5).noneMatch(Entry::hasCheckpoint);
        assertThat(chain.signatureFailures()).isPositive();
        assertThat(chain.uncovered()).isEqualTo(5);
    }

    @Test
    void linksEveryEntryToTheHashOfThePreviousOne() {
        List<Entry> log = f.entries(7, 3);

        assertThat(log.get(0).getSeq()).isZero();
        assertThat(log.get(0).getPrevHash()).isEqualTo(FlowEntries.GENESIS_HASH);
        for (int i = 1; i < log.size(); i++) {
            assertThat(log.get(i).getSeq()).isEqualTo(i);
            assertThat(log.get(i).getPrevHash()).isEqualTo(FlowEntries.hash(log.get(i - 1)));
        }
        // 7 records, a checkpoint after every 3 entries (the checkpoint itself not counted), one at the end.
        assertThat(log.stream().filter(Entry::hasCheckpoint).map(Entry::getSeq)).containsExactly(3L, 7L, 9L);
    }

    @Test
    void checkpointsWhenTheIntervalPassesEvenWhenIdle() {
        List<Entry> out = new ArrayList<>();
        FlowChain chain = FlowChain.builder(Fixtures.SIDECAR_ID, f.signer())
                .clock(f.clock)
                .checkpointEvery(1000)
                .checkpointInterval(Duration.ofSeconds(10))
                .build(out::add);
        chain.append(Fixtures.record(0));
        chain.tick();
        assertThat(out).noneMatch(Entry::hasCheckpoint);

        f.clock.advance(Duration.ofSeconds(10));
        chain.tick();
        chain.tick(); // nothing uncovered: no second checkpoint

        assertThat(out).filteredOn(Entry::hasCheckpoint).hasSize(1);
        assertThat(out.get(1).getCheckpoint().getCoveredSeq()).isZero();
    }

    @Test
    void rendersOneLineOfStableNamesThatParsesBackToTheSameHash() throws InvalidProtocolBufferException {
        for (Entry e : f.entries(3, 2)) {
            String json = FlowEntries.toJson(e);

            assertThat(json).doesNotContain("\n").startsWith("{\"sidecar\":\"" + Fixtures.SIDECAR + "\",\"seq\":");
            assertThat(FlowEntries.hash(FlowEntries.parseJson(json))).isEqualTo(FlowEntries.hash(e));
        }
        assertThat(FlowEntries.toJson(f.entries(1, 5).get(0)))
                .contains(
                        "\"sourceId\":",
                        "\"destinationPort\":8080",
                        "\"decision\":\"DENY\"",
                        "\"path\":\"/api/items/0\"");
    }

    @Test
    void refusesJsonWithAnUnknownField() {
        assertThatThrownBy(() -> FlowEntries.parseJson("{\"sidecar\":\"x\",\"comment\":\"hi\"}"))
                .isInstanceOf(InvalidProtocolBufferException.class);
        assertThatThrownBy(() -> FlowEntries.parseJson("{\"sidecar\":"))
                .isInstanceOf(InvalidProtocolBufferException.class);
    }
}
