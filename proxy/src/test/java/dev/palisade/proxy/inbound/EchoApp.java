package dev.palisade.proxy.inbound;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The app behind the sidecar: a JDK {@code HttpServer} on 127.0.0.1 that records every request it gets (request line,
 * headers, body length and SHA-256, and the client port, which tells pooled connections apart) and answers:
 *
 * <ul>
 *   <li>a path containing {@code echo}: the request body streamed back, chunked;
 *   <li>{@code /status/NNN}: that status, empty body;
 *   <li>a path containing {@code slow}: answered after 700 ms;
 *   <li>anything else: 200 with the request line and headers as text.
 * </ul>
 */
final class EchoApp implements AutoCloseable {

    /** One request as the app saw it. Header names lower case, in the JDK's order. */
    record Seen(
            String method,
            String uri,
            List<Map.Entry<String, String>> headers,
            int clientPort,
            long bodyBytes,
            String bodySha256) {

        List<String> header(String name) {
            List<String> values = new ArrayList<>();
            for (Map.Entry<String, String> h : headers) {
                if (h.getKey().equals(name.toLowerCase(Locale.ROOT))) {
                    values.add(h.getValue());
                }
            }
            return values;
        }
    }

    final LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final HttpServer server;
    private final ExecutorService executor;

    private EchoApp(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static EchoApp start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "echo-app");
            t.setDaemon(true);
            return t;
        });
        EchoApp app = new EchoApp(server, executor);
        server.createContext("/", app::handle);
        server.setExecutor(executor);
        server.start();
        return app;
    }

    int port() {
        return server.getAddress().getPort();
    }

    Seen next() throws InterruptedException {
        Seen s = seen.poll(10, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("the app saw no request");
        }
        return s;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            List<Map.Entry<String, String>> headers = new ArrayList<>();
            exchange.getRequestHeaders().forEach((name, values) -> {
                for (String value : values) {
                    headers.add(Map.entry(name.toLowerCase(Locale.ROOT), value));
                }
            });
            String uri = exchange.getRequestURI().toString();
            MessageDigest sha = sha256();
            long count = 0;
            byte[] buffer = new byte[16 * 1024];
            InputStream in = exchange.getRequestBody();
            if (uri.contains("echo")) {
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        sha.update(buffer, 0, n);
                        count += n;
                        out.write(buffer, 0, n);
                    }
                }
                record(exchange, headers, uri, count, sha);
                return;
            }
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
                count += n;
            }
            record(exchange, headers, uri, count, sha);
            if (uri.contains("slow")) {
                try {
                    Thread.sleep(700);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (uri.startsWith("/status/")) {
                exchange.sendResponseHeaders(Integer.parseInt(uri.substring("/status/".length())), -1);
                return;
            }
            StringBuilder text = new StringBuilder(exchange.getRequestMethod() + " " + uri + "\n");
            headers.forEach(h ->
                    text.append(h.getKey()).append(": ").append(h.getValue()).append('\n'));
            byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("content-type", "text/plain");
            exchange.getResponseHeaders().set("x-app", "echo");
            exchange.sendResponseHeaders(200, exchange.getRequestMethod().equals("HEAD") ? -1 : body.length);
            if (!exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseBody().write(body);
            }
        }
    }

    private void record(
            HttpExchange exchange, List<Map.Entry<String, String>> headers, String uri, long count, MessageDigest sha) {
        seen.add(new Seen(
                exchange.getRequestMethod(),
                uri,
                headers,
                exchange.getRemoteAddress().getPort(),
                count,
                HexFormat.of().formatHex(sha.digest())));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
