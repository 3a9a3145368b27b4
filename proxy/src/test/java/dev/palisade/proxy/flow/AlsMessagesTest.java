package dev.palisade.proxy.flow;

import static dev.palisade.proxy.flow.FlowFixtures.SIDECAR;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import dev.palisade.flowlog.v1.Checkpoint;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Gap;
import dev.palisade.flowlog.v1.GapCause;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlsMessagesTest {

    private static Entry record(int seq) {
        return Entry.newBuilder()
                .setSidecar(SIDECAR.toString())
                .setSeq(seq)
                .setRecord(FlowRecords.from(FlowFixtures.event(seq), SIDECAR))
                .build();
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
    void theEntrysTypeUrlIsTheOneAnyPackWrites() {
        Entry entry = record(3);
        assertThat(AlsMessages.ENTRY_TYPE_URL).isEqualTo(Any.pack(entry).getTypeUrl());
        StreamAccessLogsMessage message =
                AlsMessages.of(SIDECAR, List.of(entry)).get(0);
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
    void onlyTheFirstMessageNamesTheSidecarAndTheLog() {
        List<Entry> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(record(i));
        }
        List<StreamAccessLogsMessage> messages = AlsMessages.of(SIDECAR, batch);

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
        List<StreamAccessLogsMessage> messages = AlsMessages.of(SIDECAR, batch);

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
        StreamAccessLogsMessage m = AlsMessages.of(SIDECAR, List.of(record(1))).get(0);
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
}
