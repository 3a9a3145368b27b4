package dev.palisade.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.cli.demo.DemoRun.Workload;
import io.grpc.MethodDescriptor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The network-namespace demo's calls. A JVM thread cannot enter another network namespace, so each namespace runs an
 * agent, {@code palisade demo-call --serve} started with {@code ip netns exec} as root — a process like the app,
 * whose connections iptables captures — and the demo sends it one JSON request per line. Workload {@code W} calls
 * {@code V} at V's own address and port, knowing nothing of sidecars; admin requests go to {@code 127.0.0.1:15000}
 * inside W; the plaintext client runs in the hub namespace, outside the mesh.
 */
final class NetnsCalls implements MeshCalls {
    static final String HUB = "hub";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final Function<Workload, String> address;

    /** @param address a workload's address inside the mesh (its namespace's veth) */
    NetnsCalls(Function<Workload, String> address) {
        this.address = address;
    }

    /** Starts the agent of namespace {@code key} ({@code HUB} or a workload's name); {@code command} runs it. */
    void startAgent(String key, List<String> command, Path log) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        Agent agent = new Agent(key, process, log);
        agents.put(key, agent);
        agent.startReading();
    }

    /** The HTTP status of {@code url} fetched inside namespace {@code key}; an IOException when nothing answers. */
    int status(String key, URI url) throws IOException, InterruptedException {
        return http(key, url, Map.of()).status();
    }

    @Override
    public DemoClient.HttpResult get(Workload from, Workload to, String path, Map<String, String> headers)
            throws IOException, InterruptedException {
        return http(from.name(), URI.create("http://" + address.apply(to) + ":" + to.port() + path), headers);
    }

    private DemoClient.HttpResult http(String key, URI url, Map<String, String> headers)
            throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode().put("op", "http").put("url", url.toString());
        headers.forEach(request.putObject("headers")::put);
        JsonNode answer = agent(key).call(request);
        return new DemoClient.HttpResult(
                answer.path("status").asInt(), answer.path("body").asText());
    }

    @Override
    public DemoClient.GrpcResult grpc(Workload from, MethodDescriptor<byte[], byte[]> method)
            throws IOException, InterruptedException {
        JsonNode answer = agent(from.name())
                .call(JSON.createObjectNode()
                        .put("op", method == DemoApp.CHARGE ? "charge" : "watch")
                        .put("target", address.apply(DemoRun.PAYMENTS) + ":" + DemoRun.PAYMENTS.port()));
        List<String> messages = new ArrayList<>();
        answer.path("messages").forEach(m -> messages.add(m.asText()));
        return new DemoClient.GrpcResult(answer.path("code").asText(), messages);
    }

    @Override
    public String plaintext(Workload to) throws IOException, InterruptedException {
        return agent(HUB)
                .call(JSON.createObjectNode()
                        .put("op", "plaintext")
                        .put("target", address.apply(to) + ":" + to.port())
                        .put("path", "/orders"))
                .path("result")
                .asText();
    }

    @Override
    public JsonNode admin(Workload w, String path) throws IOException, InterruptedException {
        return JSON.readTree(http(w.name(), URI.create("http://127.0.0.1:15000" + path), Map.of())
                .body());
    }

    private Agent agent(String key) throws IOException {
        Agent agent = agents.get(key);
        if (agent == null) {
            throw new IOException("no agent in namespace " + key);
        }
        return agent;
    }

    /** Ends every agent: closing its stdin ends it; the stragglers are killed. */
    @Override
    public void close() {
        for (Agent agent : agents.values()) {
            try {
                agent.process.getOutputStream().close();
            } catch (IOException e) {
                agent.process.destroy();
            }
        }
        for (Agent agent : agents.values()) {
            try {
                if (!agent.process.waitFor(3, TimeUnit.SECONDS)) {
                    agent.process.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                agent.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        agents.clear();
    }

    List<Long> pids() {
        return agents.values().stream().map(a -> a.process.pid()).toList();
    }

    /** One agent process and its outstanding requests. */
    private static final class Agent {
        private final String key;
        private final Process process;
        private final Path log;
        private final PrintWriter in;
        private final AtomicLong ids = new AtomicLong();
        private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

        Agent(String key, Process process, Path log) {
            this.key = key;
            this.process = process;
            this.log = log;
            this.in = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        }

        void startReading() {
            Thread reader = new Thread(
                    () -> {
                        try (BufferedReader out = new BufferedReader(
                                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                            for (String line; (line = out.readLine()) != null; ) {
                                JsonNode answer = JSON.readTree(line);
                                CompletableFuture<JsonNode> waiting =
                                        pending.remove(answer.path("id").asLong());
                                if (waiting != null) {
                                    waiting.complete(answer);
                                }
                            }
                        } catch (IOException e) {
                            // the agent ended: fail what waits below
                        }
                        IOException ended = new IOException("the call agent in " + key + " ended; its log: " + log);
                        pending.values().forEach(f -> f.completeExceptionally(ended));
                    },
                    "demo-agent-" + key);
            reader.setDaemon(true);
            reader.start();
        }

        JsonNode call(ObjectNode request) throws IOException, InterruptedException {
            long id = ids.incrementAndGet();
            CompletableFuture<JsonNode> answer = new CompletableFuture<>();
            pending.put(id, answer);
            request.put("id", id);
            synchronized (in) {
                in.println(JSON.writeValueAsString(request));
                in.flush();
            }
            if (!process.isAlive()) {
                pending.remove(id);
                throw new IOException("the call agent in " + key + " is not running; its log: " + log);
            }
            try {
                JsonNode result = answer.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                if (result.has("error")) {
                    throw new IOException(result.path("error").asText());
                }
                return result;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw new IOException(String.valueOf(cause.getMessage()), cause);
            } catch (TimeoutException e) {
                pending.remove(id);
                throw new IOException(
                        "no answer from the call agent in " + key + " after " + CALL_TIMEOUT.toSeconds() + " s", e);
            }
        }
    }
}
