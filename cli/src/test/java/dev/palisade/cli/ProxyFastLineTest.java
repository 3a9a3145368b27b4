package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.tls.TlsOptions;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@link ProxyFastLine} against picocli: the same table of options as {@link ProxyCommand}'s annotations, the same
 * field values for every line it reads, and picocli for every line it does not.
 */
class ProxyFastLineTest {

    private static final String NO_DEFAULT = "__no_default_value__"; // picocli's marker for "no defaultValue"

    @Test
    void theTableHasEveryOptionOfTheCommandWithItsFieldAndDefault() {
        List<Field> annotated = optionFields();
        assertThat(ProxyFastLine.OPTIONS).hasSameSizeAs(annotated);
        for (Field field : annotated) {
            Option option = field.getAnnotation(Option.class);
            assertThat(option.names()).as(field.getName()).hasSize(1);
            ProxyFastLine.Option row = ProxyFastLine.OPTIONS.stream()
                    .filter(o -> o.name().equals(option.names()[0]))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no row for " + option.names()[0]));
            assertThat(row.field()).as(row.name()).isEqualTo(field.getName());
            assertThat(row.defaultValue())
                    .as(row.name())
                    .isEqualTo(option.defaultValue().equals(NO_DEFAULT) ? null : option.defaultValue());
            ProxyFastLine.Kind kind = field.getType() == boolean.class
                    ? ProxyFastLine.Kind.FLAG
                    : List.class.isAssignableFrom(field.getType())
                            ? ProxyFastLine.Kind.REPEATABLE
                            : ProxyFastLine.Kind.SINGLE;
            assertThat(row.kind()).as(row.name()).isEqualTo(kind);
            assertThat(option.arity()).as(row.name()).isEmpty();
            assertThat(option.split()).as(row.name()).isEmpty();
        }
    }

    static Stream<List<String>> linesItReads() {
        return Stream.of(
                // perf/run's two sidecars
                List.of(
                        "proxy",
                        "--no-capture",
                        "--trust-domain",
                        "perf.local",
                        "--namespace",
                        "perf",
                        "--service-account",
                        "server",
                        "--control-plane",
                        "127.0.0.100:15012",
                        "--ca-bundle",
                        "/tmp/run/cp/ca/bundle.pem",
                        "--token-file",
                        "/tmp/run/tokens/server",
                        "--admin",
                        "127.0.0.102:15000",
                        "--health",
                        "127.0.0.102:15021",
                        "--flow-log-dir",
                        "/tmp/run/flows/server",
                        "--drain-timeout",
                        "1s",
                        "--inbound-for",
                        "18080=127.0.0.102:18080",
                        "--inbound-for",
                        "18082=127.0.0.102:18082",
                        "--app-host",
                        "127.0.0.1"),
                List.of(
                        "proxy",
                        "--no-capture",
                        "--namespace",
                        "perf",
                        "--service-account",
                        "client",
                        "--upstream-bind",
                        "127.0.0.101",
                        "--upstream",
                        "h1=18081:127.0.0.102:18080:spiffe://perf.local/ns/perf/sa/server",
                        "--upstream",
                        "h2=18082:127.0.0.102:18082:spiffe://perf.local/ns/perf/sa/server",
                        "--upstream",
                        "new=18083:127.0.0.102:18080"),
                // an injected sidecar: everything from the environment
                List.of("proxy"),
                // every other option, attached values
                List.of(
                        "proxy",
                        "--control-plane-id=spiffe://example.org/ns/x/sa/cp",
                        "--inbound-listen=0.0.0.0:16006",
                        "--outbound-listen=127.0.0.1:16001",
                        "--quit-token-file=/tmp/quit",
                        "--outside-mesh=deny",
                        "--startup-timeout=2m",
                        "--max-header-bytes=32768",
                        "--max-header-count=0",
                        "--max-concurrent-streams=250",
                        "--header-read-timeout=5s",
                        "--idle-timeout=90s",
                        "--tls-groups=X25519,P-256",
                        "--trust-domain=example.org",
                        "--namespace=ns-1",
                        "--service-account=sa-1"),
                // the same ones with separate values, and a case picocli keeps as given
                List.of(
                        "proxy",
                        "--outside-mesh",
                        "DENY",
                        "--max-header-bytes",
                        "1",
                        "--idle-timeout",
                        "1h",
                        "--tls-groups",
                        "P-384, X25519MLKEM768",
                        "--upstream",
                        "a=1:h:2",
                        "--inbound-for",
                        "9=[::1]:9"));
    }

    @ParameterizedTest
    @MethodSource("linesItReads")
    void readsTheLineAsPicocliDoes(List<String> line) throws Exception {
        Optional<ProxyCommand> fast = ProxyFastLine.parse(line.toArray(String[]::new), System::getenv);
        assertThat(fast).as("read without picocli: %s", line).isPresent();

        // The tree Palisade.main hands the line to, with the root's settings.
        CommandLine.ParseResult parsed =
                Palisade.forArguments(line.toArray(String[]::new)).parseArgs(line.toArray(String[]::new));
        ProxyCommand byPicocli =
                (ProxyCommand) parsed.subcommand().commandSpec().userObject();

        for (Field field : optionFields()) {
            assertThat(field.get(fast.get())).as(field.getName()).isEqualTo(field.get(byPicocli));
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "proxy --help",
                "proxy -h",
                "proxy --version",
                "proxy -V",
                "proxy --bogus",
                "proxy --names=x",
                "proxy --namespace",
                "proxy --namespace=",
                "proxy --namespace --service-account sa",
                "proxy --namespace a --namespace b",
                "proxy --no-capture=true",
                "proxy --no-capture --no-capture",
                "proxy --max-header-count 010",
                "proxy --max-header-count 0x10",
                "proxy --max-header-count +1",
                "proxy --max-header-count 9999999999",
                "proxy --drain-timeout -5s",
                "proxy --drain-timeout soon",
                "proxy --control-plane no-port",
                "proxy --trust-domain Bad!Domain",
                "proxy --upstream bad",
                "proxy --tls-groups x25519",
                "proxy --tls-groups X25519,,P-256",
                "proxy --tls-groups=P-256,P-256",
                "proxy --inbound-for 80",
                "proxy @args.txt",
                "proxy --flow-log-dir @dir.args",
                "proxy --flow-log-dir=@@flows",
                "proxy --",
                "proxy extra",
                "version",
                "proxies"
            })
    void leavesEveryOtherLineToPicocli(String line) {
        assertThat(ProxyFastLine.parse(line.split(" "), System::getenv)).isEmpty();
    }

    @Test
    void leavesTheLineToPicocliWhenADefaultsVariableIsSetButEmpty() {
        Map<String, String> env = new HashMap<>(Map.of("PALISADE_CONTROL_PLANE", ""));
        assertThat(ProxyFastLine.parse(new String[] {"proxy"}, env::get)).isEmpty();
        // Given on the command line, the option's default (and its variable) is not consulted.
        assertThat(ProxyFastLine.parse(new String[] {"proxy", "--control-plane", "127.0.0.1:1"}, env::get))
                .isPresent();
    }

    @Test
    void leavesTheLineToPicocliWhenADefaultsVariableHoldsADollar() {
        // Picocli interpolates a variable's value again (${HOSTNAME}, $$): its reading, not this one's.
        Map<String, String> env = Map.of("PALISADE_DATA_DIR", "/data/${HOSTNAME}");
        assertThat(ProxyFastLine.parse(new String[] {"proxy"}, env::get)).isEmpty();
        assertThat(ProxyFastLine.parse(new String[] {"proxy", "--flow-log-dir", "/data/x"}, env::get))
                .isPresent();
    }

    @Test
    void leavesTheLineToPicocliWhenAPicocliPropertyIsSet() {
        String key = "picocli.trimQuotes";
        System.setProperty(key, "true");
        try {
            assertThat(ProxyFastLine.parse(new String[] {"proxy"}, name -> null))
                    .isEmpty();
        } finally {
            System.clearProperty(key);
        }
        assertThat(ProxyFastLine.parse(new String[] {"proxy"}, name -> null)).isPresent();
    }

    @Test
    void defaultsComeFromTheEnvironmentAsPicocliResolvesThem() {
        Map<String, String> env = Map.of(
                "PALISADE_TRUST_DOMAIN", "env.example",
                "POD_NAMESPACE", "shop",
                "SERVICE_ACCOUNT", "orders",
                "PALISADE_CONTROL_PLANE", "127.0.0.9:15012",
                "PALISADE_INBOUND_PORT", "16006",
                "PALISADE_DATA_DIR", "/data",
                "PALISADE_TLS_GROUPS", "X25519,P-384");
        ProxyCommand command = ProxyFastLine.parse(new String[] {"proxy", "--namespace", "given"}, env::get)
                .orElseThrow();

        assertThat(command.trustDomain.name()).isEqualTo("env.example");
        assertThat(command.namespace).isEqualTo("given");
        assertThat(command.serviceAccount).isEqualTo("orders");
        assertThat(command.controlPlane.getPort()).isEqualTo(15012);
        assertThat(command.controlPlane.getHostString()).isEqualTo("127.0.0.9");
        assertThat(command.inboundListen.getPort()).isEqualTo(16006);
        assertThat(command.outboundListen.getPort()).isEqualTo(15001);
        assertThat(command.flowLogDir).hasToString("/data");
        assertThat(command.caBundle).hasToString("/var/run/palisade/ca/bundle.pem");
        assertThat(command.tlsGroups.names()).containsExactly("X25519", "P-384");

        ProxyCommand bare =
                ProxyFastLine.parse(new String[] {"proxy"}, name -> null).orElseThrow();
        assertThat(bare.trustDomain.name()).isEqualTo("cluster.local");
        assertThat(bare.namespace).isNull();
        assertThat(bare.serviceAccount).isNull();
        assertThat(bare.flowLogDir).isNull();
        assertThat(bare.health.getPort()).isEqualTo(15021);
        // The option's default is the TLS contexts' own.
        assertThat(bare.tlsGroups.names()).isEqualTo(TlsOptions.DEFAULT_GROUPS);
    }

    @Test
    void theGroupsReachTheSidecarsTlsOptions(@TempDir Path dir) throws Exception {
        Path bundle = Files.writeString(dir.resolve("bundle.pem"), "read at start-up, not here\n");
        Path token = Files.writeString(dir.resolve("token"), "t0ken\n");
        List<String> line = List.of(
                "proxy",
                "--no-capture",
                "--inbound-for",
                "1=127.0.0.1:1",
                "--namespace",
                "ns",
                "--service-account",
                "sa",
                "--ca-bundle",
                bundle.toString(),
                "--token-file",
                token.toString());
        List<String> chosen = new ArrayList<>(line);
        chosen.addAll(List.of("--tls-groups", "X25519,P-256"));

        assertThat(ProxyFastLine.parse(chosen.toArray(String[]::new), name -> null)
                        .orElseThrow()
                        .config()
                        .tls()
                        .groups())
                .containsExactly("X25519", "P-256");
        assertThat(ProxyFastLine.parse(line.toArray(String[]::new), name -> null)
                        .orElseThrow()
                        .config()
                        .tls()
                        .groups())
                .isEqualTo(TlsOptions.DEFAULT_GROUPS);
    }

    @Test
    void resolvesOnlyTheVariablesOfTheTemplate() {
        Function<String, String> env = Map.of("A", "x\\y", "EMPTY", "", "DOLLAR", "x$1")::get;
        assertThat(ProxyFastLine.resolve("0.0.0.0:${env:A:-15006}", env)).contains("0.0.0.0:x\\y");
        assertThatThrownBy(() -> ProxyFastLine.resolve("${env:DOLLAR}", env))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$DOLLAR");
        assertThat(ProxyFastLine.resolve("0.0.0.0:${env:B:-15006}", env)).contains("0.0.0.0:15006");
        assertThat(ProxyFastLine.resolve("${env:B}", env)).isEmpty();
        assertThatThrownBy(() -> ProxyFastLine.resolve("host:${env:B}", env))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$B");
        assertThat(ProxyFastLine.resolve("plain", env)).contains("plain");
        assertThatThrownBy(() -> ProxyFastLine.resolve("${env:EMPTY:-d}", env))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$EMPTY");
    }

    @Test
    void aLineThatDoesNotMakeAConfigurationGoesBackToPicocli() {
        // Read without picocli, but without an identity: nothing starts, and picocli reports it.
        ProxyCommand command = ProxyFastLine.parse(
                        new String[] {"proxy", "--no-capture", "--inbound-for", "1=127.0.0.1:1"}, name -> null)
                .orElseThrow();
        assertThat(command.runWithoutPicocli()).isEmpty();
    }

    private static List<Field> optionFields() {
        List<Field> fields = new ArrayList<>();
        for (Field field : ProxyCommand.class.getDeclaredFields()) {
            if (field.isAnnotationPresent(Option.class)) {
                field.setAccessible(true);
                fields.add(field);
            }
        }
        assertThat(fields.stream().map(Field::getName).collect(Collectors.toList()))
                .as("options of ProxyCommand")
                .hasSizeGreaterThan(20);
        return fields;
    }
}
