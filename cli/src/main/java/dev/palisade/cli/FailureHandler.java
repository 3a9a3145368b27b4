package dev.palisade.cli;

import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.ParseResult;

/**
 * Reports a command that threw as one line on stderr, {@code palisade certs issue: <message>}, and exit code 1; the
 * stack trace goes to the log at DEBUG ({@code -Dorg.slf4j.simpleLogger.defaultLogLevel=debug}).
 *
 * <p>Palisade's own exceptions name the bad value (STYLE.md §2.8), so their message stands alone; the JDK's often do
 * not ({@code NoSuchFileException} carries only a path), so those are prefixed with their type.
 */
final class FailureHandler implements IExecutionExceptionHandler {

    private static final Logger logger = LoggerFactory.getLogger(FailureHandler.class);

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        String command = commandLine.getCommandSpec().qualifiedName();
        logger.debug("{} failed", command, ex);
        commandLine.getErr().println(commandLine.getColorScheme().errorText(command + ": " + describe(ex)));
        commandLine.getErr().flush();
        IExitCodeExceptionMapper mapper = commandLine.getExitCodeExceptionMapper();
        return mapper != null
                ? mapper.getExitCode(ex)
                : commandLine.getCommandSpec().exitCodeOnExecutionException();
    }

    /**
     * The same report for a command run without picocli ({@code palisade proxy}'s fast start, {@link ProxyFastLine}):
     * one plain line on {@code err}, the stack trace at DEBUG; returns exit code 1.
     */
    static int report(String command, Exception ex, PrintWriter err) {
        logger.debug("{} failed", command, ex);
        err.println(command + ": " + describe(ex));
        err.flush();
        return 1;
    }

    static String describe(Throwable ex) {
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            return ex.getClass().getName();
        }
        return ex.getClass().getName().startsWith("dev.palisade.")
                ? message
                : ex.getClass().getSimpleName() + ": " + message;
    }
}
