package dev.palisade.controlplane;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback OTLP/HTTP logs receiver ({@code POST /v1/logs}, http/protobuf) for tests: decodes each
 * ExportLogsServiceRequest by hand with protobuf's {@link CodedInputStream} (opentelemetry-proto's Java classes need
 * protobuf 4, and we pin 3.25) and keeps the log records. Can answer slowly.
 *
 * <p>Field numbers (opentelemetry-proto, collector/logs/v1 and logs/v1, common/v1, resource/v1):
 * ExportLogsServiceRequest.resource_logs = 1; ResourceLogs.resource = 1, scope_logs = 2; Resource.attributes = 1;
 * ScopeLogs.scope = 1, log_records = 2; InstrumentationScope.name = 1; LogRecord.time_unix_nano = 1 (fixed64),
 * severity_number = 2, severity_text = 3, body = 5, attributes = 6, observed_time_unix_nano = 11 (fixed64),
 * event_name = 12; KeyValue.key = 1, value = 2; AnyValue string_value = 1, bool_value = 2, int_value = 3 (int64),
 * double_value = 4, array_value = 5 (ArrayValue.values = 1).
 */
final class OtlpReceiver implements AutoCloseable {

    /** One received log record, with its resource's and scope's identity. */
    record Log(
            long timeUnixNano,
            long observedTimeUnixNano,
            int severityNumber,
            String severityText,
            String eventName,
            Object body,
            Map<String, Object> attributes,
            Map<String, Object> resource,
            String scope) {}

    final List<Log> logs = new CopyOnWriteArrayList<>();
    final AtomicInteger requests = new AtomicInteger();
    private final HttpServer server;
    private volatile long delayMillis;

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/logs", this::handle);
        server.start();
    }

    /** {@code http://127.0.0.1:PORT} (no path: the exporter adds /v1/logs). */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers each request only after {@code millis}. */
    void answerAfter(long millis) {
        delayMillis = millis;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.incrementAndGet();
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            long delay = delayMillis;
            if (delay > 0) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            logs.addAll(decodeRequest(body));
            // An empty ExportLogsServiceResponse (no bytes): full success.
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
        }
    }

    static List<Log> decodeRequest(byte[] bytes) throws IOException {
        List<Log> out = new ArrayList<>();
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        for (int tag; (tag = in.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(tag) == 1) {
                resourceLogs(in.readBytes().newCodedInput(), out);
            } else {
                in.skipField(tag);
            }
        }
        return out;
    }

    private static void resourceLogs(CodedInputStream in, List<Log> out) throws IOException {
        Map<String, Object> resource = new LinkedHashMap<>();
        List<byte[]> scopes = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> attributesOf(in.readBytes().newCodedInput(), 1, resource);
                case 2 -> scopes.add(in.readByteArray());
                default -> in.skipField(tag);
            }
        }
        for (byte[] scope : scopes) {
            scopeLogs(CodedInputStream.newInstance(scope), resource, out);
        }
    }

    private static void scopeLogs(CodedInputStream in, Map<String, Object> resource, List<Log> out) throws IOException {
        String scope = "";
        List<byte[]> records = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> scope = scopeName(in.readBytes().newCodedInput());
                case 2 -> records.add(in.readByteArray());
                default -> in.skipField(tag);
            }
        }
        for (byte[] r : records) {
            out.add(logRecord(CodedInputStream.newInstance(r), resource, scope));
        }
    }

    private static String scopeName(CodedInputStream in) throws IOException {
        String name = "";
        for (int tag; (tag = in.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(tag) == 1) {
                name = in.readString();
            } else {
                in.skipField(tag);
            }
        }
        return name;
    }

    private static Log logRecord(CodedInputStream in, Map<String, Object> resource, String scope) throws IOException {
        long time = 0;
        long observed = 0;
        int severity = 0;
        String severityText = "";
        String eventName = "";
        Object body = "";
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> time = in.readFixed64();
                case 2 -> severity = in.readEnum();
                case 3 -> severityText = in.readString();
                case 5 -> body = anyValue(in.readBytes().newCodedInput());
                case 6 -> keyValue(in.readBytes().newCodedInput(), attributes);
                case 11 -> observed = in.readFixed64();
                case 12 -> eventName = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new Log(time, observed, severity, severityText, eventName, body, attributes, resource, scope);
    }

    /** Reads the repeated KeyValue field {@code field} of a message into {@code into}. */
    private static void attributesOf(CodedInputStream in, int field, Map<String, Object> into) throws IOException {
        for (int tag; (tag = in.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(tag) == field) {
                keyValue(in.readBytes().newCodedInput(), into);
            } else {
                in.skipField(tag);
            }
        }
    }

    private static void keyValue(CodedInputStream in, Map<String, Object> into) throws IOException {
        String key = "";
        Object value = "";
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> key = in.readString();
                case 2 -> value = anyValue(in.readBytes().newCodedInput());
                default -> in.skipField(tag);
            }
        }
        into.put(key, value);
    }

    /** String, Boolean, Long, Double or List of those. */
    private static Object anyValue(CodedInputStream in) throws IOException {
        Object value = "";
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> value = in.readString();
                case 2 -> value = in.readBool();
                case 3 -> value = in.readInt64();
                case 4 -> value = in.readDouble();
                case 5 -> value = arrayValue(in.readBytes().newCodedInput());
                default -> in.skipField(tag);
            }
        }
        return value;
    }

    private static List<Object> arrayValue(CodedInputStream in) throws IOException {
        List<Object> values = new ArrayList<>();
        for (int tag; (tag = in.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(tag) == 1) {
                values.add(anyValue(in.readBytes().newCodedInput()));
            } else {
                in.skipField(tag);
            }
        }
        return values;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
