package dev.palisade.controlplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OtlpConfigTest {

    @ParameterizedTest
    @CsvSource({
        "http://otel-collector:4318, http://otel-collector:4318/v1/logs",
        "http://otel-collector:4318/, http://otel-collector:4318/v1/logs",
        "HTTPS://collector.observability.svc:4318, https://collector.observability.svc:4318/v1/logs",
        "http://127.0.0.1:4318/custom/logs, http://127.0.0.1:4318/custom/logs",
        "http://[::1]:4318, http://[::1]:4318/v1/logs",
    })
    void aValidEndpointGetsTheLogsPathWhenItHasNone(String url, String expected) {
        assertThat(OtlpConfig.parseEndpoint(url)).isEqualTo(URI.create(expected));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "otel-collector:4318 | scheme 'otel-collector'",
                "/v1/logs | no scheme",
                "grpc://collector:4317 | scheme 'grpc' (OTLP/HTTP is http or https; gRPC is not supported)",
                "ftp://collector:21 | scheme 'ftp'",
                "http:///v1/logs | no host",
                "http://collector | no port (an OTLP/HTTP receiver listens on 4318 by default)",
                "http://collector:4318/v1/logs?x=1 | user info, a query or a fragment",
                "http://user:pw@collector:4318 | user info, a query or a fragment",
                "http://coll ector:4318 | not a URL",
                "http://collector:0 | port",
            })
    void aBadEndpointIsRefusedNamingItAndTheExpectedForm(String url, String why) {
        assertThatThrownBy(() -> OtlpConfig.parseEndpoint(url))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("'" + url + "': ")
                .hasMessageContaining(why)
                .hasMessageContaining("expected http://HOST:PORT or https://HOST:PORT");
    }

    @ParameterizedTest
    @CsvSource({"0, 1", "8, 0", "8, 9"})
    void queueAndBatchSizesAreChecked(int queue, int batch) {
        assertThatThrownBy(() -> OtlpConfig.of("http://collector:4318")
                        .withQueue(queue, batch, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(expected: ");
    }
}
