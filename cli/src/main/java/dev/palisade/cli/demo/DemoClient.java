package dev.palisade.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The calls a demo app makes, as plain clients that know nothing of sidecars: an HTTP/1.1 GET, the {@code
 * payments.v1.Payments} gRPC methods, and a raw plaintext request. The loopback demo makes them in its own JVM; in
 * network-namespace mode they must start inside the caller's namespace, so {@code palisade demo-call} runs them there,
 * one call per process or, with {@code --serve}, as a small agent that reads one JSON request per line and answers
 * one JSON line each (in any order, tagged with the request's {@code id}).
 *
 * <p>Requests: {@code {"op":"http","url":U,"headers":{..}}} → {@code {"status":N,"body":S}}; {@code
 * {"op":"charge"|"watch","target":"HOST:PORT"}} → {@code {"code":"OK","messages":[..]}}; {@code
 * {"op":"plaintext","target":"HOST:PORT","path":P}} → {@code {"result":"refused"|"answered"}}. A failure is {@code
 * {"error":MESSAGE}}.
 */
public final class DemoClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3))
            .build();

    /** An HTTP answer. */
    public record HttpResult(int status, String body) {}

    /** A gRPC outcome: the status code's name and the messages received. */
    public record GrpcResult(String code, List<String> messages) {}

    /** GET {@code url} with {@code headers}. */
    public HttpResult get(URI url, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(CALL_TIMEOUT);
        headers.forEach(request::header);
        HttpResponse<String> response = http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
        return new HttpResult(response.statusCode(), response.body());
    }

    /** {@code Charge} (unary) or {@code Watch} (server-streaming) of {@code payments.v1.Payments} at a target. */
    public static GrpcResult grpc(MethodDescriptor<byte[], byte[]> method, InetSocketAddress target)
            throws InterruptedException {
        ManagedChannel channel = NettyChannelBuilder.forAddress(target.getHostString(), target.getPort())
                .usePlaintext()
                .build();
        List<String> messages = new ArrayList<>();
        try {
            CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            byte[] request = "order-42".getBytes(StandardCharsets.UTF_8);
            if (method.getType() == MethodDescriptor.MethodType.UNARY) {
                messages.add(new String(
                        ClientCalls.blockingUnaryCall(channel, method, options, request), StandardCharsets.UTF_8));
            } else {
                Iterator<byte[]> updates = ClientCalls.blockingServerStreamingCall(channel, method, options, request);
                while (updates.hasNext()) {
                    messages.add(new String(updates.next(), StandardCharsets.UTF_8));
                }
            }
            return new GrpcResult("OK", messages);
        } catch (StatusRuntimeException e) {
            return new GrpcResult(e.getStatus().getCode().name(), messages);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * A plaintext HTTP request straight to {@code target}, as a client outside the mesh sends it: "refused" when the
     * connection ends (or fails) before a single byte of answer, "answered" otherwise.
     */
    public static String plaintext(InetSocketAddress target, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(target, 3000);
            socket.setSoTimeout((int) CALL_TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + target.getHostString() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return socket.getInputStream().read() == -1 ? "refused" : "answered";
        } catch (IOException e) {
            return "refused";
        }
    }

    /** Performs one request (the JSON forms above); never throws for a failed call, answers {@code error}. */
    public ObjectNode handle(JsonNode request) throws InterruptedException {
        ObjectNode answer = JSON.createObjectNode();
        if (request.has("id")) {
            answer.set("id", request.get("id"));
        }
        try {
            String op = request.path("op").asText();
            switch (op) {
                case "http" -> {
                    Map<String, String> headers = new java.util.LinkedHashMap<>();
                    request.path("headers")
                            .fields()
                            .forEachRemaining(
                                    e -> headers.put(e.getKey(), e.getValue().asText()));
                    HttpResult result = get(URI.create(request.path("url").asText()), headers);
                    answer.put("status", result.status());
                    answer.put("body", result.body());
                }
                case "charge", "watch" -> {
                    GrpcResult result = grpc(
                            op.equals("charge") ? DemoApp.CHARGE : DemoApp.WATCH,
                            target(request.path("target").asText()));
                    answer.put("code", result.code());
                    result.messages().forEach(answer.putArray("messages")::add);
                }
                case "plaintext" ->
                    answer.put(
                            "result",
                            plaintext(
                                    target(request.path("target").asText()),
                                    request.path("path").asText("/")));
                default -> answer.put("error", "unknown op '" + op + "'");
            }
        } catch (IOException | IllegalArgumentException e) {
            answer.put("error", e.toString());
        }
        return answer;
    }

    /**
     * The agent: one JSON request per line on {@code in}, one JSON answer per line on {@code out}, each request on a
     * thread of its own so that a slow call does not hold up the others. Returns at the end of {@code in}.
     */
    public void serve(InputStream in, PrintWriter out) throws IOException, InterruptedException {
        warmUpGrpc();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "demo-call");
            t.setDaemon(true);
            return t;
        });
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode request = JSON.readTree(line);
                pool.execute(() -> {
                    String answer;
                    try {
                        answer = JSON.writeValueAsString(handle(request));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    } catch (IOException e) {
                        answer = "{\"error\":\"cannot write the answer\"}";
                    }
                    synchronized (out) {
                        out.println(answer);
                        out.flush();
                    }
                });
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * One gRPC call on loopback (not captured) before the agent serves, so that its first mesh call comes from a warm
     * client, as a running app's would. A cold JVM loads grpc-netty's HTTP/2 classes between the TCP connect and the
     * connection preface, which can take longer than the outbound listener's protocol peek (100 ms): the sidecar then
     * offers {@code http/1.1}, and the call fails with INTERNAL ("First received frame was not SETTINGS"). That is a
     * limit of the proxy's peek, reported with the netns demo; the agent stands in for a long-running app.
     */
    private static void warmUpGrpc() throws IOException, InterruptedException {
        DemoApp app =
                DemoApp.start("warm-up", new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0));
        try {
            InetSocketAddress grpc = java.util.Objects.requireNonNull(app.grpcAddress(), "grpc");
            grpc(DemoApp.CHARGE, new InetSocketAddress("127.0.0.1", grpc.getPort()));
        } finally {
            app.close();
        }
    }

    /** {@code HOST:PORT}. */
    static InetSocketAddress target(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("target '" + hostPort + "' (expected HOST:PORT)");
        }
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    @Override
    public void close() {
        // java.net.http.HttpClient has no close() before Java 21; its connections end with the process.
    }
}
