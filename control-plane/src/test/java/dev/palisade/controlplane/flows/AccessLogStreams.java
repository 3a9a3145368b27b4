package dev.palisade.controlplane.flows;

import com.google.protobuf.Any;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.Protocol;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.TCPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A sidecar's shipper in miniature: flow-log entries as ALS messages, sent on one stream. */
public final class AccessLogStreams {
    private AccessLogStreams() {}

    /** Sends the messages, half-closes, and waits for the stream's end: OK, or the status it failed with. */
    public static Status send(ManagedChannel channel, List<StreamAccessLogsMessage> messages) throws Exception {
        CompletableFuture<Status> done = new CompletableFuture<>();
        List<StreamAccessLogsResponse> responses = new ArrayList<>();
        StreamObserver<StreamAccessLogsMessage> requests = AccessLogServiceGrpc.newStub(channel)
                .streamAccessLogs(new StreamObserver<>() {
                    @Override
                    public void onNext(StreamAccessLogsResponse value) {
                        responses.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(
                                responses.size() == 1 ? Status.OK : Status.INTERNAL.withDescription("no response"));
                    }
                });
        for (StreamAccessLogsMessage m : messages) {
            requests.onNext(m);
        }
        requests.onCompleted();
        return done.get(30, TimeUnit.SECONDS);
    }

    /**
     * The shipper's encoding: HTTP records as http_logs, everything else as tcp_logs; the two are a oneof, so a
     * message holds a run of one kind, at most {@code perMessage}; the first message is identified.
     */
    public static List<StreamAccessLogsMessage> messages(String nodeId, List<Entry> entries, int perMessage) {
        List<StreamAccessLogsMessage> out = new ArrayList<>();
        StreamAccessLogsMessage.Builder m = null;
        int inMessage = 0;
        Boolean httpMessage = null;
        for (Entry e : entries) {
            boolean http = e.hasRecord() && e.getRecord().getProtocol() != Protocol.TCP;
            if (m == null || inMessage == perMessage || httpMessage != http) {
                if (m != null) {
                    out.add(m.build());
                }
                m = StreamAccessLogsMessage.newBuilder();
                if (out.isEmpty()) {
                    m.getIdentifierBuilder()
                            .setNode(Node.newBuilder().setId(nodeId))
                            .setLogName(FlowCollector.LOG_NAME);
                }
                inMessage = 0;
                httpMessage = http;
            }
            AccessLogCommon common = AccessLogCommon.newBuilder()
                    .putFilterStateObjects(FlowCollector.ENTRY_KEY, Any.pack(e))
                    .build();
            if (http) {
                m.getHttpLogsBuilder()
                        .addLogEntry(HTTPAccessLogEntry.newBuilder().setCommonProperties(common));
            } else {
                m.getTcpLogsBuilder().addLogEntry(TCPAccessLogEntry.newBuilder().setCommonProperties(common));
            }
            inMessage++;
        }
        if (m != null) {
            out.add(m.build());
        }
        return out;
    }
}
