package dev.palisade.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade wait-ready}: polls the sidecar's health port until {@code /ready} answers 200. The injector runs it
 * as the proxy container's postStart hook on clusters without native sidecars: the kubelet starts the next container
 * (the app) only once the hook returns, so the app never starts before its sidecar can carry its traffic.
 */
@Command(
        name = "wait-ready",
        description = "Wait until the sidecar on this host reports ready (GET /ready on its health port answers 200).")
final class WaitReadyCommand implements Callable<Integer> {
    private static final Duration POLL = Duration.ofMillis(200);

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--host",
            paramLabel = "HOST",
            defaultValue = "127.0.0.1",
            description = "The sidecar's host (default: ${DEFAULT-VALUE}).")
    private String host;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "15021",
            description = "The sidecar's health port (default: ${DEFAULT-VALUE}).")
    private int port;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "120s",
            description = "Give up after this long, exit 1 (default: ${DEFAULT-VALUE}).",
            converter = DurationConverter.class)
    private Duration timeout;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 1 || port > 65535) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--port: " + port + " (expected: 1-65535)");
        }
        URI uri = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/ready");
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(1))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (true) {
            try {
                HttpResponse<Void> response = client.send(
                        HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(1))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    PrintWriter out = spec.commandLine().getOut();
                    out.println("ready: " + uri);
                    out.flush();
                    return 0;
                }
                last = "HTTP " + response.statusCode();
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            if (System.nanoTime() - deadline >= 0) {
                PrintWriter err = spec.commandLine().getErr();
                err.printf(
                        Locale.ROOT,
                        "palisade wait-ready: %s not ready after %s (last: %s)%n",
                        uri,
                        DurationConverter.format(timeout),
                        last);
                err.flush();
                return 1;
            }
            Thread.sleep(POLL.toMillis());
        }
    }
}
