package dev.palisade.flowlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.palisade.flowlog.v1.Checkpoint;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Gap;
import dev.palisade.flowlog.v1.GapCause;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FlowJsonWriter} against the reference, protobuf's {@code JsonFormat} printer as the format configures it
 * ({@link FlowEntries#toJsonWithJsonFormat}): the same text for every entry the log can hold.
 *
 * <p>The random entries are built from the descriptors, not from the generated setters, so a field added to
 * flowlog.proto is filled here without a change, and the writer fails this test until it prints the field too.
 */
class FlowJsonWriterTest {
    private static final long SEED = 0x9a11_5ade_f10e_50a1L;
    private static final int RANDOM_ENTRIES = 20_000;

    /** Strings that exercise every escaping rule and UTF-16 corner, mixed into the random text. */
    private static final String[] TRICKY = {
        "",
        "\"",
        "\\",
        "/",
        "\t\b\n\r\f",
        "\u0000\u0001\u0007\u000b\u000e\u001b\u001f",
        "\u007f\u0080\u009f\u00a0",
        "<script>&amp;='x'</script>",
        "\u2028\u2029",
        "\u2027\u202a",
        "é中文ß€",
        "😀🛡️", // surrogate pairs
        "\ud800", // a lone high surrogate
        "x\udc00y", // a lone low surrogate
        "\ufffd\ufeff\uffff",
        "/api/items/0?token=secret#frag",
        "spiffe://cluster.local/ns/shop/sa/web",
    };

    @Test
    void rendersRandomEntriesExactlyAsJsonFormat() throws InvalidProtocolBufferException {
        SplittableRandom random = new SplittableRandom(SEED);
        Set<FieldDescriptor> seen = new HashSet<>();
        Set<EnumValueDescriptor> enumValuesSeen = new HashSet<>();
        for (int i = 0; i < RANDOM_ENTRIES; i++) {
            Entry entry = (Entry) randomMessage(Entry.newBuilder(), random, 0.5).build();
            collect(entry, seen, enumValuesSeen);
            assertSameJson(entry, "random entry " + i + " (seed " + SEED + ")");
        }
        // Every field of every message was filled at least once, so a field the writer forgets cannot pass.
        assertThat(seen).containsAll(allFields(Entry.getDescriptor(), new HashSet<>()));
        for (EnumDescriptor type : List.of(
                dev.palisade.flowlog.v1.Direction.getDescriptor(),
                dev.palisade.flowlog.v1.Protocol.getDescriptor(),
                dev.palisade.flowlog.v1.Decision.getDescriptor(),
                dev.palisade.flowlog.v1.DecisionReason.getDescriptor(),
                dev.palisade.flowlog.v1.DryRunVerdict.getDescriptor(),
                GapCause.getDescriptor())) {
            // The 0 value is the default: never a present field, it is the omitted case.
            assertThat(enumValuesSeen)
                    .as(type.getName())
                    .containsAll(type.getValues().stream()
                            .filter(v -> v.getNumber() != 0)
                            .toList());
        }
    }

    @Test
    void rendersFullAndSparseEntriesExactlyAsJsonFormat() throws InvalidProtocolBufferException {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 2_000; i++) {
            assertSameJson(
                    (Entry) randomMessage(Entry.newBuilder(), random, 1.0).build(), "full entry " + i);
            assertSameJson(
                    (Entry) randomMessage(Entry.newBuilder(), random, 0.05).build(), "sparse entry " + i);
        }
    }

    @Test
    void rendersEdgeCasesExactlyAsJsonFormat() throws InvalidProtocolBufferException {
        List<Entry> cases = new ArrayList<>();
        cases.add(Entry.getDefaultInstance()); // {"seq":"0"}
        cases.add(Entry.newBuilder().setSeq(-1).build()); // max uint64
        cases.add(Entry.newBuilder().setRecord(FlowRecord.getDefaultInstance()).build()); // "record":{}
        cases.add(Entry.newBuilder()
                .setCheckpoint(Checkpoint.getDefaultInstance())
                .build());
        cases.add(Entry.newBuilder().setGap(Gap.getDefaultInstance()).build());
        cases.add(Entry.newBuilder()
                .setRecord(FlowRecord.newBuilder()
                        .setGrpcStatus(0) // optional: present at 0 is printed
                        .setRule(-1)
                        .setStartUnixNanos(Long.MIN_VALUE)
                        .setDurationNanos(Long.MAX_VALUE)
                        .setBytesIn(Long.MIN_VALUE) // uint64 2^63
                        .setBytesOut(-1)
                        .setSourcePort(-1) // uint32 max
                        .setDestinationPort(Integer.MIN_VALUE)
                        .setStatus(Integer.MAX_VALUE)
                        .setDirectionValue(7) // a value this schema does not name
                        .setProtocolValue(-3)
                        .addAuditPolicies("")
                        .addAuditPolicies("a\"b"))
                .build());
        cases.add(Entry.newBuilder()
                .setCheckpoint(Checkpoint.newBuilder()
                        .setSignature(ByteString.copyFrom(new byte[] {(byte) 0xff}))
                        .addCertChain(ByteString.EMPTY)
                        .addCertChain(ByteString.copyFrom(new byte[] {(byte) 0xfb, (byte) 0xff}))
                        .addCertChain(ByteString.copyFrom(new byte[] {1, 2, 3})))
                .build());
        cases.add(Entry.newBuilder()
                .setGap(Gap.newBuilder().setStandIn(true).setCauseValue(99).setLost(-1))
                .build());
        for (String s : TRICKY) {
            cases.add(Entry.newBuilder()
                    .setSidecar(s)
                    .setRecord(FlowRecord.newBuilder().setPath(s).addAuditPolicies(s))
                    .build());
        }
        for (char c = 0; c < 0x3000; c++) { // every BMP character up to CJK, one at a time and inside text
            cases.add(Entry.newBuilder().setSidecar(String.valueOf(c)).build());
            cases.add(Entry.newBuilder().setSidecar("ab" + c + "cd" + c).build());
        }
        for (int i = 0; i < cases.size(); i++) {
            assertSameJson(cases.get(i), "case " + i + ": " + cases.get(i));
        }
    }

    /** The entries a chain, a file and a spill queue really produce: records, checkpoints, both kinds of gap. */
    @Test
    void rendersChainedEntriesExactlyAsJsonFormat(@TempDir Path dir) throws InvalidProtocolBufferException {
        Fixtures f = new Fixtures();
        List<Entry> entries = new ArrayList<>();
        FlowChain chain = f.chain(3).build(entries::add);
        for (int i = 0; i < 10; i++) {
            chain.append(Fixtures.record(i));
            if (i % 4 == 0) {
                chain.appendGap(Gap.newBuilder()
                        .setLost(i + 1)
                        .setCause(GapCause.WRITE_QUEUE_FULL)
                        .setFirstLostUnixNanos(1)
                        .setLastLostUnixNanos(2)
                        .build());
            }
        }
        chain.checkpoint();
        assertThat(entries).anyMatch(Entry::hasCheckpoint).anyMatch(Entry::hasGap);

        // A spill queue with no disk drops entries and queues a stand-in gap when there is room again.
        try (SpillQueue spill = SpillQueue.open(dir, 1, 0, Clock.systemUTC())) {
            for (Entry e : entries) {
                spill.accept(e);
            }
            for (Entry e = spill.poll(); e != null; e = spill.poll()) {
                entries.add(e);
            }
        }
        assertThat(entries).anyMatch(e -> e.hasGap() && e.getGap().getStandIn());

        for (Entry e : entries) {
            assertSameJson(e, "chained entry seq " + e.getSeq());
        }
    }

    private static void assertSameJson(Entry entry, String what) throws InvalidProtocolBufferException {
        String expected = FlowEntries.toJsonWithJsonFormat(entry);
        String actual = FlowEntries.toJson(entry);
        assertThat(actual).as(what).isEqualTo(expected);
        // The bytes of the file, too (a lone surrogate becomes '?' in both).
        assertThat(actual.getBytes(StandardCharsets.UTF_8)).isEqualTo(expected.getBytes(StandardCharsets.UTF_8));
        StringBuilder reused = new StringBuilder("left over");
        reused.setLength(0);
        FlowEntries.appendJson(entry, reused);
        assertThat(reused.toString()).as(what).isEqualTo(expected);
        if (!hasLoneSurrogate(actual)) {
            // What is written reads back to the same entry, so the hash chain verifies from the file.
            assertThat(FlowEntries.parseJson(actual)).as(what).isEqualTo(entry);
        }
    }

    private static Message.Builder randomMessage(Message.Builder builder, SplittableRandom random, double fill) {
        Descriptor type = builder.getDescriptorForType();
        // One member of each oneof at most: pick it first (or none).
        Set<FieldDescriptor> oneofChoice = new HashSet<>();
        type.getOneofs().forEach(oneof -> {
            int n = oneof.getFieldCount();
            int pick = random.nextInt(n + 1);
            if (pick < n) {
                oneofChoice.add(oneof.getField(pick));
            }
        });
        for (FieldDescriptor field : type.getFields()) {
            boolean inOneof = field.getRealContainingOneof() != null;
            if (inOneof ? !oneofChoice.contains(field) : random.nextDouble() >= fill) {
                continue;
            }
            if (field.isRepeated()) {
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    builder.addRepeatedField(field, randomValue(builder, field, random, fill));
                }
            } else {
                builder.setField(field, randomValue(builder, field, random, fill));
            }
        }
        return builder;
    }

    private static Object randomValue(
            Message.Builder parent, FieldDescriptor field, SplittableRandom random, double fill) {
        return switch (field.getJavaType()) {
            case STRING -> randomString(random);
            case LONG -> randomLong(random);
            case INT -> (int) randomLong(random);
            case BOOLEAN -> random.nextBoolean();
            case BYTE_STRING -> randomBytes(random);
            case ENUM -> randomEnum(field.getEnumType(), random);
            case MESSAGE ->
                randomMessage(parent.newBuilderForField(field), random, fill).build();
            case FLOAT, DOUBLE ->
                throw new AssertionError(
                        field.getFullName() + ": floating point is not in the format; extend the writer and this test");
        };
    }

    private static long randomLong(SplittableRandom random) {
        return switch (random.nextInt(8)) {
            case 0 -> 0;
            case 1 -> Long.MAX_VALUE;
            case 2 -> Long.MIN_VALUE;
            case 3 -> -1;
            case 4 -> Integer.MAX_VALUE + (long) random.nextInt(3) - 1;
            case 5 -> random.nextInt(1000);
            case 6 -> random.nextLong() >> random.nextInt(64);
            default -> random.nextLong();
        };
    }

    private static ByteString randomBytes(SplittableRandom random) {
        byte[] b = new byte[random.nextInt(8) == 0 ? 32 : random.nextInt(70)];
        random.nextBytes(b);
        return ByteString.copyFrom(b);
    }

    private static EnumValueDescriptor randomEnum(EnumDescriptor type, SplittableRandom random) {
        List<EnumValueDescriptor> values = type.getValues();
        if (random.nextInt(10) == 0) { // a value a newer writer might send: printed as its number
            return type.findValueByNumberCreatingIfUnknown(values.size() + random.nextInt(1000));
        }
        return values.get(random.nextInt(values.size()));
    }

    private static String randomString(SplittableRandom random) {
        StringBuilder sb = new StringBuilder();
        int parts = random.nextInt(5);
        for (int i = 0; i < parts; i++) {
            switch (random.nextInt(6)) {
                case 0 -> sb.append(TRICKY[random.nextInt(TRICKY.length)]);
                case 1 -> sb.append((char) random.nextInt(0x80)); // any ASCII, controls included
                case 2 -> sb.append((char) random.nextInt(0x10000)); // any UTF-16 unit, lone surrogates included
                case 3 -> sb.appendCodePoint(random.nextInt(0x10000, 0x110000)); // supplementary
                default -> {
                    int n = random.nextInt(40);
                    for (int k = 0; k < n; k++) {
                        sb.append((char) random.nextInt(0x20, 0x7f));
                    }
                }
            }
        }
        return sb.toString();
    }

    private static void collect(Message message, Set<FieldDescriptor> seen, Set<EnumValueDescriptor> enums) {
        message.getAllFields().forEach((field, value) -> {
            seen.add(field);
            List<?> values = field.isRepeated() ? (List<?>) value : List.of(value);
            for (Object v : values) {
                if (v instanceof Message m) {
                    collect(m, seen, enums);
                } else if (v instanceof EnumValueDescriptor e) {
                    enums.add(e);
                }
            }
        });
    }

    private static Set<FieldDescriptor> allFields(Descriptor type, Set<FieldDescriptor> into) {
        for (FieldDescriptor field : type.getFields()) {
            if (into.add(field) && field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                allFields(field.getMessageType(), into);
            }
        }
        return into;
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
