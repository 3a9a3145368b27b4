package dev.palisade.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Runs the {@code palisade} command line in the test's JVM, as {@link Palisade#main} would, with standard output and
 * error captured. Output accumulates over runs until {@link #reset()}.
 */
final class CommandRunner {
    private final List<String> prefix;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** @param prefix words put before every run's arguments, e.g. {@code "authz", "check"} */
    CommandRunner(String... prefix) {
        this.prefix = List.of(prefix);
    }

    /** The exit code of {@code palisade PREFIX ARGS}. */
    int run(String... args) {
        CommandLine commandLine = Palisade.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(args));
        return commandLine.execute(all.toArray(new String[0]));
    }

    String out() {
        return out.toString();
    }

    String err() {
        return err.toString();
    }

    /** Forgets the output so far. */
    void reset() {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
    }
}
