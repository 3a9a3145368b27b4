package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Every {@code palisade} command line that helm/palisade renders parses with the real command tree: a chart that
 * passes a flag the binary does not have would crash-loop in a cluster, and no unit test of either side would see it.
 * Rendered through the real helm library (helm-java), with the default values and with the non-default ones that
 * change arguments.
 */
class ChartCommandLinesIT {
    private static final Path CHART = Path.of(System.getProperty("palisade.chart", "../helm/palisade"));
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static List<Map<String, String>> valueSets() {
        return List.of(
                Map.of(),
                Map.of("webhook.caBundle.source", "certManager"),
                Map.of(
                        "mesh.mtls", "PERMISSIVE",
                        "mesh.defaultPolicy", "deny",
                        "mesh.certificateTtl", "12h",
                        "webhook.failurePolicy", "Ignore",
                        "flowLogs.otlp.endpoint", "http://otel-collector.observability:4318",
                        "flowLogs.otlp.queueSize", "65536",
                        "proxy.jvmOptions", "-Xmx96m -XX:+UseSerialGC",
                        "proxy.tlsGroups", "X25519,P-256"));
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void everyRenderedCommandLineParses(Map<String, String> values) throws Exception {
        List<List<String>> commandLines = palisadeCommandLines(template(values));
        assertThat(commandLines).as("the chart runs palisade in its containers").hasSizeGreaterThanOrEqualTo(2);
        for (List<String> args : commandLines) {
            assertThatCode(() -> Palisade.newCommandLine().parseArgs(args.toArray(String[]::new)))
                    .as("palisade %s", String.join(" ", args))
                    .doesNotThrowAnyException();
        }
    }

    @Test
    void aFlagTheBinaryDoesNotHaveIsCaught() {
        // The check above can fail: an unknown flag does not parse.
        assertThatCode(() -> Palisade.newCommandLine().parseArgs("control-plane", "--kubernetes", "--no-such-flag"))
                .isInstanceOf(CommandLine.UnmatchedArgumentException.class);
    }

    @Test
    void theProxyJvmOptionsReachTheWebhookAsOneArgumentOnlyWhenSet() throws Exception {
        assertThat(palisadeCommandLines(template(Map.of())))
                .allSatisfy(args -> assertThat(args).noneMatch(a -> a.startsWith("--proxy-jvm-options")));

        List<List<String>> set = palisadeCommandLines(template(Map.of("proxy.jvmOptions", "-Xmx96m -XX:+UseSerialGC")));
        assertThat(set)
                .filteredOn(args -> args.get(0).equals("webhook"))
                .singleElement()
                .satisfies(args -> assertThat(args).contains("--proxy-jvm-options=-Xmx96m -XX:+UseSerialGC"));
    }

    @Test
    void theProxyTlsGroupsReachTheWebhookAsOneArgumentOnlyWhenSet() throws Exception {
        assertThat(palisadeCommandLines(template(Map.of())))
                .allSatisfy(args -> assertThat(args).noneMatch(a -> a.startsWith("--proxy-tls-groups")));

        List<List<String>> set = palisadeCommandLines(template(Map.of("proxy.tlsGroups", "X25519,P-256")));
        assertThat(set)
                .filteredOn(args -> args.get(0).equals("webhook"))
                .singleElement()
                .satisfies(args -> assertThat(args).contains("--proxy-tls-groups=X25519,P-256"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x25519", "X25519,,P-256", "X25519;P-256"})
    void theSchemaRefusesATlsGroupsValueWithoutKnownNames(String value) {
        assertThatThrownBy(() -> template(Map.of("proxy.tlsGroups", value))).hasMessageContaining("tlsGroups");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "P-256,P-256 | entry 2 of 'P-256,P-256', 'P-256', is given twice",
                "X25519,P-384,X25519 | entry 3 of 'X25519,P-384,X25519', 'X25519', is given twice"
            })
    void aRepeatedTlsGroupPassesTheSchemaAndStopsTheWebhookNamingTheEntry(String value, String problem)
            throws Exception {
        List<String> args = palisadeCommandLines(template(Map.of("proxy.tlsGroups", value))).stream()
                .filter(a -> a.get(0).equals("webhook"))
                .findFirst()
                .orElseThrow();
        // The rendered line parses; the webhook refuses it when it builds its injection settings, before serving.
        CommandLine.ParseResult parsed = Palisade.newCommandLine().parseArgs(args.toArray(String[]::new));
        CommandSpec webhook = parsed.subcommand().commandSpec();
        InjectCommand.InjectionOptions injection = (InjectCommand.InjectionOptions)
                webhook.mixins().get("injection").userObject();

        assertThatThrownBy(() -> injection.config(webhook))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("invalid injection setting: proxyTlsGroups: " + problem);
    }

    private static String template(Map<String, String> values) {
        TemplateCommand command =
                new Helm(CHART).template().withName("palisade").withNamespace("palisade-system");
        for (Map.Entry<String, String> value : values.entrySet()) {
            command = command.set(value.getKey(), value.getValue());
        }
        return command.call();
    }

    /** The args of every container (and init container) whose command is {@code palisade}. */
    private static List<List<String>> palisadeCommandLines(String rendered) throws Exception {
        List<List<String>> commandLines = new ArrayList<>();
        for (JsonNode document :
                YAML.readerFor(JsonNode.class).<JsonNode>readValues(rendered).readAll()) {
            if (document == null || document.isNull() || !document.has("kind")) {
                continue;
            }
            JsonNode pod = document.at("/spec/template/spec");
            for (String list : new String[] {"containers", "initContainers"}) {
                for (JsonNode container : pod.path(list)) {
                    JsonNode command = container.path("command");
                    if (command.size() == 1 && command.get(0).asText().equals("palisade")) {
                        List<String> args = new ArrayList<>();
                        container.path("args").forEach(a -> args.add(a.asText()));
                        commandLines.add(args);
                    }
                }
            }
        }
        return commandLines;
    }
}
