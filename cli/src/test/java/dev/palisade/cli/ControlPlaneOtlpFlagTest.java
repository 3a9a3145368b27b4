package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class ControlPlaneOtlpFlagTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = Palisade.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
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
        assertThat(run("control-plane", "--kubernetes", "--otlp-endpoint", url)).isEqualTo(2);

        assertThat(err.toString())
                .startsWith("palisade control-plane: Invalid value for option '--otlp-endpoint': '" + url + "': ")
                .contains(why)
                .contains("expected http://HOST:PORT or https://HOST:PORT");
        assertThat(out.toString()).isEmpty();
    }
}
