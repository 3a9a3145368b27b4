package dev.palisade.flowlog;

import com.google.protobuf.ByteString;
import com.google.protobuf.ProtocolMessageEnum;
import dev.palisade.flowlog.v1.Checkpoint;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Gap;
import java.util.List;

/**
 * Renders an {@link Entry} as the one JSON line of flowlog/README.md "Format", field by field through the generated
 * accessors: the same text, character for character, as protobuf's {@code JsonFormat} printer configured as in
 * {@link FlowEntries#toJsonWithJsonFormat} (no whitespace, default values omitted except {@code Entry.seq}), at a
 * fraction of its cost (that printer walks descriptors, boxes every value into a {@code TreeMap} and escapes each
 * string through Gson; perf/README.md "Flow-log encoding").
 *
 * <p>What it reproduces, from the proto3 JSON mapping as that printer implements it: lowerCamelCase names; fields in
 * field-number order; a proto3 scalar omitted when it holds its default (0, "", empty bytes, false, the 0 enum
 * value), {@code optional} and message fields printed when present (an empty message as {@code {}}), repeated fields
 * omitted when empty; 64-bit integers as quoted decimal strings (uint64 unsigned), 32-bit ones as bare numbers
 * (uint32 unsigned); bytes as standard base64 with padding; enums by name, or by number when the value has no name
 * in this version of the schema; strings escaped as Gson's default (HTML-safe) writer does: {@code \"}, {@code \\},
 * {@code \t \b \n \r \f}, other controls and {@code < > & = '} and U+2028/U+2029 as lower-case {@code \}{@code uXXXX},
 * everything else (non-ASCII, lone surrogates) as is. Unknown fields are not printed (nor were they).
 *
 * <p>The field list is written out here by hand: a field added to flowlog.proto must be added here too.
 * {@code FlowJsonWriterTest} fills every field the descriptors list, at random, and compares with {@code JsonFormat},
 * so a forgotten field fails the build.
 *
 * <p>Stateless; thread-safe.
 */
final class FlowJsonWriter {
    private static final char[] BASE64 =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Per character below 128: 0 as is, else the character after a backslash ('u' for a \\u00XX escape). */
    private static final char[] ESCAPES = new char[128];

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = 'u';
        }
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
        ESCAPES['\t'] = 't';
        ESCAPES['\b'] = 'b';
        ESCAPES['\n'] = 'n';
        ESCAPES['\r'] = 'r';
        ESCAPES['\f'] = 'f';
        // Gson's HTML-safe set, on by default in the Gson that JsonFormat uses for strings.
        ESCAPES['<'] = 'u';
        ESCAPES['>'] = 'u';
        ESCAPES['&'] = 'u';
        ESCAPES['='] = 'u';
        ESCAPES['\''] = 'u';
    }

    private FlowJsonWriter() {}

    /** Appends the JSON of {@code entry} to {@code out}, without a line terminator. */
    static void append(Entry entry, StringBuilder out) {
        out.append('{');
        Fields f = new Fields(out);
        f.string("sidecar", entry.getSidecar());
        f.uint64Always("seq", entry.getSeq());
        f.bytes("prevHash", entry.getPrevHash());
        switch (entry.getBodyCase()) {
            case RECORD -> {
                f.name("record");
                record(entry.getRecord(), out);
            }
            case CHECKPOINT -> {
                f.name("checkpoint");
                checkpoint(entry.getCheckpoint(), out);
            }
            case GAP -> {
                f.name("gap");
                gap(entry.getGap(), out);
            }
            case BODY_NOT_SET -> {
                // nothing: an entry without a body prints no body field
            }
        }
        out.append('}');
    }

    private static void record(FlowRecord r, StringBuilder out) {
        out.append('{');
        Fields f = new Fields(out);
        f.int64("startUnixNanos", r.getStartUnixNanos());
        f.int64("durationNanos", r.getDurationNanos());
        f.enumValue("direction", r.getDirectionValue(), r.getDirection());
        f.string("sourceId", r.getSourceId());
        f.string("destinationId", r.getDestinationId());
        f.string("sourceAddress", r.getSourceAddress());
        f.uint32("sourcePort", r.getSourcePort());
        f.string("destinationAddress", r.getDestinationAddress());
        f.uint32("destinationPort", r.getDestinationPort());
        f.enumValue("protocol", r.getProtocolValue(), r.getProtocol());
        f.string("method", r.getMethod());
        f.string("authority", r.getAuthority());
        f.string("path", r.getPath());
        f.uint32("status", r.getStatus());
        if (r.hasGrpcStatus()) { // proto3 optional: present means printed, 0 included
            f.name("grpcStatus");
            appendUint32(r.getGrpcStatus(), out);
        }
        f.uint64("bytesIn", r.getBytesIn());
        f.uint64("bytesOut", r.getBytesOut());
        f.enumValue("decision", r.getDecisionValue(), r.getDecision());
        f.enumValue("decisionReason", r.getDecisionReasonValue(), r.getDecisionReason());
        f.string("policy", r.getPolicy());
        f.int32("rule", r.getRule());
        f.strings("auditPolicies", r.getAuditPoliciesList());
        f.enumValue("dryRun", r.getDryRunValue(), r.getDryRun());
        f.string("dryRunPolicy", r.getDryRunPolicy());
        f.string("rejectionReason", r.getRejectionReason());
        f.string("policyVersion", r.getPolicyVersion());
        f.string("tlsVersion", r.getTlsVersion());
        f.string("tlsCipher", r.getTlsCipher());
        f.string("requestId", r.getRequestId());
        out.append('}');
    }

    private static void checkpoint(Checkpoint c, StringBuilder out) {
        out.append('{');
        Fields f = new Fields(out);
        f.uint64("coveredSeq", c.getCoveredSeq());
        f.bytes("headHash", c.getHeadHash());
        f.int64("timeUnixNanos", c.getTimeUnixNanos());
        f.bytes("signature", c.getSignature());
        List<ByteString> chain = c.getCertChainList();
        if (!chain.isEmpty()) {
            f.name("certChain");
            out.append('[');
            for (int i = 0; i < chain.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                appendBase64(chain.get(i), out);
            }
            out.append(']');
        }
        out.append('}');
    }

    private static void gap(Gap g, StringBuilder out) {
        out.append('{');
        Fields f = new Fields(out);
        f.uint64("lost", g.getLost());
        f.enumValue("cause", g.getCauseValue(), g.getCause());
        f.int64("firstLostUnixNanos", g.getFirstLostUnixNanos());
        f.int64("lastLostUnixNanos", g.getLastLostUnixNanos());
        if (g.getStandIn()) {
            f.name("standIn");
            out.append("true");
        }
        out.append('}');
    }

    /** The fields of one object: writes the separating commas and the names. */
    private static final class Fields {
        private final StringBuilder out;
        private boolean first = true;

        Fields(StringBuilder out) {
            this.out = out;
        }

        void name(String name) {
            if (first) {
                first = false;
            } else {
                out.append(',');
            }
            out.append('"').append(name).append("\":");
        }

        void string(String name, String value) {
            if (!value.isEmpty()) {
                name(name);
                appendString(value, out);
            }
        }

        void strings(String name, List<String> values) {
            if (values.isEmpty()) {
                return;
            }
            name(name);
            out.append('[');
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                appendString(values.get(i), out);
            }
            out.append(']');
        }

        void bytes(String name, ByteString value) {
            if (!value.isEmpty()) {
                name(name);
                appendBase64(value, out);
            }
        }

        void int64(String name, long value) {
            if (value != 0) {
                name(name);
                out.append('"').append(value).append('"');
            }
        }

        void uint64(String name, long value) {
            if (value != 0) {
                uint64Always(name, value);
            }
        }

        void uint64Always(String name, long value) {
            name(name);
            out.append('"');
            if (value >= 0) {
                out.append(value);
            } else {
                out.append(Long.toUnsignedString(value));
            }
            out.append('"');
        }

        void int32(String name, int value) {
            if (value != 0) {
                name(name);
                out.append(value);
            }
        }

        void uint32(String name, int value) {
            if (value != 0) {
                name(name);
                appendUint32(value, out);
            }
        }

        /** A proto3 enum field: its name when {@code value} has one, else its number ({@code UNRECOGNIZED}). */
        void enumValue(String name, int number, ProtocolMessageEnum value) {
            if (number == 0) {
                return;
            }
            name(name);
            if (value instanceof Enum<?> e && !e.name().equals("UNRECOGNIZED")) {
                out.append('"').append(e.name()).append('"');
            } else {
                out.append(number);
            }
        }
    }

    private static void appendUint32(int value, StringBuilder out) {
        out.append(Integer.toUnsignedLong(value));
    }

    /** Standard base64 with padding (RFC 4648 §4), as Guava's {@code BaseEncoding.base64()} in JsonFormat. */
    static void appendBase64(ByteString bytes, StringBuilder out) {
        out.append('"');
        int n = bytes.size();
        int i = 0;
        for (; i + 3 <= n; i += 3) {
            int b = (bytes.byteAt(i) & 0xff) << 16 | (bytes.byteAt(i + 1) & 0xff) << 8 | (bytes.byteAt(i + 2) & 0xff);
            out.append(BASE64[b >>> 18])
                    .append(BASE64[(b >>> 12) & 0x3f])
                    .append(BASE64[(b >>> 6) & 0x3f])
                    .append(BASE64[b & 0x3f]);
        }
        if (n - i == 1) {
            int b = (bytes.byteAt(i) & 0xff) << 16;
            out.append(BASE64[b >>> 18]).append(BASE64[(b >>> 12) & 0x3f]).append("==");
        } else if (n - i == 2) {
            int b = (bytes.byteAt(i) & 0xff) << 16 | (bytes.byteAt(i + 1) & 0xff) << 8;
            out.append(BASE64[b >>> 18])
                    .append(BASE64[(b >>> 12) & 0x3f])
                    .append(BASE64[(b >>> 6) & 0x3f])
                    .append('=');
        }
        out.append('"');
    }

    /** {@code value} as a JSON string, escaped as Gson's HTML-safe {@code JsonWriter} does. */
    static void appendString(String value, StringBuilder out) {
        out.append('"');
        int n = value.length();
        int i = 0;
        while (i < n && escapeOf(value.charAt(i)) == 0) {
            i++;
        }
        if (i == n) {
            // The usual case: nothing to escape. append(String) copies the array; append(s, from, to) would go
            // char by char (JDK 17).
            out.append(value).append('"');
            return;
        }
        int from = 0; // start of the run of characters not yet appended
        for (; i < n; i++) {
            char c = value.charAt(i);
            char escape = escapeOf(c);
            if (escape == 0) {
                continue;
            }
            out.append(value, from, i).append('\\').append(escape);
            if (escape == 'u') {
                out.append(HEX[c >>> 12])
                        .append(HEX[(c >>> 8) & 0xf])
                        .append(HEX[(c >>> 4) & 0xf])
                        .append(HEX[c & 0xf]);
            }
            from = i + 1;
        }
        out.append(value, from, n).append('"');
    }

    /** 0 when {@code c} is written as is, else what follows the backslash ('u' for a \\uXXXX escape). */
    private static char escapeOf(char c) {
        if (c < 128) {
            return ESCAPES[c];
        }
        return c == '\u2028' || c == '\u2029' ? 'u' : 0;
    }
}
