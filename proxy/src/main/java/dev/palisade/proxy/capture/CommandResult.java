package dev.palisade.proxy.capture;

/**
 * How a command of {@link CommandRunner} ended.
 *
 * @param exitCode the process's exit status
 * @param stdout its standard output, decoded as UTF-8
 * @param stderr its standard error, decoded as UTF-8
 */
record CommandResult(int exitCode, String stdout, String stderr) {}
