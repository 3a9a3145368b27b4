package dev.palisade.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code palisade certs}: workload identity on the command line — a local CA, X.509-SVIDs and trust bundles.
 *
 * <p>A parent command only: its subcommands ({@code init-ca}, {@code issue}, {@code inspect}) are registered in
 * {@code subcommands} below. Run without one, it prints its usage and exits with 2.
 */
@Command(
        name = "certs",
        description = "Workload identity: a local CA, X.509-SVIDs (SPIFFE certificates), trust bundles.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {CertsInitCaCommand.class, CertsIssueCommand.class, CertsInspectCommand.class})
public final class CertsCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        return MissingCommand.report(spec);
    }
}
