package dev.palisade.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Reports invalid usage in two or three lines instead of picocli's full usage dump: the command, picocli's message
 * (which names the bad flag or value), suggestions for a mistyped flag or command, and where to find help.
 *
 * <pre>
 * palisade version: Unknown option: '--bogus'
 * Try 'palisade version --help' for more information.
 * </pre>
 *
 * <p>The exit code stays picocli's for invalid input: 2.
 */
final class UsageErrorHandler implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine commandLine = ex.getCommandLine();
        String command = commandLine.getCommandSpec().qualifiedName();
        PrintWriter err = commandLine.getErr();
        err.println(commandLine.getColorScheme().errorText(command + ": " + ex.getMessage()));
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + command + " --help' for more information.");
        err.flush();
        IExitCodeExceptionMapper mapper = commandLine.getExitCodeExceptionMapper();
        return mapper != null
                ? mapper.getExitCode(ex)
                : commandLine.getCommandSpec().exitCodeOnInvalidInput();
    }
}
