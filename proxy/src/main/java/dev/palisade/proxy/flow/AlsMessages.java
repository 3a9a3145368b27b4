package dev.palisade.proxy.flow;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
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
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

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
 *       the authoritative content; start time, addresses, method, authority, path and response code are filled too,
 *       for readers that know only Envoy's fields.
 * </ul>
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

    private AlsMessages() {}

    /** The messages of one stream carrying {@code batch}, in order. */
    static List<StreamAccessLogsMessage> of(SpiffeId sidecar, List<Entry> batch) {
        List<StreamAccessLogsMessage> out = new ArrayList<>();
        forEach(sidecar, batch, out::add);
        return out;
    }

    /**
     * Builds the messages of one stream carrying {@code batch} one at a time, in order, handing each to {@code out}
     * before building the next: a sender that serializes in {@code out} and keeps no reference (a gRPC call without
     * gRPC's retry buffer, as {@link AlsShipper} makes them) keeps at most one message alive, not a whole batch's while
     * it waits for the collector's answer.
     */
    static void forEach(SpiffeId sidecar, List<Entry> batch, Consumer<StreamAccessLogsMessage> out) {
        StreamAccessLogsMessage.Builder message = null;
        boolean first = true;
        boolean messageIsHttp = false;
        int inMessage = 0;
        for (Entry entry : batch) {
            boolean http = isHttp(entry);
            if (message == null || http != messageIsHttp || inMessage >= MAX_ENTRIES_PER_MESSAGE) {
                if (message != null) {
                    out.accept(message.build());
                }
                message = StreamAccessLogsMessage.newBuilder();
                if (first) {
                    message.setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder()
                            .setNode(Node.newBuilder().setId(sidecar.toString()))
                            .setLogName(LOG_NAME));
                    first = false;
                }
                messageIsHttp = http;
                inMessage = 0;
            }
            if (http) {
                message.getHttpLogsBuilder().addLogEntry(httpEntry(entry));
            } else {
                message.getTcpLogsBuilder().addLogEntry(tcpEntry(entry));
            }
            inMessage++;
        }
        if (message != null) {
            out.accept(message.build());
        }
    }

    /** Whether {@code entry} travels in {@code http_logs}: a record whose protocol is not TCP. */
    static boolean isHttp(Entry entry) {
        return entry.hasRecord() && entry.getRecord().getProtocol() != Protocol.TCP;
    }

    private static HTTPAccessLogEntry httpEntry(Entry entry) {
        FlowRecord r = entry.getRecord();
        HTTPRequestProperties.Builder request = HTTPRequestProperties.newBuilder()
                .setAuthority(r.getAuthority())
                .setPath(r.getPath())
                .setRequestId(r.getRequestId())
                .setRequestBodyBytes(r.getBytesIn());
        try {
            if (!r.getMethod().isEmpty()) {
                request.setRequestMethod(RequestMethod.valueOf(r.getMethod()));
            }
        } catch (IllegalArgumentException e) {
            // an extension method Envoy's enum does not name: the entry itself still carries it
        }
        HTTPAccessLogEntry.Builder http = HTTPAccessLogEntry.newBuilder()
                .setCommonProperties(common(entry))
                .setProtocolVersion(
                        r.getProtocol() == Protocol.HTTP1
                                ? HTTPAccessLogEntry.HTTPVersion.HTTP11
                                : r.getProtocol() == Protocol.PROTOCOL_UNSPECIFIED
                                        ? HTTPAccessLogEntry.HTTPVersion.PROTOCOL_UNSPECIFIED
                                        : HTTPAccessLogEntry.HTTPVersion.HTTP2)
                .setRequest(request);
        HTTPResponseProperties.Builder response =
                HTTPResponseProperties.newBuilder().setResponseBodyBytes(r.getBytesOut());
        if (r.getStatus() != 0) {
            response.setResponseCode(UInt32Value.of(r.getStatus()));
        }
        return http.setResponse(response).build();
    }

    private static TCPAccessLogEntry tcpEntry(Entry entry) {
        TCPAccessLogEntry.Builder tcp = TCPAccessLogEntry.newBuilder().setCommonProperties(common(entry));
        if (entry.hasRecord()) {
            tcp.setConnectionProperties(ConnectionProperties.newBuilder()
                    .setReceivedBytes(entry.getRecord().getBytesIn())
                    .setSentBytes(entry.getRecord().getBytesOut()));
        }
        return tcp.build();
    }

    private static AccessLogCommon common(Entry entry) {
        AccessLogCommon.Builder common = AccessLogCommon.newBuilder()
                .putFilterStateObjects(
                        ENTRY_KEY,
                        Any.newBuilder()
                                .setTypeUrl(ENTRY_TYPE_URL)
                                .setValue(entry.toByteString())
                                .build());
        if (entry.hasRecord()) {
            FlowRecord r = entry.getRecord();
            long nanos = r.getStartUnixNanos();
            common.setStartTime(Timestamp.newBuilder()
                    .setSeconds(Math.floorDiv(nanos, 1_000_000_000L))
                    .setNanos((int) Math.floorMod(nanos, 1_000_000_000L)));
            if (!r.getSourceAddress().isEmpty()) {
                common.setDownstreamRemoteAddress(address(r.getSourceAddress(), r.getSourcePort()));
            }
            if (!r.getDestinationAddress().isEmpty()) {
                common.setDownstreamLocalAddress(address(r.getDestinationAddress(), r.getDestinationPort()));
            }
        }
        return common.build();
    }

    private static Address address(String ip, int port) {
        return Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
                .build();
    }
}
