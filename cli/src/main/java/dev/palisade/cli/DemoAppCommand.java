package dev.palisade.cli;

import dev.palisade.cli.demo.DemoApp;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade demo-app}: one of the demo's workloads' apps, as its own process (hidden: the demo starts it). An
 * HTTP server that answers with what it received, and optionally the {@code payments.v1.Payments} gRPC service.
 */
@Command(name = "demo-app", hidden = true, description = "Run a demo workload's app (started by 'palisade demo').")
final class DemoAppCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The workload's name.")
    private String name;

    @Option(
            names = "--http",
            required = true,
            paramLabel = "HOST:PORT",
            description = "The HTTP server's address.",
            converter = AddressConverter.class)
    private InetSocketAddress http;

    @Option(
            names = "--grpc",
            paramLabel = "HOST:PORT",
            description = "The gRPC server's address (payments.v1.Payments).",
            converter = AddressConverter.class)
    private @Nullable InetSocketAddress grpc;

    @Override
    public Integer call() throws Exception {
        DemoApp app = DemoApp.start(name, http, grpc);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            app.close();
                            stopped.countDown();
                        },
                        "palisade-demo-app-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("demo app " + name + ": HTTP " + app.httpAddress()
                + (app.grpcAddress() == null ? "" : ", gRPC " + app.grpcAddress()));
        out.flush();
        stopped.await();
        return 0;
    }
}
