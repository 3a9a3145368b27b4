package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code palisade inject}'s JVM options and TLS groups for the proxy: the flags, their defaults, and bad values.
 */
class InjectCommandTest {
    private static final String DEPLOYMENT =
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]
            """;

    @TempDir
    Path dir;

    private Path manifest;
    private final CommandRunner palisade = new CommandRunner("inject", "--quiet");

    @BeforeEach
    void writeManifest() throws Exception {
        manifest = Files.writeString(dir.resolve("web.yaml"), DEPLOYMENT);
    }

    @Test
    void aBadJvmOptionIsRefusedByName() {
        assertThat(palisade.run("-f", manifest.toString(), "--proxy-jvm-options", "-Xmx64m Xss256k"))
                .isEqualTo(2);
        assertThat(palisade.err()).contains("invalid injection setting: proxyJvmOptions: 'Xss256k'");
        assertThat(palisade.out()).isEmpty();
    }

    @Test
    void theSidecarFlagsAreTheDefaultAlsoForAnEmptyValue() {
        assertThat(palisade.run("-f", manifest.toString(), "--proxy-jvm-options", " "))
                .as(palisade.err())
                .isZero();
        assertThat(palisade.out())
                .containsPattern(
                        "name: \"?JDK_JAVA_OPTIONS\"?\\s+value: \"?-Xms48m -Xmx48m -Xmn16m -XX:\\+UseSerialGC");
    }

    @Test
    void theFlagReplacesThemAndNoneDropsThem() {
        assertThat(palisade.run("-f", manifest.toString(), "--proxy-jvm-options", " -Xmx96m  -XX:+UseSerialGC "))
                .as(palisade.err())
                .isZero();
        assertThat(palisade.out()).containsPattern("value: \"?-Xmx96m -XX:\\+UseSerialGC\"?\\n");
        palisade.reset();

        assertThat(palisade.run("-f", manifest.toString(), "--proxy-jvm-options", "none"))
                .as(palisade.err())
                .isZero();
        assertThat(palisade.out()).contains("palisade-proxy").doesNotContain("JDK_JAVA_OPTIONS");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "x25519        | entry 1 of 'x25519', 'x25519', is not a key-exchange group",
                "X25519,,P-256 | entry 2 of 'X25519,,P-256' is empty",
                "P-256,P-256   | entry 2 of 'P-256,P-256', 'P-256', is given twice"
            })
    void aBadTlsGroupIsRefusedByName(String groups, String problem) {
        assertThat(palisade.run("-f", manifest.toString(), "--proxy-tls-groups", groups))
                .isEqualTo(2);
        assertThat(palisade.err()).contains("invalid injection setting: proxyTlsGroups: " + problem);
        assertThat(palisade.out()).isEmpty();
    }

    @Test
    void chosenTlsGroupsReachTheProxyAndTheDefaultLeavesThemOut() {
        assertThat(palisade.run("-f", manifest.toString(), "--proxy-tls-groups", "X25519, P-256"))
                .as(palisade.err())
                .isZero();
        assertThat(palisade.out()).containsPattern("name: \"?PALISADE_TLS_GROUPS\"?\\s+value: \"?X25519,P-256\"?\\n");
        palisade.reset();

        for (String defaulted : new String[] {" ", "X25519MLKEM768,X25519,P-256"}) {
            assertThat(palisade.run("-f", manifest.toString(), "--proxy-tls-groups", defaulted))
                    .as(palisade.err())
                    .isZero();
            assertThat(palisade.out()).contains("palisade-proxy").doesNotContain("PALISADE_TLS_GROUPS");
            palisade.reset();
        }
        assertThat(palisade.run("-f", manifest.toString())).as(palisade.err()).isZero();
        assertThat(palisade.out()).contains("palisade-proxy").doesNotContain("PALISADE_TLS_GROUPS");
    }
}
