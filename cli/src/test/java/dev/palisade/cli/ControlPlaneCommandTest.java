package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.controlplane.config.AdminToken;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code palisade control-plane --admin-token-file}: an unusable token is a usage error (exit 2) naming the file and
 * the rule, before anything starts, and never printing the token. (A valid one would start a control plane that runs
 * until SIGTERM: see FlowsAccessIT for the token in use.)
 */
@Timeout(30)
class ControlPlaneCommandTest {
    @TempDir
    Path dir;

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        CommandLine cl = Palisade.newCommandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void aShortTokenFileIsAUsageErrorNamingTheFileAndTheRule() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "hunter2\n", StandardCharsets.UTF_8);
        assertThat(run("control-plane", "--local", dir.toString(), "--admin-token-file", file.toString()))
                .isEqualTo(2);
        assertThat(err.toString())
                .startsWith("palisade control-plane: --admin-token-file " + file
                        + ": the admin token is 7 characters long (" + AdminToken.RULE + ")")
                .contains("Try 'palisade control-plane --help'")
                .doesNotContain("hunter2");
        assertThat(out.toString()).isEmpty();
        assertThat(dir.resolve("ca")).doesNotExist();
    }

    @Test
    void whitespaceEmptinessAndAMissingFileAreUsageErrors() throws Exception {
        Path spaced = dir.resolve("spaced");
        Files.writeString(spaced, "correct horse battery staple", StandardCharsets.UTF_8);
        assertThat(run("control-plane", "--kubernetes", "--admin-token-file", spaced.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("at position 8").doesNotContain("horse");
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "\n", StandardCharsets.UTF_8);
        assertThat(run("control-plane", "--local", dir.toString(), "--admin-token-file", empty.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains(empty + ": the admin token is empty");
        assertThat(run(
                        "control-plane",
                        "--local",
                        dir.toString(),
                        "--admin-token-file",
                        dir.resolve("absent").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("absent: not a readable file");
    }

    @Test
    void theHelpDocumentsTheOptionAndTheEnvironmentVariable() {
        assertThat(run("control-plane", "--help")).isEqualTo(0);
        assertThat(out.toString()).contains("--admin-token-file=FILE", "PALISADE_UI_TOKEN", "loopback");
    }
}
