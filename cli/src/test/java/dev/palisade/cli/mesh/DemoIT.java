package dev.palisade.cli.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.cli.demo.NetnsTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's "must show": {@code palisade demo} is the end-to-end test. The shaded jar runs the whole demo as a process
 * — control plane, three apps and three sidecars as processes of their own, the scripted scenario — and the test reads
 * its {@code --report}: every step ok (decisions, statuses, identities), traffic during the rotation, and the mode it
 * ran in. Loopback always; network namespaces when the machine allows (root), which also checks that the run left
 * no namespace behind.
 */
class DemoIT {
    private static final Path JAR =
            Path.of(System.getProperty("palisade.jar", "target/palisade.jar")).toAbsolutePath();
    private static final long DEMO_TIMEOUT_SECONDS = 240;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void loopbackModePassesEveryStep() throws Exception {
        JsonNode report = runDemo("loopback");

        assertThat(report.path("facts").path("mode").asText()).isEqualTo("loopback");
        assertEveryStepOk(report);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void netnsModePassesEveryStepAndRemovesItsNamespaces() throws Exception {
        assumeFalse("1".equals(System.getenv("PALISADE_SKIP_NETNS")), "PALISADE_SKIP_NETNS=1");
        assumeTrue(
                NetnsTopology.unavailable().isEmpty(), () -> "netns mode unavailable: " + NetnsTopology.unavailable());
        // The sidecars run as uid 1337 and must reach the run's directory.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));

        JsonNode report = runDemo("netns");

        assertThat(report.path("facts").path("mode").asText()).isEqualTo("netns");
        assertEveryStepOk(report);
        List<String> created = new ArrayList<>();
        report.path("facts").path("namespaces").forEach(ns -> created.add(ns.asText()));
        assertThat(created).as("the demo's namespaces").hasSize(4);
        assertThat(namespaces()).as("network namespaces after the demo").doesNotContainAnyElementsOf(created);
    }

    private static void assertEveryStepOk(JsonNode report) {
        List<String> failed = new ArrayList<>();
        report.path("steps").forEach(step -> {
            if (!step.path("ok").asBoolean()) {
                failed.add(step.toString());
            }
        });
        assertThat(failed).as("failed steps").isEmpty();
        assertThat(report.path("steps").size()).as("steps").isGreaterThanOrEqualTo(12);
        assertThat(report.path("ok").asBoolean()).isTrue();
        assertThat(report.path("facts").path("trafficDuringRotation").asInt())
                .as("requests sent during the rotation and the policy edit")
                .isPositive();
    }

    private JsonNode runDemo(String mode) throws Exception {
        assertThat(JAR).as("the shaded jar (mvn package builds it)").isRegularFile();
        Path reportFile = dir.resolve(mode + "-report.json");
        Path output = dir.resolve(mode + "-output.txt");
        Process demo = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        JAR.toString(),
                        "demo",
                        "--mode",
                        mode,
                        "--report",
                        reportFile.toString(),
                        "--dir",
                        dir.resolve(mode).toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        boolean ended = demo.waitFor(DEMO_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!ended) {
            // SIGTERM first: the demo's shutdown hook stops its children and deletes its namespaces.
            demo.destroy();
            if (!demo.waitFor(30, TimeUnit.SECONDS)) {
                demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        String text = Files.readString(output);
        assertThat(ended)
                .as("the demo ended within %d s:%n%s", DEMO_TIMEOUT_SECONDS, text)
                .isTrue();
        assertThat(reportFile).as("the report; the demo's output:%n%s", text).isRegularFile();
        JsonNode report = JSON.readTree(reportFile.toFile());
        assertThat(demo.exitValue())
                .as("exit code; output:%n%s", text)
                .isEqualTo(report.path("ok").asBoolean() ? 0 : 1);
        return report;
    }

    private static List<String> namespaces() throws Exception {
        Process list = new ProcessBuilder("ip", "netns", "list")
                .redirectErrorStream(true)
                .start();
        String text = new String(list.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(list.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return text.lines().map(l -> l.split(" ")[0]).toList();
    }
}
