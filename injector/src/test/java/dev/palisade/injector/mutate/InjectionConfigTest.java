package dev.palisade.injector.mutate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
                        "a kubelet variable",
                        b -> b.proxyJvmOptions(List.of("-Dx=$(SECRET)")),
                        "proxyJvmOptions: '-Dx=$(SECRET)'"),
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
        assertThatThrownBy(() -> InjectionConfig.parseJvmOptions("-Xmx96m -jar x.jar"))
                .hasMessageStartingWith("proxyJvmOptions: '-jar'");
        assertThatThrownBy(() -> InjectionConfig.parseJvmOptions("")).hasMessageStartingWith("proxyJvmOptions: ''");
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
        assertThat(config.systemNamespaces())
                .containsExactly("kube-system", "kube-public", "kube-node-lease", "palisade-system");
    }
}
