package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.palisade.controlplane.config.AdminToken;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code palisade control-plane}'s flags that are checked before anything starts: an unusable
 * {@code --admin-token-file} or {@code --otlp-endpoint} is a usage error (exit 2) naming the value and the rule, and
 * never printing the token. (Valid ones start a control plane that runs until SIGTERM: see FlowsAccessIT and
 * ControlPlaneOtlpIT for them in use.)
 */
@Timeout(30)
class ControlPlaneCommandTest {
    @TempDir
    Path dir;

    private final CommandRunner cli = new CommandRunner();

    @Test
    void aShortTokenFileIsAUsageErrorNamingTheFileAndTheRule() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "hunter2\n", StandardCharsets.UTF_8);
        assertThat(cli.run("control-plane", "--local", dir.toString(), "--admin-token-file", file.toString()))
                .isEqualTo(2);
        assertThat(cli.err())
                .startsWith("palisade control-plane: --admin-token-file " + file
                        + ": the admin token is 7 characters long (" + AdminToken.RULE + ")")
                .contains("Try 'palisade control-plane --help'")
                .doesNotContain("hunter2");
        assertThat(cli.out()).isEmpty();
        assertThat(dir.resolve("ca")).doesNotExist();
    }

    @Test
    void whitespaceEmptinessAndAMissingFileAreUsageErrors() throws Exception {
        Path spaced = dir.resolve("spaced");
        Files.writeString(spaced, "correct horse battery staple", StandardCharsets.UTF_8);
        assertThat(cli.run("control-plane", "--kubernetes", "--admin-token-file", spaced.toString()))
                .isEqualTo(2);
        assertThat(cli.err()).contains("at position 8").doesNotContain("horse");
        Path empty = dir.resolve("empty");
        Files.writeString(empty, "\n", StandardCharsets.UTF_8);
        assertThat(cli.run("control-plane", "--local", dir.toString(), "--admin-token-file", empty.toString()))
                .isEqualTo(2);
        assertThat(cli.err()).contains(empty + ": the admin token is empty");
        assertThat(cli.run(
                        "control-plane",
                        "--local",
                        dir.toString(),
                        "--admin-token-file",
                        dir.resolve("absent").toString()))
                .isEqualTo(2);
        assertThat(cli.err()).contains("absent: not a readable file");
    }

    @Test
    void theHelpDocumentsTheOptionAndTheEnvironmentVariable() {
        assertThat(cli.run("control-plane", "--help")).isEqualTo(0);
        assertThat(cli.out()).contains("--admin-token-file=FILE", "PALISADE_UI_TOKEN", "loopback");
    }

    @Test
    void anOtlpEndpointParsesInBothModes() {
        for (String mode : new String[] {"--kubernetes", "--local=/tmp/palisade"}) {
            assertThatCode(() -> Palisade.newCommandLine()
                            .parseArgs("control-plane", mode, "--otlp-endpoint", "http://otel-collector:4318"))
                    .doesNotThrowAnyException();
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "grpc://otel-collector:4317 | scheme 'grpc' (OTLP/HTTP is http or https; gRPC is not supported)",
                "otel-collector:4318 | scheme 'otel-collector'",
                "http://otel-collector | no port (an OTLP/HTTP receiver listens on 4318 by default)",
                "http://:4318 | no host",
            })
    void aBadOtlpEndpointExitsWithTwoAndSaysWhy(String url, String why) {
        assertThat(cli.run("control-plane", "--kubernetes", "--otlp-endpoint", url))
                .isEqualTo(2);

        assertThat(cli.err())
                .startsWith("palisade control-plane: Invalid value for option '--otlp-endpoint': '" + url + "': ")
                .contains(why)
                .contains("expected http://HOST:PORT or https://HOST:PORT");
        assertThat(cli.out()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "--otlp-queue-size=100 | --otlp-queue-size needs --otlp-endpoint",
                "--otlp-endpoint=http://otel-collector:4318 --otlp-queue-size=0"
                        + " | --otlp-queue-size: queue size 0 (expected: from 1 to 1048576)",
                "--otlp-endpoint=http://otel-collector:4318 --otlp-queue-size=2000000"
                        + " | --otlp-queue-size: queue size 2000000 (expected: from 1 to 1048576)",
            })
    void aBadOtlpQueueSizeExitsWithTwoBeforeAnythingStarts(String flags, String message) {
        List<String> args = new ArrayList<>(List.of("control-plane", "--local", dir.toString()));
        args.addAll(List.of(flags.split(" ")));

        assertThat(cli.run(args.toArray(new String[0]))).isEqualTo(2);

        assertThat(cli.err()).startsWith("palisade control-plane: " + message + System.lineSeparator());
        assertThat(dir.resolve("ca")).as("nothing started").doesNotExist();
    }
}
