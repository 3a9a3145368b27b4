package dev.palisade.proxy.flow;

import static dev.palisade.proxy.flow.FlowFixtures.SIDECAR;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.flowlog.v1.Checkpoint;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Gap;
import dev.palisade.flowlog.v1.GapCause;
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
import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class AlsMessagesTest {

    private static Entry record(int seq) {
        return Entry.newBuilder()
                .setSidecar(SIDECAR.toString())
                .setSeq(seq)
                .setRecord(FlowRecords.from(FlowFixtures.event(seq), SIDECAR))
                .build();
    }

    /** The messages as the collector parses them: encoded by AlsMessages, parsed by Envoy's generated classes. */
    private static List<StreamAccessLogsMessage> encoded(List<Entry> batch) throws Exception {
        List<StreamAccessLogsMessage> out = new ArrayList<>();
        for (AlsMessages.Message m : AlsMessages.of(SIDECAR, batch)) {
            byte[] bytes = new byte[m.serializedSize()];
            CodedOutputStream stream = CodedOutputStream.newInstance(bytes);
            m.writeTo(stream);
            stream.checkNoSpaceLeft(); // the size computed up front is the size written
            out.add(StreamAccessLogsMessage.parseFrom(bytes));
        }
        return out;
    }

    private static List<Entry> unpack(List<StreamAccessLogsMessage> messages) throws Exception {
        List<Entry> out = new ArrayList<>();
        for (StreamAccessLogsMessage m : messages) {
            assertThat(m.hasHttpLogs() && m.hasTcpLogs())
                    .as("one kind per message")
                    .isFalse();
            for (HTTPAccessLogEntry e : m.getHttpLogs().getLogEntryList()) {
                out.add(entry(e.getCommonProperties()));
            }
            for (var e : m.getTcpLogs().getLogEntryList()) {
                out.add(entry(e.getCommonProperties()));
            }
        }
        return out;
    }

    private static Entry entry(AccessLogCommon common) throws Exception {
        return common.getFilterStateObjectsOrThrow(AlsMessages.ENTRY_KEY).unpack(Entry.class);
    }

    @Test
    void theEntrysTypeUrlIsTheOneAnyPackWrites() throws Exception {
        Entry entry = record(3);
        assertThat(AlsMessages.ENTRY_TYPE_URL).isEqualTo(Any.pack(entry).getTypeUrl());
        StreamAccessLogsMessage message = encoded(List.of(entry)).get(0);
        AccessLogCommon common = AlsMessages.isHttp(entry)
                ? message.getHttpLogs().getLogEntry(0).getCommonProperties()
                : message.getTcpLogs().getLogEntry(0).getCommonProperties();
        Any carried = common.getFilterStateObjectsOrThrow(AlsMessages.ENTRY_KEY);
        assertThat(carried).isEqualTo(Any.pack(entry));
    }

    @Test
    void anEmptyBatchIsNoMessage() {
        assertThat(AlsMessages.of(SIDECAR, List.of())).isEmpty();
    }

    @Test
    void onlyTheFirstMessageNamesTheSidecarAndTheLog() throws Exception {
        List<Entry> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(record(i));
        }
        List<StreamAccessLogsMessage> messages = encoded(batch);

        assertThat(messages.get(0).getIdentifier().getNode().getId()).isEqualTo(SIDECAR.toString());
        assertThat(messages.get(0).getIdentifier().getLogName()).isEqualTo("palisade-flows");
        assertThat(messages.subList(1, messages.size()))
                .allSatisfy(m -> assertThat(m.hasIdentifier()).isFalse());
    }

    @Test
    void httpRecordsGoToHttpLogsEverythingElseToTcpLogsAndOrderHolds() throws Exception {
        List<Entry> batch = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            batch.add(record(i)); // events 0..2 of every 4 are HTTP, 3 is TCP
        }
        batch.add(Entry.newBuilder()
                .setSeq(250)
                .setCheckpoint(Checkpoint.newBuilder().setCoveredSeq(249))
                .build());
        batch.add(Entry.newBuilder()
                .setSeq(251)
                .setGap(Gap.newBuilder().setLost(3).setCause(GapCause.WRITE_QUEUE_FULL))
                .build());
        List<StreamAccessLogsMessage> messages = encoded(batch);

        assertThat(unpack(messages)).isEqualTo(batch);
        for (StreamAccessLogsMessage m : messages) {
            assertThat(m.getHttpLogs().getLogEntryCount() + m.getTcpLogs().getLogEntryCount())
                    .isBetween(1, AlsMessages.MAX_ENTRIES_PER_MESSAGE);
            for (var e : m.getTcpLogs().getLogEntryList()) {
                assertThat(AlsMessages.isHttp(entry(e.getCommonProperties()))).isFalse();
            }
            for (var e : m.getHttpLogs().getLogEntryList()) {
                assertThat(AlsMessages.isHttp(entry(e.getCommonProperties()))).isTrue();
            }
        }
    }

    @Test
    void readableEnvoyFieldsMirrorTheRecord() throws Exception {
        StreamAccessLogsMessage m = encoded(List.of(record(1))).get(0);
        HTTPAccessLogEntry http = m.getHttpLogs().getLogEntry(0);

        assertThat(http.getProtocolVersion()).isEqualTo(HTTPAccessLogEntry.HTTPVersion.HTTP2);
        assertThat(http.getRequest().getRequestMethod()).isEqualTo(RequestMethod.GET);
        assertThat(http.getRequest().getPath()).isEqualTo("/admin/1");
        assertThat(http.getResponse().getResponseCode().getValue()).isEqualTo(403);
        assertThat(http.getCommonProperties()
                        .getDownstreamRemoteAddress()
                        .getSocketAddress()
                        .getAddress())
                .isEqualTo("10.0.0.7");
        assertThat(http.getCommonProperties().getStartTime().getSeconds())
                .isEqualTo(java.time.Instant.parse("2025-06-15T10:00:00Z").getEpochSecond());
    }

    /** Records that take every branch of the mapping: each field at its default, and at awkward values. */
    private static List<Entry> awkwardBatch() {
        List<FlowRecord> records = List.of(
                FlowRecord.getDefaultInstance(), // protocol unspecified (HTTP), nothing set
                FlowRecord.newBuilder()
                        .setProtocol(Protocol.HTTP1)
                        .setMethod("PATCH")
                        .setAuthority("api.example:8443")
                        .setPath("/ü/𝄞/%2e%2e")
                        .setRequestId("7f3c")
                        .setStatus(599)
                        .setBytesIn(Long.MAX_VALUE)
                        .setBytesOut(-1L) // uint64 2^64 - 1
                        .setStartUnixNanos(-1L) // a second before the epoch, plus 999,999,999 ns
                        .setSourceAddress("fd00::7")
                        .setSourcePort(65535)
                        .setDestinationAddress("10.0.0.1")
                        .build(),
                FlowRecord.newBuilder()
                        .setProtocol(Protocol.HTTP2)
                        .setMethod("PROPFIND") // not in Envoy's enum
                        .setStartUnixNanos(1_700_000_000_000_000_000L) // whole seconds: nanos 0
                        .setDestinationAddress("127.0.0.1")
                        .setDestinationPort(8080)
                        .build(),
                FlowRecord.newBuilder()
                        .setProtocol(Protocol.GRPC)
                        .setMethod("UNRECOGNIZED")
                        .setStartUnixNanos(999_999_999L) // seconds 0
                        .setStatus(200)
                        .build(),
                FlowRecord.newBuilder()
                        .setProtocol(Protocol.HTTP1)
                        .setMethod("METHOD_UNSPECIFIED")
                        .build(),
                FlowRecord.newBuilder()
                        .setProtocol(Protocol.HTTP1)
                        .setMethod("get")
                        .build(), // enum names are upper
                FlowRecord.newBuilder()
                        .setProtocol(Protocol.HTTP2)
                        .setMethod("POST")
                        .setPath("/" + "ä".repeat(5000)) // longer than the drain buffer
                        .build(),
                FlowRecord.newBuilder()
                        .setProtocol(Protocol.TCP)
                        .setBytesIn(1)
                        .setSourceAddress("10.1.2.3")
                        .setSourcePort(0)
                        .build(),
                FlowRecord.newBuilder().setProtocol(Protocol.TCP).build());
        List<Entry> batch = new ArrayList<>();
        for (FlowRecord r : records) {
            batch.add(Entry.newBuilder()
                    .setSidecar(SIDECAR.toString())
                    .setSeq(batch.size())
                    .setRecord(r)
                    .build());
        }
        batch.add(Entry.newBuilder()
                .setSeq(batch.size())
                .setCheckpoint(Checkpoint.newBuilder()
                        .setCoveredSeq(3)
                        .setSignature(ByteString.copyFrom(new byte[72]))
                        .addCertChain(ByteString.copyFrom(new byte[6000]))) // longer than the drain buffer
                .build());
        batch.add(Entry.newBuilder()
                .setSeq(batch.size())
                .setGap(Gap.newBuilder().setLost(3).setCause(GapCause.WRITE_QUEUE_FULL))
                .build());
        for (int i = 0; i < 230; i++) { // runs longer than a message
            batch.add(record(batch.size()));
        }
        return batch;
    }

    @Test
    void theEncodedMessagesEqualTheGeneratedBuildersMessages() throws Exception {
        List<Entry> batch = awkwardBatch();

        List<StreamAccessLogsMessage> reference = new ArrayList<>();
        Reference.forEach(SIDECAR, batch, reference::add);

        assertThat(encoded(batch)).isEqualTo(reference);
        assertThat(encoded(batch.subList(1, 2))
                        .get(0)
                        .getHttpLogs()
                        .getLogEntry(0)
                        .getRequest()
                        .getRequestMethod())
                .isEqualTo(RequestMethod.PATCH);
    }

    @Test
    void aStreamThatStartsWithTcpEntriesIdentifiesItselfThere() throws Exception {
        List<Entry> batch = awkwardBatch().subList(7, 14); // TCP records, a checkpoint, a gap, then HTTP

        List<StreamAccessLogsMessage> reference = new ArrayList<>();
        Reference.forEach(SIDECAR, batch, reference::add);

        assertThat(reference.get(0).hasTcpLogs() && reference.get(0).hasIdentifier())
                .isTrue();
        assertThat(encoded(batch)).isEqualTo(reference);
    }

    @Test
    void gRpcGetsTheSameBytesWhetherItDrainsOrReads() throws Exception {
        for (AlsMessages.Message m : AlsMessages.of(SIDECAR, awkwardBatch())) {
            InputStream drained = AlsShipper.STREAM_ACCESS_LOGS.streamRequest(m);
            assertThat(((KnownLength) drained).available()).isEqualTo(m.serializedSize());
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            ((Drainable) drained).drainTo(frame);
            assertThat(frame.size()).isEqualTo(m.serializedSize());
            assertThat(drained.available()).isZero();
            assertThat(drained.read()).isEqualTo(-1);

            // Byte by byte, then a block, then the rest drained: the framer may mix them.
            InputStream mixed = AlsShipper.STREAM_ACCESS_LOGS.streamRequest(m);
            ByteArrayOutputStream pieces = new ByteArrayOutputStream();
            pieces.write(mixed.read());
            pieces.write(mixed.read());
            byte[] block = new byte[7];
            int n = mixed.read(block, 0, block.length);
            pieces.write(block, 0, n);
            ((Drainable) mixed).drainTo(pieces);

            assertThat(pieces.toByteArray()).isEqualTo(frame.toByteArray());
        }
    }

    /**
     * The mapping written with Envoy's generated builders, as AlsMessages built it before it encoded the messages
     * itself: the reference the encoding must equal, field for field.
     */
    private static final class Reference {
        static void forEach(SpiffeId sidecar, List<Entry> batch, Consumer<StreamAccessLogsMessage> out) {
            StreamAccessLogsMessage.Builder message = null;
            boolean first = true;
            boolean messageIsHttp = false;
            int inMessage = 0;
            for (Entry entry : batch) {
                boolean http = AlsMessages.isHttp(entry);
                if (message == null || http != messageIsHttp || inMessage >= AlsMessages.MAX_ENTRIES_PER_MESSAGE) {
                    if (message != null) {
                        out.accept(message.build());
                    }
                    message = StreamAccessLogsMessage.newBuilder();
                    if (first) {
                        message.setIdentifier(StreamAccessLogsMessage.Identifier.newBuilder()
                                .setNode(Node.newBuilder().setId(sidecar.toString()))
                                .setLogName(AlsMessages.LOG_NAME));
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
            AccessLogCommon.Builder common =
                    AccessLogCommon.newBuilder().putFilterStateObjects(AlsMessages.ENTRY_KEY, Any.pack(entry));
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
}
