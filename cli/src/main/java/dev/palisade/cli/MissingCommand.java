package dev.palisade.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** What a parent command ({@code palisade}, {@code palisade certs}) does when it is run without a subcommand. */
final class MissingCommand {

    private MissingCommand() {}

    /** Prints that a command is missing and the parent's usage to stderr; returns the invalid-usage exit code. */
    static int report(CommandSpec spec) {
        CommandLine commandLine = spec.commandLine();
        PrintWriter err = commandLine.getErr();
        err.println(commandLine.getColorScheme().errorText(spec.qualifiedName() + ": missing command"));
        err.println();
        commandLine.usage(err);
        err.flush();
        return spec.exitCodeOnInvalidInput();
    }
}
