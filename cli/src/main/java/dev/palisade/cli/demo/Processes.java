package dev.palisade.cli.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The demo's child processes: each a {@code palisade} command in a JVM of its own, its output in a log file of its
 * own, started and stopped in order. Children are also destroyed by a shutdown hook, so Ctrl-C leaves none behind.
 */
final class Processes implements AutoCloseable {
    /** One started component. */
    record Child(String name, Process process, Path log) {}

    private final Path logs;
    private final List<String> jvmOptions;
    private List<String> javaCommand;
    private final List<Child> children = new CopyOnWriteArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /**
     * @param logs where each child's output goes ({@code <name>.log})
     * @param jvmOptions options for every child JVM
     */
    Processes(Path logs, List<String> jvmOptions) throws IOException {
        this.logs = Files.createDirectories(logs);
        this.jvmOptions = List.copyOf(jvmOptions);
        this.javaCommand = javaCommand(System.getProperty("java.class.path"));
    }

    private List<String> javaCommand(String classpath) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath);
        command.add("dev.palisade.cli.Palisade");
        return List.copyOf(command);
    }

    /** Children started from now on use this class path (the netns mode's copy readable by the sidecars' uid). */
    void useClasspath(String classpath) {
        this.javaCommand = javaCommand(classpath);
    }

    /** Starts {@code palisade <args>} as component {@code name}. */
    Child start(String name, List<String> args) throws IOException {
        return startCommand(name, withJava(args));
    }

    /** Starts a command (for {@code ip netns exec ... java ...}) as component {@code name}. */
    Child startCommand(String name, List<String> command) throws IOException {
        Path log = logs.resolve(name + ".log");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Child child = new Child(name, process, log);
        children.add(child);
        return child;
    }

    /** {@code java ... dev.palisade.cli.Palisade <args>}. */
    List<String> withJava(List<String> args) {
        List<String> command = new ArrayList<>(javaCommand);
        command.addAll(args);
        return command;
    }

    /**
     * Waits until {@code url} answers 200, failing with the component's name and log when it exits or the time runs
     * out.
     */
    void awaitReady(Child child, URI url, Duration timeout) throws DemoException, InterruptedException {
        awaitReady(child, url, timeout, u -> http.send(
                        HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode());
    }

    /** How readiness is asked: the HTTP status of a URL, an IOException while nothing answers. */
    @FunctionalInterface
    interface Probe {
        int status(URI url) throws IOException, InterruptedException;
    }

    /** As {@link #awaitReady(Child, URI, Duration)}, asking through {@code probe} (from inside a namespace). */
    void awaitReady(Child child, URI url, Duration timeout, Probe probe) throws DemoException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!child.process().isAlive()) {
                throw new DemoException(
                        child.name() + " exited with " + child.process().exitValue() + " before it was ready; its log: "
                                + child.log() + "\n" + tail(child.log()));
            }
            try {
                if (probe.status(url) == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new DemoException(child.name() + " was not ready after " + timeout.toSeconds() + " s (" + url
                + "); its log: " + child.log() + "\n" + tail(child.log()));
    }

    /** The last lines of a log, for an error message. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** Forgets the children without stopping them (the demo's --keep). */
    void forget() {
        children.clear();
    }

    List<Child> children() {
        return List.copyOf(children);
    }

    /** Stops every child, last started first: SIGTERM, then SIGKILL after 5 s. */
    @Override
    public void close() {
        List<Child> reversed = new ArrayList<>(children);
        java.util.Collections.reverse(reversed);
        for (Child child : reversed) {
            child.process().destroy();
        }
        for (Child child : reversed) {
            try {
                if (!child.process().waitFor(5, TimeUnit.SECONDS)) {
                    child.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                child.process().destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        children.clear();
    }
}
