package dev.palisade.flowlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.flowlog.v1.Checkpoint;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Gap;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sidecar's hash chain: gives every record and gap its {@code seq} and {@code prev_hash} and emits a signed
 * {@link Checkpoint} after every {@code checkpointEvery} entries, or when {@code checkpointInterval} has passed since
 * the last checkpoint and entries are uncovered (checked on every append and on {@link #tick()}).
 *
 * <p>Not thread-safe: owned by the one flow-log writer thread ({@link FlowLogFile}), so that a record dropped before
 * it reaches that thread never takes a seq (it becomes a {@link Gap} instead). Entries go to the {@link EntrySink}
 * in chain order.
 *
 * <p>A failed signature (no key yet, a provider error) is logged and counted; the chain goes on and the next
 * checkpoint covers the entries the failed one would have.
 */
public final class FlowChain {
    private static final Logger logger = LoggerFactory.getLogger(FlowChain.class);

    private final String sidecar;
    private final CheckpointSigner signer;
    private final Clock clock;
    private final int checkpointEvery;
    private final Duration checkpointInterval;
    private final EntrySink sink;
    /** Owned by the chain's one thread: a JCA lookup per entry cost more than the hash of a small entry. */
    private final MessageDigest sha256 = FlowEntries.sha256();

    private long nextSeq;
    private ByteString headHash;
    private long uncovered;
    /** When {@link #tick()} next checks for a checkpoint: the last one plus the interval. */
    private Instant nextCheckpointDue;

    private long signatureFailures;

    private FlowChain(Builder b, EntrySink sink) {
        this.sidecar = b.sidecar.toString();
        this.signer = b.signer;
        this.clock = b.clock;
        this.checkpointEvery = b.checkpointEvery;
        this.checkpointInterval = b.checkpointInterval;
        this.sink = sink;
        this.nextSeq = b.nextSeq;
        this.headHash = b.headHash;
        this.nextCheckpointDue = clock.instant().plus(checkpointInterval);
    }

    /** A builder for the chain of {@code sidecar}, signing checkpoints with {@code signer}. */
    public static Builder builder(SpiffeId sidecar, CheckpointSigner signer) {
        return new Builder(sidecar, signer);
    }

    /** Chains {@code record} and returns its entry; a checkpoint may follow it. */
    public Entry append(FlowRecord record) {
        requireNonNull(record, "record");
        return appendBody(Entry.newBuilder().setRecord(record));
    }

    /** Chains an in-chain {@code gap} (lost records that never took a seq) and returns its entry. */
    public Entry appendGap(Gap gap) {
        requireNonNull(gap, "gap");
        if (gap.getStandIn()) {
            throw new IllegalArgumentException("gap: stand_in (a stand-in is written by the shipper, not chained)");
        }
        return appendBody(Entry.newBuilder().setGap(gap));
    }

    /** Emits a checkpoint if the interval has passed and entries are uncovered; call when idle. */
    public void tick() {
        if (uncovered > 0 && !clock.instant().isBefore(nextCheckpointDue)) {
            checkpoint();
        }
    }

    /**
     * Emits a checkpoint now if any entry is uncovered (before a clean shutdown, so that the file ends verified).
     * Returns whether one was written.
     */
    public boolean checkpoint() {
        if (uncovered == 0) {
            return false;
        }
        Instant now = clock.instant();
        // also after a failure: retry at the next interval, not on every append
        nextCheckpointDue = now.plus(checkpointInterval);
        Entry unsigned = Entry.newBuilder()
                .setSidecar(sidecar)
                .setSeq(nextSeq)
                .setPrevHash(headHash)
                .setCheckpoint(Checkpoint.newBuilder()
                        .setCoveredSeq(nextSeq - 1)
                        .setHeadHash(headHash)
                        .setTimeUnixNanos(unixNanos(now)))
                .build();
        Checkpoint.Builder signed = unsigned.getCheckpoint().toBuilder();
        try {
            CheckpointSigner.Signature signature = signer.sign(FlowEntries.signedPayload(unsigned));
            signed.setSignature(signature.value());
            for (X509Certificate cert : signature.chain()) {
                signed.addCertChain(ByteString.copyFrom(cert.getEncoded()));
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            signatureFailures++;
            logger.warn(
                    "{} cannot sign the flow-log checkpoint at seq {}; the next one will cover it",
                    sidecar,
                    nextSeq,
                    e);
            return false;
        }
        Entry entry = unsigned.toBuilder().setCheckpoint(signed).build();
        link(entry);
        uncovered = 0;
        return true;
    }

    /** The seq the next entry will take. */
    public long nextSeq() {
        return nextSeq;
    }

    /** The hash of the last entry (the next entry's {@code prev_hash}). */
    public ByteString headHash() {
        return headHash;
    }

    /** Entries appended since the last checkpoint. */
    public long uncovered() {
        return uncovered;
    }

    /** Checkpoints that could not be signed. */
    public long signatureFailures() {
        return signatureFailures;
    }

    public String sidecar() {
        return sidecar;
    }

    private Entry appendBody(Entry.Builder builder) {
        Entry entry = builder.setSidecar(sidecar)
                .setSeq(nextSeq)
                .setPrevHash(headHash)
                .build();
        link(entry);
        uncovered++;
        if (uncovered >= checkpointEvery) {
            checkpoint();
        } else {
            tick();
        }
        return entry;
    }

    private void link(Entry entry) {
        headHash = FlowEntries.hash(entry, sha256);
        nextSeq++;
        sink.accept(entry);
    }

    static long unixNanos(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    }

    /** Configures a {@link FlowChain}. */
    public static final class Builder {
        private final SpiffeId sidecar;
        private final CheckpointSigner signer;
        private Clock clock = Clock.systemUTC();
        private int checkpointEvery = 1000;
        private Duration checkpointInterval = Duration.ofSeconds(10);
        private long nextSeq;
        private ByteString headHash = FlowEntries.GENESIS_HASH;

        private Builder(SpiffeId sidecar, CheckpointSigner signer) {
            this.sidecar = requireNonNull(sidecar, "sidecar");
            this.signer = requireNonNull(signer, "signer");
        }

        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** A checkpoint after this many entries (default 1000). */
        public Builder checkpointEvery(int entries) {
            if (entries < 1) {
                throw new IllegalArgumentException("checkpointEvery: " + entries + " (expected: >= 1)");
            }
            this.checkpointEvery = entries;
            return this;
        }

        /** A checkpoint at least this often while entries are uncovered (default 10 s). */
        public Builder checkpointInterval(Duration interval) {
            requireNonNull(interval, "interval");
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("checkpointInterval: " + interval + " (expected: > 0)");
            }
            this.checkpointInterval = interval;
            return this;
        }

        /** Continues an existing chain (after a restart) whose last entry had {@code seq} and {@code hash}. */
        public Builder resumeAfter(long seq, ByteString hash) {
            if (seq < 0) {
                throw new IllegalArgumentException("seq: " + seq + " (expected: >= 0)");
            }
            if (requireNonNull(hash, "hash").size() != FlowEntries.HASH_LENGTH) {
                throw new IllegalArgumentException("hash: " + hash.size() + " bytes (expected: 32)");
            }
            this.nextSeq = seq + 1;
            this.headHash = hash;
            return this;
        }

        /** A chain that hands its entries to {@code sink}. */
        public FlowChain build(EntrySink sink) {
            return new FlowChain(this, requireNonNull(sink, "sink"));
        }
    }
}
