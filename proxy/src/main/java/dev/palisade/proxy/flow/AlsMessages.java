package dev.palisade.proxy.flow;

import com.google.protobuf.Any;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.WireFormat;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.ConnectionProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The wire contract with the collector: flow-log {@link Entry}s as Envoy AccessLogService messages.
 *
 * <ul>
 *   <li>The first message of a stream carries {@code identifier.node.id} = the sidecar's SPIFFE ID and
 *       {@code identifier.log_name} = {@value #LOG_NAME}; later ones carry no identifier (as Envoy does).
 *   <li>Each entry is one log entry: an HTTP record (protocol not TCP) in {@code http_logs}, a TCP record, a checkpoint
 *       or a gap in {@code tcp_logs}. A message holds one kind, so consecutive runs of a kind share one message and
 *       the stream keeps chain order.
 *   <li>{@code common_properties.filter_state_objects["}{@value #ENTRY_KEY}{@code "]} = the entry as an {@code Any} is
 *       the authoritative content; for a record, {@code start_time}, the downstream addresses (when known), and for
 *       HTTP the method (when Envoy's enum names it), authority, path, request id, body sizes, protocol version and
 *       response code (when one was sent) are filled too, for readers that know only Envoy's fields. A TCP record
 *       fills {@code connection_properties} with its byte counts.
 * </ul>
 *
 * <p>A {@link Message} is encoded straight from the entries with protobuf's {@link CodedOutputStream}, using the
 * generated classes' field numbers: building the Envoy messages first (a builder, a map and a copy of the entry's
 * bytes per entry, then protobuf's map serialization twice, once to size it) was most of the shipper thread's
 * allocation (proxy/README.md, "Flow logs (sidecar side)"). Parsed with the generated classes, the bytes equal those
 * messages; AlsMessagesTest holds the builder version and compares the two.
 */
final class AlsMessages {
    /** {@code identifier.log_name} of every stream. */
    static final String LOG_NAME = "palisade-flows";

    /** The filter-state key that carries the entry. */
    static final String ENTRY_KEY = "dev.palisade.flowlog.v1.Entry";

    /** {@code Any}'s type URL for an {@link Entry}, as {@code Any.pack} writes it; built once, not once per entry. */
    static final String ENTRY_TYPE_URL =
            "type.googleapis.com/" + Entry.getDescriptor().getFullName();

    /** Entries per message at most: keeps a message far below gRPC's 4 MiB default limit (checkpoints are ~2 KiB). */
    static final int MAX_ENTRIES_PER_MESSAGE = 100;

    /** A protobuf map entry's key and value fields (the protobuf language guide's map encoding). */
    private static final int MAP_KEY = 1;

    private static final int MAP_VALUE = 2;

    /** Envoy's method enum by name; a method it does not name is left out (the entry itself still carries it). */
    private static final Map<String, Integer> METHODS = methods();

    private AlsMessages() {}

    /** Whether {@code entry} travels in {@code http_logs}: a record whose protocol is not TCP. */
    static boolean isHttp(Entry entry) {
        return entry.hasRecord() && entry.getRecord().getProtocol() != Protocol.TCP;
    }

    /** The messages of one stream carrying {@code batch}, in order. */
    static List<Message> of(SpiffeId sidecar, List<Entry> batch) {
        List<Message> out = new ArrayList<>();
        int start = 0;
        while (start < batch.size()) {
            boolean http = isHttp(batch.get(start));
            int end = start + 1;
            while (end < batch.size() && end - start < MAX_ENTRIES_PER_MESSAGE && isHttp(batch.get(end)) == http) {
                end++;
            }
            out.add(new Message(start == 0 ? sidecar.toString() : null, http, batch.subList(start, end)));
            start = end;
        }
        return out;
    }

    /**
     * One {@code StreamAccessLogsMessage}: an identifier (the first of a stream) and one run of entries of one kind.
     * Its size is computed once, when it is made; {@link #writeTo} writes exactly that many bytes.
     */
    static final class Message {
        private final @Nullable String sidecar;
        private final boolean http;
        private final List<Entry> entries;
        /** Per entry: the sizes of its log entry, its common properties, and (HTTP) its request and response. */
        private final int[] sizes;

        private final int logsSize;
        private final int size;

        private Message(@Nullable String sidecar, boolean http, List<Entry> entries) {
            this.sidecar = sidecar;
            this.http = http;
            this.entries = List.copyOf(entries);
            this.sizes = new int[this.entries.size() * 4];
            int logs = 0;
            for (int i = 0; i < this.entries.size(); i++) {
                Entry entry = this.entries.get(i);
                int common = commonSize(entry);
                sizes[4 * i + 1] = common;
                int logEntry;
                if (http) {
                    FlowRecord r = entry.getRecord();
                    int request = requestSize(r);
                    int response = responseSize(r);
                    sizes[4 * i + 2] = request;
                    sizes[4 * i + 3] = response;
                    logEntry = nested(HTTPAccessLogEntry.COMMON_PROPERTIES_FIELD_NUMBER, common)
                            + enumSize(HTTPAccessLogEntry.PROTOCOL_VERSION_FIELD_NUMBER, httpVersion(r))
                            + nested(HTTPAccessLogEntry.REQUEST_FIELD_NUMBER, request)
                            + nested(HTTPAccessLogEntry.RESPONSE_FIELD_NUMBER, response);
                } else {
                    logEntry = nested(TCPAccessLogEntry.COMMON_PROPERTIES_FIELD_NUMBER, common)
                            + (entry.hasRecord()
                                    ? nested(
                                            TCPAccessLogEntry.CONNECTION_PROPERTIES_FIELD_NUMBER,
                                            connectionSize(entry.getRecord()))
                                    : 0);
                }
                sizes[4 * i] = logEntry;
                logs += nested(logEntryField(), logEntry);
            }
            this.logsSize = logs;
            this.size =
                    (sidecar == null ? 0 : nested(StreamAccessLogsMessage.IDENTIFIER_FIELD_NUMBER, identifierSize()))
                            + nested(logsField(), logs);
        }

        /** The encoded size in bytes. */
        int serializedSize() {
            return size;
        }

        /** Writes the message, {@link #serializedSize} bytes. */
        void writeTo(CodedOutputStream out) throws IOException {
            String id = sidecar;
            if (id != null) {
                startNested(out, StreamAccessLogsMessage.IDENTIFIER_FIELD_NUMBER, identifierSize());
                startNested(out, StreamAccessLogsMessage.Identifier.NODE_FIELD_NUMBER, nodeSize());
                out.writeString(Node.ID_FIELD_NUMBER, id);
                out.writeString(StreamAccessLogsMessage.Identifier.LOG_NAME_FIELD_NUMBER, LOG_NAME);
            }
            startNested(out, logsField(), logsSize);
            for (int i = 0; i < entries.size(); i++) {
                Entry entry = entries.get(i);
                startNested(out, logEntryField(), sizes[4 * i]);
                if (http) {
                    FlowRecord r = entry.getRecord();
                    startNested(out, HTTPAccessLogEntry.COMMON_PROPERTIES_FIELD_NUMBER, sizes[4 * i + 1]);
                    writeCommon(out, entry);
                    int version = httpVersion(r);
                    if (version != 0) {
                        out.writeEnum(HTTPAccessLogEntry.PROTOCOL_VERSION_FIELD_NUMBER, version);
                    }
                    startNested(out, HTTPAccessLogEntry.REQUEST_FIELD_NUMBER, sizes[4 * i + 2]);
                    writeRequest(out, r);
                    startNested(out, HTTPAccessLogEntry.RESPONSE_FIELD_NUMBER, sizes[4 * i + 3]);
                    writeResponse(out, r);
                } else {
                    startNested(out, TCPAccessLogEntry.COMMON_PROPERTIES_FIELD_NUMBER, sizes[4 * i + 1]);
                    writeCommon(out, entry);
                    if (entry.hasRecord()) {
                        FlowRecord r = entry.getRecord();
                        startNested(out, TCPAccessLogEntry.CONNECTION_PROPERTIES_FIELD_NUMBER, connectionSize(r));
                        writeUInt64(out, ConnectionProperties.RECEIVED_BYTES_FIELD_NUMBER, r.getBytesIn());
                        writeUInt64(out, ConnectionProperties.SENT_BYTES_FIELD_NUMBER, r.getBytesOut());
                    }
                }
            }
        }

        private int logsField() {
            return http
                    ? StreamAccessLogsMessage.HTTP_LOGS_FIELD_NUMBER
                    : StreamAccessLogsMessage.TCP_LOGS_FIELD_NUMBER;
        }

        private int logEntryField() {
            return http
                    ? StreamAccessLogsMessage.HTTPAccessLogEntries.LOG_ENTRY_FIELD_NUMBER
                    : StreamAccessLogsMessage.TCPAccessLogEntries.LOG_ENTRY_FIELD_NUMBER;
        }

        private int nodeSize() {
            return sidecar == null ? 0 : CodedOutputStream.computeStringSize(Node.ID_FIELD_NUMBER, sidecar);
        }

        private int identifierSize() {
            return nested(StreamAccessLogsMessage.Identifier.NODE_FIELD_NUMBER, nodeSize())
                    + CodedOutputStream.computeStringSize(
                            StreamAccessLogsMessage.Identifier.LOG_NAME_FIELD_NUMBER, LOG_NAME);
        }
    }

    // ---- AccessLogCommon ----------------------------------------------------------------------------------------

    private static int commonSize(Entry entry) {
        int size = nested(AccessLogCommon.FILTER_STATE_OBJECTS_FIELD_NUMBER, filterStateEntrySize(entry));
        if (entry.hasRecord()) {
            FlowRecord r = entry.getRecord();
            size += nested(AccessLogCommon.START_TIME_FIELD_NUMBER, timestampSize(r.getStartUnixNanos()));
            if (!r.getSourceAddress().isEmpty()) {
                size += nested(
                        AccessLogCommon.DOWNSTREAM_REMOTE_ADDRESS_FIELD_NUMBER,
                        addressSize(r.getSourceAddress(), r.getSourcePort()));
            }
            if (!r.getDestinationAddress().isEmpty()) {
                size += nested(
                        AccessLogCommon.DOWNSTREAM_LOCAL_ADDRESS_FIELD_NUMBER,
                        addressSize(r.getDestinationAddress(), r.getDestinationPort()));
            }
        }
        return size;
    }

    /** Fields in number order: downstream_remote_address (2), downstream_local_address (3), start_time (5), 21. */
    private static void writeCommon(CodedOutputStream out, Entry entry) throws IOException {
        if (entry.hasRecord()) {
            FlowRecord r = entry.getRecord();
            if (!r.getSourceAddress().isEmpty()) {
                writeAddress(
                        out,
                        AccessLogCommon.DOWNSTREAM_REMOTE_ADDRESS_FIELD_NUMBER,
                        r.getSourceAddress(),
                        r.getSourcePort());
            }
            if (!r.getDestinationAddress().isEmpty()) {
                writeAddress(
                        out,
                        AccessLogCommon.DOWNSTREAM_LOCAL_ADDRESS_FIELD_NUMBER,
                        r.getDestinationAddress(),
                        r.getDestinationPort());
            }
            long nanos = r.getStartUnixNanos();
            startNested(out, AccessLogCommon.START_TIME_FIELD_NUMBER, timestampSize(nanos));
            if (seconds(nanos) != 0) {
                out.writeInt64(Timestamp.SECONDS_FIELD_NUMBER, seconds(nanos));
            }
            if (nanosOfSecond(nanos) != 0) {
                out.writeInt32(Timestamp.NANOS_FIELD_NUMBER, nanosOfSecond(nanos));
            }
        }
        // filter_state_objects: one map entry, key ENTRY_KEY, value an Any whose value is the entry's bytes.
        startNested(out, AccessLogCommon.FILTER_STATE_OBJECTS_FIELD_NUMBER, filterStateEntrySize(entry));
        out.writeString(MAP_KEY, ENTRY_KEY);
        startNested(out, MAP_VALUE, anySize(entry));
        out.writeString(Any.TYPE_URL_FIELD_NUMBER, ENTRY_TYPE_URL);
        startNested(out, Any.VALUE_FIELD_NUMBER, entry.getSerializedSize());
        entry.writeTo(out);
    }

    private static int filterStateEntrySize(Entry entry) {
        return CodedOutputStream.computeStringSize(MAP_KEY, ENTRY_KEY) + nested(MAP_VALUE, anySize(entry));
    }

    private static int anySize(Entry entry) {
        return CodedOutputStream.computeStringSize(Any.TYPE_URL_FIELD_NUMBER, ENTRY_TYPE_URL)
                + nested(Any.VALUE_FIELD_NUMBER, entry.getSerializedSize());
    }

    private static int timestampSize(long unixNanos) {
        long seconds = seconds(unixNanos);
        int fraction = nanosOfSecond(unixNanos);
        return (seconds == 0 ? 0 : CodedOutputStream.computeInt64Size(Timestamp.SECONDS_FIELD_NUMBER, seconds))
                + (fraction == 0 ? 0 : CodedOutputStream.computeInt32Size(Timestamp.NANOS_FIELD_NUMBER, fraction));
    }

    /** A Timestamp's {@code seconds}: rounded down, so that a time before 1970 has non-negative nanos. */
    private static long seconds(long unixNanos) {
        return Math.floorDiv(unixNanos, 1_000_000_000L);
    }

    /** A Timestamp's {@code nanos}, 0 to 999,999,999. */
    private static int nanosOfSecond(long unixNanos) {
        return (int) Math.floorMod(unixNanos, 1_000_000_000L);
    }

    private static int addressSize(String ip, int port) {
        return nested(Address.SOCKET_ADDRESS_FIELD_NUMBER, socketAddressSize(ip, port));
    }

    /** {@code port_value} is in a oneof: written even when 0, as the builder's {@code setPortValue(0)} sets it. */
    private static int socketAddressSize(String ip, int port) {
        return CodedOutputStream.computeStringSize(SocketAddress.ADDRESS_FIELD_NUMBER, ip)
                + CodedOutputStream.computeUInt32Size(SocketAddress.PORT_VALUE_FIELD_NUMBER, port);
    }

    private static void writeAddress(CodedOutputStream out, int field, String ip, int port) throws IOException {
        startNested(out, field, addressSize(ip, port));
        startNested(out, Address.SOCKET_ADDRESS_FIELD_NUMBER, socketAddressSize(ip, port));
        out.writeString(SocketAddress.ADDRESS_FIELD_NUMBER, ip);
        out.writeUInt32(SocketAddress.PORT_VALUE_FIELD_NUMBER, port);
    }

    // ---- HTTP and TCP properties ---------------------------------------------------------------------------------

    private static int httpVersion(FlowRecord r) {
        return switch (r.getProtocol()) {
            case HTTP1 -> HTTPAccessLogEntry.HTTPVersion.HTTP11_VALUE;
            case PROTOCOL_UNSPECIFIED -> HTTPAccessLogEntry.HTTPVersion.PROTOCOL_UNSPECIFIED_VALUE;
            default -> HTTPAccessLogEntry.HTTPVersion.HTTP2_VALUE;
        };
    }

    private static int method(FlowRecord r) {
        Integer number = METHODS.get(r.getMethod());
        return number == null ? 0 : number;
    }

    private static int requestSize(FlowRecord r) {
        return enumSize(HTTPRequestProperties.REQUEST_METHOD_FIELD_NUMBER, method(r))
                + stringSize(HTTPRequestProperties.AUTHORITY_FIELD_NUMBER, r.getAuthority())
                + stringSize(HTTPRequestProperties.PATH_FIELD_NUMBER, r.getPath())
                + stringSize(HTTPRequestProperties.REQUEST_ID_FIELD_NUMBER, r.getRequestId())
                + uint64Size(HTTPRequestProperties.REQUEST_BODY_BYTES_FIELD_NUMBER, r.getBytesIn());
    }

    /** Fields in number order: request_method (1), authority (3), path (5), request_id (9), request_body_bytes (12). */
    private static void writeRequest(CodedOutputStream out, FlowRecord r) throws IOException {
        int method = method(r);
        if (method != 0) {
            out.writeEnum(HTTPRequestProperties.REQUEST_METHOD_FIELD_NUMBER, method);
        }
        writeString(out, HTTPRequestProperties.AUTHORITY_FIELD_NUMBER, r.getAuthority());
        writeString(out, HTTPRequestProperties.PATH_FIELD_NUMBER, r.getPath());
        writeString(out, HTTPRequestProperties.REQUEST_ID_FIELD_NUMBER, r.getRequestId());
        writeUInt64(out, HTTPRequestProperties.REQUEST_BODY_BYTES_FIELD_NUMBER, r.getBytesIn());
    }

    private static int responseSize(FlowRecord r) {
        return (r.getStatus() == 0
                        ? 0
                        : nested(
                                HTTPResponseProperties.RESPONSE_CODE_FIELD_NUMBER,
                                CodedOutputStream.computeUInt32Size(UInt32Value.VALUE_FIELD_NUMBER, r.getStatus())))
                + uint64Size(HTTPResponseProperties.RESPONSE_BODY_BYTES_FIELD_NUMBER, r.getBytesOut());
    }

    /** Fields in number order: response_code (1), response_body_bytes (3). */
    private static void writeResponse(CodedOutputStream out, FlowRecord r) throws IOException {
        if (r.getStatus() != 0) {
            startNested(
                    out,
                    HTTPResponseProperties.RESPONSE_CODE_FIELD_NUMBER,
                    CodedOutputStream.computeUInt32Size(UInt32Value.VALUE_FIELD_NUMBER, r.getStatus()));
            out.writeUInt32(UInt32Value.VALUE_FIELD_NUMBER, r.getStatus());
        }
        writeUInt64(out, HTTPResponseProperties.RESPONSE_BODY_BYTES_FIELD_NUMBER, r.getBytesOut());
    }

    private static int connectionSize(FlowRecord r) {
        return uint64Size(ConnectionProperties.RECEIVED_BYTES_FIELD_NUMBER, r.getBytesIn())
                + uint64Size(ConnectionProperties.SENT_BYTES_FIELD_NUMBER, r.getBytesOut());
    }

    // ---- proto3 encoding: a scalar at its default value is not written -------------------------------------------

    /** The size of a length-delimited field whose content is {@code contentSize} bytes. */
    private static int nested(int field, int contentSize) {
        return CodedOutputStream.computeTagSize(field)
                + CodedOutputStream.computeUInt32SizeNoTag(contentSize)
                + contentSize;
    }

    private static void startNested(CodedOutputStream out, int field, int contentSize) throws IOException {
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(contentSize);
    }

    private static int enumSize(int field, int value) {
        return value == 0 ? 0 : CodedOutputStream.computeEnumSize(field, value);
    }

    private static int stringSize(int field, String value) {
        return value.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, value);
    }

    private static void writeString(CodedOutputStream out, int field, String value) throws IOException {
        if (!value.isEmpty()) {
            out.writeString(field, value);
        }
    }

    private static int uint64Size(int field, long value) {
        return value == 0 ? 0 : CodedOutputStream.computeUInt64Size(field, value);
    }

    private static void writeUInt64(CodedOutputStream out, int field, long value) throws IOException {
        if (value != 0) {
            out.writeUInt64(field, value);
        }
    }

    private static Map<String, Integer> methods() {
        Map<String, Integer> methods = new HashMap<>();
        for (RequestMethod m : RequestMethod.values()) {
            if (m != RequestMethod.UNRECOGNIZED) {
                methods.put(m.name(), m.getNumber());
            }
        }
        return Map.copyOf(methods);
    }
}
