package dev.palisade.injector.mutate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.tls.TlsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InjectionConfigTest {

    static Stream<Arguments> badSettings() {
        return Stream.<Arguments>of(
                bad("no image", b -> b.image(""), "image: ''"),
                bad("image with a space", b -> b.image("a b"), "image: 'a b'"),
                bad("pull policy", b -> b.imagePullPolicy("Sometimes"), "imagePullPolicy: Sometimes"),
                bad(
                        "control plane without port",
                        b -> b.controlPlaneAddress("cp.svc"),
                        "controlPlaneAddress: 'cp.svc'"),
                bad(
                        "control plane bad port",
                        b -> b.controlPlaneAddress("cp:99999"),
                        "controlPlaneAddress: 'cp:99999'"),
                bad("root proxy", b -> b.proxyUid(0), "proxyUid: 0"),
                bad("port 0", b -> b.inboundPort(0), "inboundPort: 0"),
                bad("same ports", b -> b.adminPort(15021), "four different ports"),
                bad("log level", b -> b.logLevel("chatty"), "logLevel: chatty"),
                bad(
                        "JVM option without a dash",
                        b -> b.proxyJvmOptions(List.of("Xmx48m")),
                        "proxyJvmOptions: 'Xmx48m'"),
                bad("empty JVM option", b -> b.proxyJvmOptions(List.of("")), "proxyJvmOptions: ''"),
                bad(
                        "JVM option with a space",
                        b -> b.proxyJvmOptions(List.of("-Dx=a b")),
                        "proxyJvmOptions: '-Dx=a b'"),
                bad("a jar to run", b -> b.proxyJvmOptions(List.of("-jar")), "proxyJvmOptions: '-jar'"),
                bad(
                        "a module to run",
                        b -> b.proxyJvmOptions(List.of("--module=x/y")),
                        "proxyJvmOptions: '--module=x/y' (expected: options of the JVM"),
                bad("version only", b -> b.proxyJvmOptions(List.of("-version")), "proxyJvmOptions: '-version'"),
                bad("full version", b -> b.proxyJvmOptions(List.of("-fullversion")), "proxyJvmOptions: '-fullversion'"),
                bad(
                        "an archive dump",
                        b -> b.proxyJvmOptions(List.of("-Xshare:dump")),
                        "proxyJvmOptions: '-Xshare:dump'"),
                bad(
                        "an unmatched quote",
                        b -> b.proxyJvmOptions(List.of("-Dx='a")),
                        "proxyJvmOptions: '-Dx='a' (expected: JVM options such as -Xmx48m, separated by spaces, with no"
                                + " quotes"),
                bad("a quoted jar", b -> b.proxyJvmOptions(List.of("-\"jar\"")), "proxyJvmOptions: '-\"jar\"'"),
                bad(
                        "an options file",
                        b -> b.proxyJvmOptions(List.of("-XX:VMOptionsFile=/tmp/x")),
                        "proxyJvmOptions: '-XX:VMOptionsFile=/tmp/x' (expected: the options themselves"),
                bad(
                        "a value in the next word",
                        b -> b.proxyJvmOptions(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED")),
                        "proxyJvmOptions: '--add-opens' (expected: its value in the same word, --add-opens=VALUE)"),
                bad("a class path", b -> b.proxyJvmOptions(List.of("-cp")), "proxyJvmOptions: '-cp'"),
                bad(
                        "the VM's internal version",
                        b -> b.proxyJvmOptions(List.of("-Xinternalversion")),
                        "proxyJvmOptions: '-Xinternalversion'"),
                bad(
                        "a kubelet variable",
                        b -> b.proxyJvmOptions(List.of("-Dx=$(SECRET)")),
                        "proxyJvmOptions: '-Dx=$(SECRET)'"),
                bad(
                        "a TLS group in lower case",
                        b -> b.proxyTlsGroups(List.of("x25519")),
                        "proxyTlsGroups: entry 1 of 'x25519', 'x25519', is not a key-exchange group"),
                bad(
                        "an empty TLS group",
                        b -> b.proxyTlsGroups(List.of("X25519", "", "P-256")),
                        "proxyTlsGroups: entry 2 of 'X25519,,P-256' is empty"),
                bad(
                        "a repeated TLS group",
                        b -> b.proxyTlsGroups(List.of("P-256", "X25519", "P-256")),
                        "proxyTlsGroups: entry 3 of 'P-256,X25519,P-256', 'P-256', is given twice"),
                bad("no TLS group", b -> b.proxyTlsGroups(List.of()), "proxyTlsGroups: entry 1 of '' is empty"),
                bad(
                        "two TLS groups in one entry",
                        b -> b.proxyTlsGroups(List.of("X25519,P-256")),
                        "proxyTlsGroups: [X25519,P-256] (expected: one group per entry"),
                bad(
                        "a TLS group with a space",
                        b -> b.proxyTlsGroups(List.of("X25519", "P-256 ")),
                        "proxyTlsGroups: [X25519, P-256 ] (expected: one group per entry"),
                bad("short token", b -> b.tokenExpirationSeconds(60), "tokenExpirationSeconds: 60"),
                bad("ready timeout", b -> b.proxyReadyTimeoutSeconds(0), "proxyReadyTimeoutSeconds: 0"));
    }

    private static Arguments bad(String name, UnaryOperator<InjectionConfig.Builder> change, String message) {
        return Arguments.of(name, change, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void refusesABadSetting(String name, UnaryOperator<InjectionConfig.Builder> change, String message) {
        InjectionConfig.Builder builder = InjectionConfig.builder().image("img:1");

        assertThatThrownBy(() -> change.apply(builder).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void refusesResourcesWhoseLimitIsBelowTheRequest() {
        assertThatThrownBy(() -> new ContainerResources("1", "1Gi", Optional.of("500m"), Optional.empty()))
                .hasMessage("cpuLimit: 500m (expected: >= the request 1)");
        assertThatThrownBy(() -> new ContainerResources("x", "1Gi", Optional.empty(), Optional.empty()))
                .hasMessageContaining("cpuRequest: 'x' is not a Kubernetes quantity");
    }

    @Test
    void jvmOptionsParseFromOneStringOrNone() {
        assertThat(InjectionConfig.parseJvmOptions("  -Xmx96m \t -XX:+UseSerialGC\n"))
                .containsExactly("-Xmx96m", "-XX:+UseSerialGC");
        assertThat(InjectionConfig.parseJvmOptions(" none ")).isEmpty();
        // The cluster's flag may set any JVM option that lets the proxy run; the record checks each one.
        assertThat(InjectionConfig.builder()
                        .image("img:1")
                        .proxyJvmOptions(
                                InjectionConfig.parseJvmOptions("-Xmx96m --add-opens=java.base/java.lang=ALL-UNNAMED"))
                        .build()
                        .proxyJvmOptions())
                .hasSize(2);
    }

    @Test
    void tlsGroupsParseFromOneCommaSeparatedString() {
        assertThat(InjectionConfig.parseTlsGroups(" X25519 , P-256")).containsExactly("X25519", "P-256");
        // A bad entry is named as the operator wrote the list.
        assertThatThrownBy(() -> InjectionConfig.parseTlsGroups(" X25519 , ,P-256"))
                .hasMessage("proxyTlsGroups: entry 2 of ' X25519 , ,P-256' is empty (expected: a comma-separated"
                        + " list of X25519MLKEM768, X25519, P-256, P-384, P-521)");
        assertThat(InjectionConfig.builder()
                        .image("img:1")
                        .proxyTlsGroups(InjectionConfig.parseTlsGroups("P-384,X25519MLKEM768,P-521"))
                        .build()
                        .proxyTlsGroups())
                .containsExactly("P-384", "X25519MLKEM768", "P-521");
    }

    @Test
    void aPodMaySetOnlySizesTheCollectorTheCompilerAndNettysArenas() {
        assertThat(InjectionConfig.parsePodJvmOptions(
                        "-Xms96m -Xmx96m -Xmn32m -Xss512k -XX:MaxDirectMemorySize=64m -XX:MaxMetaspaceSize=128m"
                                + " -XX:ReservedCodeCacheSize=48m -XX:MaxRAMPercentage=50.0 -XX:+UseG1GC"
                                + " -XX:TieredStopAtLevel=4 -XX:ActiveProcessorCount=2"
                                + " -Dio.netty.allocator.numDirectArenas=4"))
                .hasSize(12);
        assertThat(InjectionConfig.parsePodJvmOptions("none")).isEmpty();
        // Options that run code in the proxy, as its uncaptured user: a debugger, an agent, a shell command on error.
        for (String option : List.of(
                "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5005",
                "-javaagent:/tmp/agent.jar",
                "-XX:OnError=sh${IFS}-c${IFS}id",
                "-XX:OnOutOfMemoryError=id",
                "-XX:HeapDumpPath=/tmp/x",
                "-Dio.netty.allocator.numDirectArenas=4;x",
                "-Xmx96m-",
                "-XX:+UseEpsilonGC")) {
            assertThatThrownBy(() -> InjectionConfig.parsePodJvmOptions("-Xmx96m " + option))
                    .as(option)
                    .hasMessageStartingWith("'" + option + "' ")
                    .hasMessageContaining("only through the injector's --proxy-jvm-options");
        }
        assertThatThrownBy(() -> InjectionConfig.parsePodJvmOptions("-version"))
                .hasMessageStartingWith("'-version' (expected: options of the JVM that runs the proxy");
    }

    @Test
    void theDefaultJvmOptionsAreTheOnesPerfRunMeasures() throws Exception {
        String script = Files.readString(Path.of("../perf/run")); // surefire runs in injector/
        Matcher line =
                Pattern.compile("(?m)^sidecar_opts_default=\"([^\"]*)\"$").matcher(script);
        assertThat(line.find()).as("perf/run declares sidecar_opts_default").isTrue();

        assertThat(List.of(line.group(1).split(" "))).isEqualTo(InjectionConfig.DEFAULT_PROXY_JVM_OPTIONS);
    }

    @Test
    void theReadmesShowTheDefaultJvmOptions() throws Exception {
        String expected = String.join(" ", InjectionConfig.DEFAULT_PROXY_JVM_OPTIONS);

        String injector = Files.readString(Path.of("README.md"));
        Matcher block = Pattern.compile("flags `perf/run` measures.*?```\\n(.*?)```", Pattern.DOTALL)
                .matcher(injector);
        assertThat(block.find())
                .as("injector/README.md shows the default options in a code block")
                .isTrue();
        assertThat(block.group(1).strip().replaceAll("\\s+", " ")).isEqualTo(expected);

        String perf = Files.readString(Path.of("../perf/README.md"));
        Matcher quoted = Pattern.compile("Default \\(`PERF_SIDECAR_OPTS` replaces it\\):\\s*`([^`]*)`")
                .matcher(perf);
        assertThat(quoted.find())
                .as("perf/README.md quotes the default sidecar flags")
                .isTrue();
        assertThat(quoted.group(1).strip().replaceAll("\\s+", " ")).isEqualTo(expected);
    }

    @Test
    void defaultsAreTheDesignsPorts() {
        InjectionConfig config = InjectionConfig.builder().image("img:1").build();

        assertThat(config.toBuilder().build()).isEqualTo(config);
        assertThat(config.inboundPort()).isEqualTo(15006);
        assertThat(config.outboundPort()).isEqualTo(15001);
        assertThat(config.adminPort()).isEqualTo(15000);
        assertThat(config.healthPort()).isEqualTo(15021);
        assertThat(config.proxyUid()).isEqualTo(1337);
        assertThat(config.proxyJvmOptions())
                .isEqualTo(InjectionConfig.DEFAULT_PROXY_JVM_OPTIONS)
                .contains("-Xmx48m");
        assertThat(config.proxyTlsGroups()).isEqualTo(TlsOptions.DEFAULT_GROUPS);
        assertThat(config.systemNamespaces())
                .containsExactly("kube-system", "kube-public", "kube-node-lease", "palisade-system");
    }
}
