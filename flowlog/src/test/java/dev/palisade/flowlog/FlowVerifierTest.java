package dev.palisade.flowlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.x509.X509Svid;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Gap;
import dev.palisade.flowlog.v1.GapCause;
import dev.palisade.testkit.pki.TestCertificate;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlowVerifierTest {
    private final Fixtures f = new Fixtures();

    @TempDir
    Path dir;

    // --- one test per way to tamper -------------------------------------------------------------------------

    @Test
    void namesADeletedRecord() {
        List<Entry> log = new ArrayList<>(f.entries(25, 10));
        log.remove(5);

        VerifyResult result = f.verifier().verify(log.iterator());

        assertBreak(result, VerifyResult.Kind.DELETED, 5);
        assertThat(result.exitCode()).isEqualTo(1);
    }

    @Test
    void namesAnInsertedRecordWithADuplicateSeq() {
        List<Entry> log = new ArrayList<>(f.entries(25, 10));
        Entry forged = log.get(5).toBuilder()
                .setRecord(log.get(5).getRecord().toBuilder().setPath("/admin"))
                .build();
        log.add(6, forged);

        assertBreak(f.verifier().verify(log.iterator()), VerifyResult.Kind.INSERTED, 5);
    }

    @Test
    void namesAnInsertedRecordWhenTheFollowingSeqsWereShifted() {
        List<Entry> log = new ArrayList<>(f.entries(25, 100));
        Entry forged = Entry.newBuilder()
                .setSidecar(Fixtures.SIDECAR)
                .setSeq(6)
                .setPrevHash(FlowEntries.hash(log.get(5)))
                .setRecord(Fixtures.record(99).toBuilder().setPath("/forged"))
                .build();
        List<Entry> tampered = new ArrayList<>(log.subList(0, 6));
        tampered.add(forged);
        for (Entry e : log.subList(6, log.size())) {
            tampered.add(Fixtures.withSeq(e, e.getSeq() + 1));
        }

        assertBreak(f.verifier().verify(tampered.iterator()), VerifyResult.Kind.INSERTED, 6);
    }

    @Test
    void namesAModifiedField() {
        List<Entry> log = new ArrayList<>(f.entries(25, 10));
        Entry original = log.get(7);
        log.set(
                7,
                original.toBuilder()
                        .setRecord(original.getRecord().toBuilder().setSourceId("spiffe://cluster.local/ns/x/sa/y"))
                        .build());

        assertBreak(f.verifier().verify(log.iterator()), VerifyResult.Kind.MODIFIED, 7);
    }

    @Test
    void namesTwoReorderedRecords() {
        List<Entry> log = new ArrayList<>(f.entries(25, 10));
        Entry third = log.get(3);
        log.set(3, log.get(4));
        log.set(4, third);

        VerifyResult result = f.verifier().verify(log.iterator());

        assertBreak(result, VerifyResult.Kind.REORDERED, 4);
        assertThat(result.firstBreak().detail()).contains("seq 3");
    }

    @Test
    void namesATruncatedTailAgainstAWitnessCheckpoint() {
        List<Entry> log = f.entries(25, 10);
        Entry lastCheckpoint = log.get(log.size() - 1);
        assertThat(lastCheckpoint.hasCheckpoint()).isTrue();
        List<Entry> truncated = log.subList(0, 15);

        FlowVerifier verifier =
                FlowVerifier.builder(f.bundles).witness(lastCheckpoint).build();
        VerifyResult result = verifier.verify(truncated.iterator());

        assertBreak(result, VerifyResult.Kind.TRUNCATED_TAIL, 15);
        // Without a witness the cut is only visible as unsigned entries after the last checkpoint.
        VerifyResult alone = f.verifier().verify(truncated.iterator());
        assertThat(alone.whole()).isTrue();
        assertThat(alone.unverifiedEntries()).isEqualTo(4);
        assertThat(alone.warnings()).singleElement().asString().contains("not yet signed");
        // The untouched log reaches the witness and holds exactly it.
        assertThat(verifier.verify(log.iterator()).whole()).isTrue();
    }

    @Test
    void namesALastLineCutShortAsATruncatedTail() throws IOException {
        Path file = write(f.entries(12, 5));
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Files.writeString(file, text.substring(0, text.length() - 20), StandardCharsets.UTF_8);

        VerifyResult result = f.verifier().verifyFiles(List.of(file));

        assertThat(result.firstBreak()).isNotNull();
        assertThat(result.firstBreak().kind()).isEqualTo(VerifyResult.Kind.TRUNCATED_TAIL);
        assertThat(result.exitCode()).isEqualTo(1);
    }

    @Test
    void refusesACheckpointSignedByACertificateOfAnotherCa() {
        TestCertificate otherRoot = TestCertificate.root("someone else's CA");
        TestCertificate impostor = TestCertificate.leaf(Fixtures.SIDECAR, otherRoot);
        List<Entry> log = f.entries(
                FlowChain.builder(Fixtures.SIDECAR_ID, CheckpointSigner.of(impostor.privateKey(), impostor.chain()))
                        .clock(f.clock)
                        .checkpointEvery(10),
                25);

        VerifyResult result = f.verifier().verify(log.iterator());

        assertBreak(result, VerifyResult.Kind.UNTRUSTED_CHECKPOINT, 10);
        assertThat(result.firstBreak().detail()).contains("UNKNOWN_ISSUER");
    }

    @Test
    void refusesACheckpointSignedByAnotherWorkloadOfTheSameCa() {
        TestCertificate other = TestCertificate.leaf("spiffe://cluster.local/ns/shop/sa/db", f.root);
        List<Entry> log = f.entries(
                FlowChain.builder(Fixtures.SIDECAR_ID, CheckpointSigner.of(other.privateKey(), other.chain()))
                        .clock(f.clock)
                        .checkpointEvery(10),
                25);

        VerifyResult result = f.verifier().verify(log.iterator());

        assertBreak(result, VerifyResult.Kind.UNTRUSTED_CHECKPOINT, 10);
        assertThat(result.firstBreak().detail()).contains("sa/db");
    }

    @Test
    void namesAnAlteredCheckpointSignature() {
        List<Entry> log = new ArrayList<>(f.entries(25, 10));
        int i = Fixtures.indexOfFirstCheckpoint(log);
        Entry cp = log.get(i);
        log.set(
                i,
                cp.toBuilder()
                        .setCheckpoint(cp.getCheckpoint().toBuilder()
                                .setSignature(
                                        Fixtures.flipped(cp.getCheckpoint().getSignature(), 20)))
                        .build());

        assertBreak(f.verifier().verify(log.iterator()), VerifyResult.Kind.BAD_SIGNATURE, 10);
    }

    @Test
    void namesAnUnparseableLineWithItsNumber() throws IOException {
        Path file = write(f.entries(12, 5));
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        lines.set(3, lines.get(3).replace("\"seq\"", "\"sequence\""));
        Files.write(file, lines, StandardCharsets.UTF_8);

        VerifyResult result = f.verifier().verifyFiles(List.of(file));

        assertThat(result.firstBreak()).isNotNull();
        assertThat(result.firstBreak().kind()).isEqualTo(VerifyResult.Kind.UNREADABLE);
        assertThat(result.firstBreak().location().line()).isEqualTo(4);
        assertThat(result.exitCode()).isEqualTo(2);
    }

    @Test
    void namesALogThatDoesNotStartAtSeqZeroUnlessAPartialStartIsAllowed() {
        List<Entry> log = f.entries(25, 10);
        List<Entry> tail = log.subList(11, log.size());

        assertBreak(f.verifier().verify(tail.iterator()), VerifyResult.Kind.DELETED, 0);
        VerifyResult partial =
                FlowVerifier.builder(f.bundles).allowPartialStart(true).build().verify(tail.iterator());
        assertThat(partial.whole()).isTrue();
        assertThat(partial.warnings()).anySatisfy(w -> assertThat(w.message()).contains("starts at seq 11"));
    }

    @Test
    void refusesAnUntrustedWitness() {
        TestCertificate impostor = TestCertificate.leaf(Fixtures.SIDECAR, TestCertificate.root("other"));
        List<Entry> log = f.entries(
                FlowChain.builder(Fixtures.SIDECAR_ID, CheckpointSigner.of(impostor.privateKey(), impostor.chain()))
                        .clock(f.clock),
                3);

        assertThatThrownBy(() -> FlowVerifier.builder(f.bundles)
                        .witness(log.get(log.size() - 1))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("witness at seq 3");
    }

    // --- whole logs ------------------------------------------------------------------------------------------

    @Test
    void findsAnUntouchedLogWholeWithSeveralCheckpoints() throws IOException {
        List<Entry> log = f.entries(25, 10);

        VerifyResult fromEntries = f.verifier().verify(log.iterator());
        VerifyResult fromFile = f.verifier().verifyFiles(List.of(write(log)));

        for (VerifyResult result : List.of(fromEntries, fromFile)) {
            assertThat(result.whole()).as(result.summary()).isTrue();
            assertThat(result.exitCode()).isZero();
            assertThat(result.records()).isEqualTo(25);
            assertThat(result.checkpoints()).isEqualTo(3);
            assertThat(result.unverifiedEntries()).isZero();
            assertThat(result.warnings()).isEmpty();
        }
    }

    @Test
    void verifiesAcrossAKeyRotation() {
        TestCertificate renewed = TestCertificate.leaf(Fixtures.SIDECAR, f.root);
        AtomicReference<X509Svid> current = new AtomicReference<>(X509Svid.of(f.leaf.chain(), f.leaf.privateKey()));
        List<Entry> log = new ArrayList<>();
        FlowChain chain = FlowChain.builder(Fixtures.SIDECAR_ID, CheckpointSigner.ofCurrent(current::get))
                .clock(f.clock)
                .checkpointEvery(5)
                .build(log::add);
        for (int i = 0; i < 12; i++) {
            if (i == 6) {
                current.set(X509Svid.of(renewed.chain(), renewed.privateKey()));
            }
            chain.append(Fixtures.record(i));
        }
        chain.checkpoint();

        List<Entry> checkpoints = log.stream().filter(Entry::hasCheckpoint).toList();
        assertThat(checkpoints).hasSize(3);
        assertThat(checkpoints.get(0).getCheckpoint().getCertChain(0))
                .isNotEqualTo(checkpoints.get(1).getCheckpoint().getCertChain(0));
        assertThat(f.verifier().verify(log.iterator()).whole()).isTrue();
    }

    @Test
    void reportsGapsAsDeclaredLossesNotBreaks() {
        List<Entry> log = new ArrayList<>();
        FlowChain chain = f.chain(100).build(log::add);
        chain.append(Fixtures.record(0));
        chain.appendGap(
                Gap.newBuilder().setLost(7).setCause(GapCause.WRITE_QUEUE_FULL).build());
        chain.append(Fixtures.record(1));
        chain.checkpoint();

        VerifyResult result = f.verifier().verify(log.iterator());

        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.lostRecords()).isEqualTo(7);
        assertThat(result.warnings()).singleElement().asString().contains("7 records were lost");
    }

    @Test
    void verifiesTheInterleavedChainsOfTwoSidecars() {
        Fixtures other = new Fixtures();
        // Same CA so one bundle serves both: mint the second sidecar under f's root.
        TestCertificate db = TestCertificate.leaf("spiffe://cluster.local/ns/shop/sa/db", f.root);
        List<Entry> web = f.entries(10, 4);
        List<Entry> dbLog = other.entries(
                FlowChain.builder(
                                SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/db"),
                                CheckpointSigner.of(db.privateKey(), db.chain()))
                        .clock(f.clock)
                        .checkpointEvery(4),
                10);
        List<Entry> merged = new ArrayList<>();
        for (int i = 0; i < Math.max(web.size(), dbLog.size()); i++) {
            if (i < web.size()) {
                merged.add(web.get(i));
            }
            if (i < dbLog.size()) {
                merged.add(dbLog.get(i));
            }
        }

        VerifyResult result = f.verifier().verify(merged.iterator());

        assertThat(result.whole()).as(result.summary()).isTrue();
        assertThat(result.records()).isEqualTo(20);
    }

    @Test
    void refusesCheckpointIntervalsThatMakeNoSense() {
        assertThatThrownBy(() -> f.chain(1).checkpointInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.chain(0)).isInstanceOf(IllegalArgumentException.class);
    }

    private Path write(List<Entry> entries) throws IOException {
        Path file = dir.resolve("flows.jsonl");
        List<String> lines = new ArrayList<>();
        for (Entry e : entries) {
            lines.add(FlowEntries.toJson(e));
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }

    private static void assertBreak(VerifyResult result, VerifyResult.Kind kind, long seq) {
        assertThat(result.firstBreak()).as(result.summary()).isNotNull();
        assertThat(result.firstBreak().kind()).as(result.summary()).isEqualTo(kind);
        assertThat(result.firstBreak().seq()).as(result.summary()).isEqualTo(seq);
        assertThat(result.whole()).isFalse();
    }
}
