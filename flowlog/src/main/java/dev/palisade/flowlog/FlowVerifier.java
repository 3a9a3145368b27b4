package dev.palisade.flowlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.x509.SvidVerificationException;
import dev.palisade.certs.x509.SvidVerifier;
import dev.palisade.flowlog.v1.Checkpoint;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Gap;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Proves that a flow log is whole, or names its first broken place ({@code palisade flows verify}; the rules are in
 * flowlog/README.md "Verification").
 *
 * <p>Entries are read once, in order; each sidecar's chain is followed on its own, so a stream that interleaves
 * several sidecars (the collector's store) verifies too. Per entry: its seq is the next one, its {@code prev_hash} is
 * the hash of the entry before it, and a checkpoint covers exactly that entry, verifies as an X.509-SVID of the
 * chain's sidecar against the trust bundles at the checkpoint's own time, and carries a valid signature by that
 * certificate's key.
 *
 * <p>Memory is constant per sidecar: on a seq jump the rest of the input is scanned once for the missing seq to tell
 * {@link VerifyResult.Kind#REORDERED} from {@link VerifyResult.Kind#DELETED}.
 *
 * <p>Immutable and thread-safe; each {@code verify} call has its own state.
 */
public final class FlowVerifier {
    private final TrustBundleSet bundles;
    private final Duration skew;
    private final boolean allowPartialStart;
    private final List<Entry> witnesses;

    private FlowVerifier(Builder b) {
        this.bundles = b.bundles;
        this.skew = b.skew;
        this.allowPartialStart = b.allowPartialStart;
        this.witnesses = List.copyOf(b.witnesses);
    }

    /** A verifier against {@code bundles} with the defaults of {@link Builder}. */
    public static FlowVerifier of(TrustBundleSet bundles) {
        return builder(bundles).build();
    }

    public static Builder builder(TrustBundleSet bundles) {
        return new Builder(bundles);
    }

    /** Verifies {@code entries} (positions are reported as {@code entries:<n>}). */
    public VerifyResult verify(Iterator<Entry> entries) {
        requireNonNull(entries, "entries");
        return run(EntrySource.of(entries));
    }

    /** Verifies JSON-lines {@code files} read in the given order as one stream (oldest rotated file first). */
    public VerifyResult verifyFiles(List<Path> files) {
        requireNonNull(files, "files");
        if (files.isEmpty()) {
            return new Run()
                    .broken(new VerifyResult.Break(
                            VerifyResult.Kind.UNREADABLE,
                            "",
                            -1,
                            new VerifyResult.Location("", 0),
                            "no flow-log file given"));
        }
        return run(EntrySource.ofFiles(List.copyOf(files)));
    }

    /** Verifies the rotated log {@code name} in {@code dir}: {@code name.N} … {@code name.1}, {@code name}. */
    public VerifyResult verifyLog(Path dir, String name) {
        return verifyFiles(FlowLogFile.filesInOrder(dir, name));
    }

    private VerifyResult run(EntrySource source) {
        Run run = new Run();
        try (source) {
            return run.verify(source);
        } catch (UncheckedIOException e) {
            return run.broken(new VerifyResult.Break(
                    VerifyResult.Kind.UNREADABLE,
                    "",
                    -1,
                    new VerifyResult.Location("", 0),
                    String.valueOf(e.getMessage())));
        }
    }

    /** One sidecar's chain as read so far. */
    private static final class Chain {
        final String sidecar;
        long expectedSeq;
        /** The hash of the last entry; {@code null} right after a stand-in gap (the dropped entry's is unknown). */
        @Nullable
        ByteString head;
        /** The hash of the entry before the last, to recognise an inserted entry. */
        @Nullable
        ByteString beforeHead;

        VerifyResult.Location lastLocation;
        long lastCheckpointSeq = -1;
        long sinceCheckpoint;
        final Map<Long, Entry> witnessesAhead = new HashMap<>();

        Chain(String sidecar, VerifyResult.Location start) {
            this.sidecar = sidecar;
            this.lastLocation = start;
        }
    }

    /** The state of one verification. */
    private final class Run {
        final Map<String, Chain> chains = new LinkedHashMap<>();
        final List<VerifyResult.Warning> warnings = new ArrayList<>();
        long entries;
        long records;
        long checkpoints;
        long lost;

        VerifyResult verify(EntrySource source) {
            for (EntrySource.Item item = source.next(); item != null; item = source.next()) {
                Entry entry = item.entry();
                if (entry == null) {
                    return broken(new VerifyResult.Break(
                            item.torn() ? VerifyResult.Kind.TRUNCATED_TAIL : VerifyResult.Kind.UNREADABLE,
                            "",
                            -1,
                            item.location(),
                            item.torn()
                                    ? "the last line is cut short (no line terminator): " + item.error()
                                    : "not a flow-log entry: " + item.error()));
                }
                entries++;
                VerifyResult.Break b = check(entry, item.location(), source);
                if (b != null) {
                    return broken(b);
                }
            }
            VerifyResult.Break b = checkWitnesses();
            if (b != null) {
                return broken(b);
            }
            long unverified = 0;
            for (Chain chain : chains.values()) {
                if (chain.sinceCheckpoint > 0) {
                    unverified += chain.sinceCheckpoint;
                    warnings.add(new VerifyResult.Warning(
                            chain.sidecar,
                            chain.expectedSeq - 1,
                            chain.lastLocation,
                            chain.sinceCheckpoint + " entries after the last checkpoint"
                                    + (chain.lastCheckpointSeq < 0
                                            ? " (none)"
                                            : " (seq " + chain.lastCheckpointSeq + ")")
                                    + " are chained but not yet signed: truncation there cannot be detected"));
                }
            }
            return new VerifyResult(null, warnings, entries, records, checkpoints, lost, unverified);
        }

        VerifyResult broken(VerifyResult.Break b) {
            return new VerifyResult(b, warnings, entries, records, checkpoints, lost, 0);
        }

        private VerifyResult.@Nullable Break check(Entry e, VerifyResult.Location at, EntrySource source) {
            String sidecar = e.getSidecar();
            long seq = e.getSeq();
            if (sidecar.isEmpty() || e.getBodyCase() == Entry.BodyCase.BODY_NOT_SET) {
                return new VerifyResult.Break(
                        VerifyResult.Kind.UNREADABLE, sidecar, seq, at, "an entry without sidecar or body");
            }
            if (e.getPrevHash().size() != FlowEntries.HASH_LENGTH) {
                return brk(
                        VerifyResult.Kind.MODIFIED,
                        e,
                        at,
                        "prev_hash has " + e.getPrevHash().size() + " bytes");
            }
            Chain chain = chains.get(sidecar);
            if (chain == null) {
                chain = new Chain(sidecar, at);
                chains.put(sidecar, chain);
                for (Entry w : witnesses) {
                    if (w.getSidecar().equals(sidecar)) {
                        chain.witnessesAhead.put(w.getSeq(), w);
                    }
                }
                if (seq == 0) {
                    if (!e.getPrevHash().equals(FlowEntries.GENESIS_HASH)) {
                        return brk(VerifyResult.Kind.MODIFIED, e, at, "seq 0 must have 32 zero bytes as prev_hash");
                    }
                } else if (!allowPartialStart) {
                    return new VerifyResult.Break(
                            VerifyResult.Kind.DELETED,
                            sidecar,
                            0,
                            at,
                            "the chain starts at seq " + seq + ": seqs 0.." + (seq - 1)
                                    + " are missing (if older rotated files were removed, allow a partial start)");
                } else {
                    warnings.add(new VerifyResult.Warning(
                            sidecar, seq, at, "the chain starts at seq " + seq + ": earlier entries are not here"));
                }
                chain.expectedSeq = seq;
                chain.head = e.getPrevHash();
            }

            if (seq > chain.expectedSeq) {
                long missing = chain.expectedSeq;
                VerifyResult.Location later = find(source, sidecar, missing);
                if (later != null) {
                    return brk(
                            VerifyResult.Kind.REORDERED,
                            e,
                            at,
                            "seq " + seq + " comes before seq " + missing + ", which follows at " + later);
                }
                return new VerifyResult.Break(
                        VerifyResult.Kind.DELETED,
                        sidecar,
                        missing,
                        at,
                        (seq - missing == 1 ? "seq " + missing + " is" : "seqs " + missing + ".." + (seq - 1) + " are")
                                + " missing (after " + chain.lastLocation + ")");
            }
            if (seq < chain.expectedSeq) {
                return brk(
                        VerifyResult.Kind.INSERTED,
                        e,
                        at,
                        "a second entry with seq " + seq + " (the chain is already at seq " + (chain.expectedSeq - 1)
                                + ")");
            }
            ByteString head = chain.head;
            if (head != null && !e.getPrevHash().equals(head)) {
                if (e.getPrevHash().equals(chain.beforeHead)) {
                    return new VerifyResult.Break(
                            VerifyResult.Kind.INSERTED,
                            sidecar,
                            seq - 1,
                            chain.lastLocation,
                            "seq " + seq + " chains to the entry before seq " + (seq - 1) + ": seq " + (seq - 1)
                                    + " was inserted");
                }
                return new VerifyResult.Break(
                        VerifyResult.Kind.MODIFIED,
                        sidecar,
                        seq - 1,
                        chain.lastLocation,
                        "seq " + (seq - 1) + " hashes to " + FlowEntries.shortHex(head) + " but seq " + seq
                                + " (" + at + ") records " + FlowEntries.shortHex(e.getPrevHash())
                                + ": one of them was altered");
            }

            ByteString hash = FlowEntries.hash(e);
            Entry witness = chain.witnessesAhead.remove(seq);
            if (witness != null && !FlowEntries.hash(witness).equals(hash)) {
                return brk(VerifyResult.Kind.MODIFIED, e, at, "differs from the witness checkpoint at this seq");
            }
            switch (e.getBodyCase()) {
                case RECORD -> {
                    records++;
                    chain.sinceCheckpoint++;
                }
                case CHECKPOINT -> {
                    VerifyResult.Break b = checkCheckpoint(e, at);
                    if (b != null) {
                        return b;
                    }
                    checkpoints++;
                    chain.lastCheckpointSeq = seq;
                    chain.sinceCheckpoint = 0;
                }
                case GAP -> {
                    Gap gap = e.getGap();
                    lost += gap.getLost();
                    if (gap.getStandIn()) {
                        if (gap.getLost() < 1) {
                            return brk(VerifyResult.Kind.MODIFIED, e, at, "a stand-in gap for no entries");
                        }
                        warnings.add(new VerifyResult.Warning(
                                sidecar,
                                seq,
                                at,
                                gap.getLost() + " entries (seqs " + seq + ".." + (seq + gap.getLost() - 1)
                                        + ") were dropped from this copy (" + gap.getCause()
                                        + "); the chain resumes unverified across them"));
                        chain.expectedSeq = seq + gap.getLost();
                        chain.head = null;
                        chain.beforeHead = null;
                        chain.lastLocation = at;
                        chain.sinceCheckpoint += gap.getLost();
                        return null;
                    }
                    warnings.add(new VerifyResult.Warning(
                            sidecar,
                            seq,
                            at,
                            gap.getLost() + " records were lost before seq " + seq + " (" + gap.getCause() + ")"));
                    chain.sinceCheckpoint++;
                }
                default -> {
                    return brk(VerifyResult.Kind.UNREADABLE, e, at, "an entry without body");
                }
            }
            chain.beforeHead = e.getPrevHash();
            chain.head = hash;
            chain.expectedSeq = seq + 1;
            chain.lastLocation = at;
            return null;
        }

        private VerifyResult.@Nullable Break checkCheckpoint(Entry e, VerifyResult.Location at) {
            Checkpoint cp = e.getCheckpoint();
            if (cp.getCoveredSeq() != e.getSeq() - 1 || !cp.getHeadHash().equals(e.getPrevHash())) {
                return brk(
                        VerifyResult.Kind.MODIFIED,
                        e,
                        at,
                        "the checkpoint covers seq " + cp.getCoveredSeq() + " with head "
                                + FlowEntries.shortHex(cp.getHeadHash()) + ", not the entry before it");
            }
            String problem = verifyCheckpoint(e);
            if (problem == null) {
                return null;
            }
            VerifyResult.Kind kind = problem.startsWith(BAD_SIGNATURE)
                    ? VerifyResult.Kind.BAD_SIGNATURE
                    : VerifyResult.Kind.UNTRUSTED_CHECKPOINT;
            return brk(kind, e, at, problem);
        }

        private VerifyResult.@Nullable Break checkWitnesses() {
            for (Entry w : witnesses) {
                Chain chain = chains.get(w.getSidecar());
                if (chain == null || chain.expectedSeq <= w.getSeq()) {
                    long last = chain == null ? -1 : chain.expectedSeq - 1;
                    return new VerifyResult.Break(
                            VerifyResult.Kind.TRUNCATED_TAIL,
                            w.getSidecar(),
                            last + 1,
                            chain == null ? new VerifyResult.Location("", 0) : chain.lastLocation,
                            "the log ends at seq " + last + " but a signed checkpoint at seq " + w.getSeq()
                                    + " exists: " + (w.getSeq() - last) + " entries or more were cut off");
                }
            }
            return null;
        }

        private VerifyResult.Break brk(VerifyResult.Kind kind, Entry e, VerifyResult.Location at, String detail) {
            return new VerifyResult.Break(kind, e.getSidecar(), e.getSeq(), at, detail);
        }

        /** Scans the rest of the input for {@code seq} of {@code sidecar}; consumes it (the run ends anyway). */
        private VerifyResult.@Nullable Location find(EntrySource source, String sidecar, long seq) {
            for (EntrySource.Item item = source.next(); item != null; item = source.next()) {
                Entry entry = item.entry();
                if (entry != null && entry.getSeq() == seq && entry.getSidecar().equals(sidecar)) {
                    return item.location();
                }
            }
            return null;
        }
    }

    private static final String BAD_SIGNATURE = "bad signature";

    /** {@code null} when the checkpoint is trusted and its signature verifies; else why not. */
    private @Nullable String verifyCheckpoint(Entry e) {
        Checkpoint cp = e.getCheckpoint();
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (ByteString der : cp.getCertChainList()) {
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
            }
        } catch (CertificateException | ClassCastException e2) {
            return "the certificate chain does not parse: " + e2.getMessage();
        }
        if (chain.isEmpty()) {
            return "the checkpoint carries no certificate";
        }
        Instant signedAt = Instant.ofEpochSecond(0, cp.getTimeUnixNanos());
        SpiffeId id;
        try {
            // At the checkpoint's own time: SVIDs live a day, logs are audited long after.
            id = SvidVerifier.of(bundles, Clock.fixed(signedAt, ZoneOffset.UTC), skew)
                    .verify(chain);
        } catch (SvidVerificationException ex) {
            return "the signing certificate does not verify at " + signedAt + ": " + ex.getMessage();
        }
        if (!id.toString().equals(e.getSidecar())) {
            return "signed by " + id + ", not by the chain's sidecar " + e.getSidecar();
        }
        try {
            if (!Signatures.verify(
                    chain.get(0).getPublicKey(),
                    FlowEntries.signedPayload(e),
                    cp.getSignature().toByteArray())) {
                return BAD_SIGNATURE + ": the signature does not verify with the key of " + id;
            }
        } catch (GeneralSecurityException ex) {
            return BAD_SIGNATURE + ": " + ex.getMessage();
        }
        return null;
    }

    /** Configures a {@link FlowVerifier}. */
    public static final class Builder {
        private final TrustBundleSet bundles;
        private Duration skew = SvidVerifier.DEFAULT_SKEW;
        private boolean allowPartialStart;
        private final List<Entry> witnesses = new ArrayList<>();

        private Builder(TrustBundleSet bundles) {
            this.bundles = requireNonNull(bundles, "bundles");
        }

        /** Tolerance on certificate validity around a checkpoint's time (default 1 minute). */
        public Builder skew(Duration skew) {
            this.skew = requireNonNull(skew, "skew");
            return this;
        }

        /**
         * Accepts a chain that starts past seq 0, with a warning: for a log whose oldest rotated files were removed
         * (default: such a start is {@link VerifyResult.Kind#DELETED}).
         */
        public Builder allowPartialStart(boolean allow) {
            this.allowPartialStart = allow;
            return this;
        }

        /**
         * A checkpoint entry known from elsewhere (the collector, an earlier audit). The log must reach its seq
         * (else {@link VerifyResult.Kind#TRUNCATED_TAIL}) and hold exactly it there (else
         * {@link VerifyResult.Kind#MODIFIED}).
         */
        public Builder witness(Entry checkpoint) {
            requireNonNull(checkpoint, "checkpoint");
            if (!checkpoint.hasCheckpoint()) {
                throw new IllegalArgumentException("witness: seq " + checkpoint.getSeq() + " is not a checkpoint");
            }
            witnesses.add(checkpoint);
            return this;
        }

        /** @throws IllegalArgumentException when a witness is not a trusted, validly signed checkpoint */
        public FlowVerifier build() {
            FlowVerifier verifier = new FlowVerifier(this);
            for (Entry w : witnesses) {
                String problem = verifier.verifyCheckpoint(w);
                if (problem != null) {
                    throw new IllegalArgumentException("witness at seq " + w.getSeq() + ": " + problem);
                }
            }
            return verifier;
        }
    }
}
