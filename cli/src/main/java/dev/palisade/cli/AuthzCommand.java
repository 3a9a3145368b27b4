package dev.palisade.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code palisade authz}: questions about authorization policy, answered by the sidecar's own engine. */
@Command(
        name = "authz",
        description = "Authorization: check a request against policies, with the sidecar's normaliser and engine.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {AuthzCheckCommand.class, AuthzReplayCommand.class})
final class AuthzCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        return MissingCommand.report(spec);
    }
}
