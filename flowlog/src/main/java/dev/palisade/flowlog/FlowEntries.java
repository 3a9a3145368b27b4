package dev.palisade.flowlog;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.palisade.flowlog.v1.Entry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

/**
 * The one definition of how an {@link Entry} is rendered, parsed and hashed (flowlog/README.md "Format", "Hash",
 * "Checkpoint").
 *
 * <ul>
 *   <li>JSON: the proto3 JSON mapping, lowerCamelCase field names, default values omitted (except {@code seq}), no insignificant
 *       whitespace, one entry per line. Written by {@link FlowJsonWriter} (the same text as protobuf's {@code JsonFormat}
 *       printer, {@link #toJsonWithJsonFormat}, much faster); parsed by {@code JsonFormat}. Parsing is strict: an
 *       unknown field is an error, not a silent drop.
 *   <li>Hash: SHA-256 over the deterministic protobuf encoding of the whole entry (fields in number order, default
 *       values omitted, no unknown fields). An entry parsed from its JSON line re-encodes to the same bytes.
 *   <li>Checkpoint payload: a domain-separation prefix, then the deterministic encoding of the checkpoint entry with
 *       {@code signature} and {@code cert_chain} cleared.
 * </ul>
 *
 * <p>Thread-safe: every method is stateless.
 */
public final class FlowEntries {
    /** The length of every hash in the chain. */
    public static final int HASH_LENGTH = 32;

    /** The {@code prev_hash} of seq 0: 32 zero bytes. */
    public static final ByteString GENESIS_HASH = ByteString.copyFrom(new byte[HASH_LENGTH]);

    /** Prefixes the signed payload of a checkpoint, so that no other signature by the SVID key can pass as one. */
    static final byte[] CHECKPOINT_CONTEXT = "palisade.flowlog.v1.Checkpoint\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * The definition of the JSON line: {@code seq} is printed even when 0, so that every line shows its place in the
     * chain. Not on the write path ({@link FlowJsonWriter} renders the same text, much faster); kept as the reference
     * that writer is tested and measured against.
     */
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
            .omittingInsignificantWhitespace()
            .includingDefaultValueFields(Set.of(Entry.getDescriptor().findFieldByNumber(Entry.SEQ_FIELD_NUMBER)));

    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private FlowEntries() {}

    /** {@code entry} as one line of JSON, without the line terminator. */
    public static String toJson(Entry entry) {
        requireNonNull(entry, "entry");
        StringBuilder out = new StringBuilder(1024);
        FlowJsonWriter.append(entry, out);
        return out.toString();
    }

    /** Appends {@link #toJson} of {@code entry} to {@code out}: for a writer that reuses one builder. */
    static void appendJson(Entry entry, StringBuilder out) {
        FlowJsonWriter.append(requireNonNull(entry, "entry"), requireNonNull(out, "out"));
    }

    /**
     * {@link #toJson} as protobuf's {@code JsonFormat} printer renders it, configured as the format defines: the
     * reference for tests and benchmarks. Several times slower than {@link #toJson}; not for the write path.
     */
    public static String toJsonWithJsonFormat(Entry entry) {
        requireNonNull(entry, "entry");
        try {
            return PRINTER.print(entry);
        } catch (InvalidProtocolBufferException e) {
            // Only Any fields without a type registry can fail, and the format has none.
            throw new IllegalStateException("cannot render entry seq " + entry.getSeq(), e);
        }
    }

    /**
     * Parses one JSON line.
     *
     * @throws InvalidProtocolBufferException when the line is not an entry (syntax, unknown field, wrong type)
     */
    public static Entry parseJson(String line) throws InvalidProtocolBufferException {
        requireNonNull(line, "line");
        Entry.Builder builder = Entry.newBuilder();
        try {
            PARSER.merge(line, builder);
        } catch (RuntimeException e) {
            // JsonFormat lets some malformed input escape as Gson's unchecked exceptions.
            throw new InvalidProtocolBufferException("not a JSON entry: " + e.getMessage());
        }
        return builder.build();
    }

    /** The deterministic protobuf encoding of {@code entry}: the input of {@link #hash}. */
    public static byte[] canonicalBytes(Entry entry) {
        requireNonNull(entry, "entry");
        byte[] out = new byte[entry.getSerializedSize()];
        CodedOutputStream stream = CodedOutputStream.newInstance(out);
        stream.useDeterministicSerialization();
        try {
            entry.writeTo(stream);
            stream.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** SHA-256 of {@link #canonicalBytes}: what the next entry of the chain carries as {@code prev_hash}. */
    public static ByteString hash(Entry entry) {
        return hash(entry, sha256());
    }

    /**
     * {@link #hash(Entry)} with a SHA-256 digest the caller owns (one thread), so that a writer does not look one up
     * from the JCA providers for every entry.
     */
    static ByteString hash(Entry entry, MessageDigest sha256) {
        sha256.reset();
        return ByteString.copyFrom(sha256.digest(canonicalBytes(entry)));
    }

    /**
     * What a checkpoint's signature covers: {@link #CHECKPOINT_CONTEXT}, then the canonical bytes of {@code entry}
     * with the checkpoint's {@code signature} and {@code cert_chain} cleared. Binds the sidecar, the checkpoint's own
     * seq and prev_hash, the covered seq, the head hash and the time.
     */
    public static byte[] signedPayload(Entry entry) {
        requireNonNull(entry, "entry");
        if (!entry.hasCheckpoint()) {
            throw new IllegalArgumentException("entry seq " + entry.getSeq() + " is not a checkpoint");
        }
        Entry unsigned = entry.toBuilder()
                .setCheckpoint(
                        entry.getCheckpoint().toBuilder().clearSignature().clearCertChain())
                .build();
        byte[] body = canonicalBytes(unsigned);
        byte[] payload = new byte[CHECKPOINT_CONTEXT.length + body.length];
        System.arraycopy(CHECKPOINT_CONTEXT, 0, payload, 0, CHECKPOINT_CONTEXT.length);
        System.arraycopy(body, 0, payload, CHECKPOINT_CONTEXT.length, body.length);
        return payload;
    }

    /** A short hex prefix of a hash, for messages. */
    static String shortHex(ByteString hash) {
        StringBuilder sb = new StringBuilder();
        int n = Math.min(hash.size(), 6);
        for (int i = 0; i < n; i++) {
            sb.append(Character.forDigit((hash.byteAt(i) >> 4) & 0xf, 16))
                    .append(Character.forDigit(hash.byteAt(i) & 0xf, 16));
        }
        return hash.size() > n ? sb + "…" : sb.toString();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
