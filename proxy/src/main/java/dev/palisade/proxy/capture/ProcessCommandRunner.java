package dev.palisade.proxy.capture;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands as child processes, each behind an optional prefix ({@code ip netns exec NAME}, {@code nsenter -t PID
 * -n}) and with a deadline: an {@code iptables} stuck on the xtables lock or a wedged netlink socket must fail the init
 * container, not hang it. Standard output and error are drained on their own threads so that a chatty command cannot
 * block on a full pipe.
 */
final class ProcessCommandRunner implements CommandRunner {

    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    private final List<String> prefix;
    private final Duration timeout;

    ProcessCommandRunner(List<String> prefix, Duration timeout) {
        this.prefix = List.copyOf(prefix);
        this.timeout = requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
        }
    }

    @Override
    public String display(List<String> command) {
        return String.join(" ", argv(command));
    }

    @Override
    public CommandResult run(List<String> command) throws IptablesException {
        List<String> argv = argv(command);
        String display = String.join(" ", argv);
        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw new IptablesException(display + ": cannot run: " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Nothing is ever written to the command's stdin; a failure to close it changes nothing.
        }
        Drain stdout = Drain.start(process.getInputStream(), display + " (stdout)");
        Drain stderr = Drain.start(process.getErrorStream(), display + " (stderr)");
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                throw new IptablesException(display + ": timed out after " + timeout.toMillis() + " ms; stderr: "
                        + stderr.text().strip());
            }
            return new CommandResult(process.exitValue(), stdout.text(), stderr.text());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IptablesException(display + ": interrupted", e);
        }
    }

    private List<String> argv(List<String> command) {
        List<String> argv = new ArrayList<>(prefix.size() + command.size());
        argv.addAll(prefix);
        argv.addAll(command);
        return argv;
    }

    /** Reads one stream of the child to its end. */
    private static final class Drain extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        private Drain(InputStream in, String name) {
            super(name);
            this.in = in;
            setDaemon(true);
        }

        static Drain start(InputStream in, String name) {
            Drain drain = new Drain(in, name);
            drain.start();
            return drain;
        }

        @Override
        public void run() {
            try (InputStream stream = in) {
                byte[] buffer = new byte[8192];
                for (int n; (n = stream.read(buffer)) != -1; ) {
                    synchronized (bytes) {
                        bytes.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // The process was killed or closed its end: keep what was read so far.
            }
        }

        /** What was read, once the stream ended or {@link #DRAIN_TIMEOUT} passed. */
        String text() throws InterruptedException {
            join(DRAIN_TIMEOUT.toMillis());
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
