package dev.palisade.cli;

import dev.palisade.controlplane.config.AdminToken;
import dev.palisade.controlplane.config.AdminTokenException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * {@code --token-file FILE}, mixed into the commands that read the control plane's admin API ({@code flows},
 * {@code flows verify}, {@code authz replay}): the bearer token they send. Without the option, {@code
 * $PALISADE_UI_TOKEN} when it is set — the same variable the control plane reads, so one exported token serves both
 * ends. Read only when a server is asked (a store file needs none).
 */
final class AdminTokenOption {
    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "The control plane's admin token, sent as 'Authorization: Bearer' with --server (default:"
                    + " $" + AdminToken.ENV + " when set).")
    @Nullable
    Path tokenFile;

    /** The token to send, or null; an unreadable or invalid one is bad input naming its source, never its value. */
    @Nullable
    AdminToken resolve() throws AuthzCheckCommand.BadInput {
        try {
            return AdminToken.resolve(tokenFile, "--token-file", System.getenv());
        } catch (AdminTokenException e) {
            throw new AuthzCheckCommand.BadInput(String.valueOf(e.getMessage()));
        }
    }
}
