package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code palisade wait-ready} against a real HTTP server on loopback. */
class WaitReadyCommandTest {
    private final CommandRunner cli = new CommandRunner();

    @Test
    void nothingListeningTimesOutWithOneAndSaysWhatItSaw() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThat(cli.run("wait-ready", "--port", Integer.toString(port), "--timeout", "1s"))
                .isEqualTo(1);
        assertThat(cli.err()).contains("/ready not ready after 1s").contains("ConnectException");
    }

    @Test
    void aBadPortIsAUsageError() {
        assertThat(cli.run("wait-ready", "--port", "70000")).isEqualTo(2);
        assertThat(cli.err()).contains("--port: 70000");
    }

    @Test
    void waitsThroughNotReadyAnswersUntilReady() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/ready", exchange -> {
            int status = calls.incrementAndGet() < 3 ? 503 : 200;
            byte[] body = (status == 200 ? "ready" : "not ready").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            assertThat(cli.run(
                            "wait-ready",
                            "--port",
                            Integer.toString(server.getAddress().getPort()),
                            "--timeout",
                            "10s"))
                    .isEqualTo(0);
            assertThat(calls.get()).isEqualTo(3);
            assertThat(cli.out()).contains("ready: http://127.0.0.1:");
        } finally {
            server.stop(0);
        }
    }
}
