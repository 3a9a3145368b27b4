package dev.palisade.proxy.capture;

import java.util.List;

/**
 * Runs one {@code iptables}/{@code ip6tables} command for {@link IptablesInstaller}: a process in production ({@link
 * ProcessCommandRunner}), a simulated table in unit tests.
 */
interface CommandRunner {

    /**
     * Runs {@code command} (the binary first) to completion.
     *
     * @return how it ended, whatever its exit code
     * @throws IptablesException when it cannot be started or does not finish in time
     */
    CommandResult run(List<String> command) throws IptablesException;

    /** The command line as it is (or would be) run, for messages and dry runs: any prefix included. */
    String display(List<String> command);
}
