package dev.palisade.cli;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.palisade.injector.mutate.InjectionConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the shaded {@code palisade.jar} as a real process, the way the {@code ./palisade} launcher does. */
@Timeout(value = 120, unit = SECONDS)
class PalisadeJarIT {

    private static final Path JAR = Path.of(System.getProperty("palisade.jar", "target/palisade.jar"));
    private static final String VERSION = System.getProperty("palisade.expectedVersion", "");
    private static final long PROCESS_TIMEOUT_SECONDS = 60;

    @TempDir
    Path dir;

    @BeforeAll
    static void jarWasBuilt() {
        assertThat(JAR).as("the shaded jar (mvn package builds it)").isRegularFile();
    }

    @Test
    void versionReportsTheBuildAndExitsWithZero() throws Exception {
        Result result = run("version");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out())
                .startsWith("palisade " + VERSION)
                .containsPattern("(?m)^  java +\\S+")
                .containsPattern("(?m)^  epoll +")
                .containsPattern("(?m)^  boringssl +");
    }

    @Test
    void shadedJarLoadsTheLinuxX8664NativeLibraries() throws Exception {
        assumeThat(System.getProperty("os.name")).isEqualTo("Linux");
        assumeThat(System.getProperty("os.arch")).isIn("amd64", "x86_64");

        Result result = run("version");

        assertThat(result.out())
                .as(result.toString())
                .containsPattern("(?m)^  epoll +available$")
                .containsPattern("(?m)^  boringssl +available \\(BoringSSL\\)$");
    }

    @Test
    void helpListsTheCommandsAndExitsWithZero() throws Exception {
        Result result = run("--help");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out())
                .startsWith("Usage: palisade ")
                .containsPattern("(?m)^\\s+version\\s")
                .containsPattern("(?m)^\\s+certs\\s");
        assertThat(result.err()).isEmpty();
    }

    @Test
    void unknownFlagExitsWithTwoAndNamesTheFlag() throws Exception {
        Result result = run("version", "--no-such-flag");

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(2);
        assertThat(result.err()).startsWith("palisade version: Unknown option: '--no-such-flag'");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void aSidecarLineThatIsNotAConfigurationGetsPicocliUsageError() throws Exception {
        // Read without picocli first (ProxyFastLine), then handed back: the same message and exit code as before.
        Path missing = dir.resolve("no-bundle.pem");
        Result unreadable = run(sidecarLine(missing));
        assertThat(unreadable.exitCode()).as(unreadable.toString()).isEqualTo(2);
        assertThat(unreadable.err()).startsWith("palisade proxy: --ca-bundle: cannot read " + missing);
        assertThat(unreadable.out()).isEmpty();

        // A default's variable set but empty: picocli alone reads that line, and converts "" (an unset variable
        // would give cluster.local, and this line would start a sidecar).
        Result blank = run(Map.of("PALISADE_TRUST_DOMAIN", ""), List.of(), startableSidecarLine());
        assertThat(blank.exitCode()).as(blank.toString()).isEqualTo(2);
        assertThat(blank.err()).startsWith("palisade proxy: Invalid value for option '--trust-domain'");

        Result typo = run("proxy", "--namespac", "ns");
        assertThat(typo.exitCode()).as(typo.toString()).isEqualTo(2);
        assertThat(typo.err())
                .startsWith("palisade proxy: Unknown options: '--namespac', 'ns'")
                .contains("Possible solutions: --namespace");
    }

    @Test
    void aKeyExchangeGroupThatIsNotOneIsAUsageErrorNamingIt() throws Exception {
        List<String> line = new java.util.ArrayList<>(List.of(startableSidecarLine()));
        line.addAll(List.of("--tls-groups", "X25519,X448"));
        Result flag = run(line.toArray(String[]::new));
        assertThat(flag.exitCode()).as(flag.toString()).isEqualTo(2);
        assertThat(flag.err())
                .startsWith("palisade proxy: Invalid value for option '--tls-groups': entry 2 of 'X25519,X448',"
                        + " 'X448', is not a key-exchange group (expected one of X25519MLKEM768, X25519, P-256,");

        // The injector's way: the option's default from the environment, checked the same.
        Result env = run(Map.of("PALISADE_TLS_GROUPS", "P-256,P-256"), List.of(), startableSidecarLine());
        assertThat(env.exitCode()).as(env.toString()).isEqualTo(2);
        assertThat(env.err())
                .startsWith("palisade proxy: Invalid value for option '--tls-groups': entry 2 of 'P-256,P-256',"
                        + " 'P-256', is given twice");
    }

    @Test
    void aSidecarThatCannotStartReportsOneLineAndExitsWithOne() throws Exception {
        // Read and run without picocli: a start that fails is reported as FailureHandler reports it under picocli.
        Result result = run(startableSidecarLine());

        assertThat(result.exitCode()).as(result.toString()).isEqualTo(1);
        assertThat(result.err()).containsPattern("(?m)^palisade proxy: \\S");
        assertThat(result.out()).doesNotContain("ready in");
    }

    /** A line that makes a configuration, with a control plane that never answers and a one-second start budget. */
    private String[] startableSidecarLine() throws IOException {
        return sidecarLine(Files.writeString(dir.resolve("bundle.pem"), "not a bundle\n", StandardCharsets.UTF_8));
    }

    private String[] sidecarLine(Path caBundle) throws IOException {
        Path token = Files.writeString(dir.resolve("token"), "t0ken\n", StandardCharsets.UTF_8);
        return new String[] {
            "proxy",
            "--no-capture",
            "--inbound-for",
            "1=127.0.0.1:1",
            "--namespace",
            "ns",
            "--service-account",
            "sa",
            "--ca-bundle",
            caBundle.toString(),
            "--token-file",
            token.toString(),
            "--control-plane",
            "127.0.0.1:1",
            "--admin",
            "127.0.0.1:0",
            "--health",
            "127.0.0.1:0",
            "--startup-timeout",
            "1s"
        };
    }

    @Test
    void identityWalkthroughOfTheReadmeRunsAsRealProcesses() throws Exception {
        String ca = dir.resolve("ca").toString();
        String svid = dir.resolve("orders").toString();
        Result init = run("certs", "init-ca", "--trust-domain", "demo.local", "--out", ca);
        assertThat(init.exitCode()).as(init.toString()).isZero();
        Result issue = run(
                "certs",
                "issue",
                "--ca",
                ca,
                "--spiffe-id",
                "spiffe://demo.local/ns/shop/sa/orders",
                "--ttl",
                "24h",
                "--out",
                svid);
        assertThat(issue.exitCode()).as(issue.toString()).isZero();
        Result inspect = run("certs", "inspect", svid + "/svid.crt", "--bundle", ca + "/bundle.pem");
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out())
                .contains("spiffe://demo.local/ns/shop/sa/orders")
                .contains("verification OK");

        Result foreign = run("certs", "inspect", svid + "/svid.crt", "--bundle", svid + "/svid.crt");
        assertThat(foreign.exitCode()).as("a leaf is no bundle: " + foreign).isEqualTo(2);
    }

    @Test
    void nettysFlightRecorderEventsAreOffUnlessAskedFor() throws Exception {
        Path off = dir.resolve("classes-default.log");
        Result byDefault = run(List.of("-Xlog:class+load=info:file=" + off), "version");
        assertThat(byDefault.exitCode()).as(byDefault.toString()).isZero();
        String loaded = Files.readString(off, StandardCharsets.UTF_8);
        assertThat(loaded)
                .as("Netty was initialised, so its probe had its chance")
                .contains("io.netty.util.internal.PlatformDependent ");
        assertThat(loaded).doesNotContain("io.netty.buffer.AllocateBufferEvent ", "jdk.jfr.Category ");

        Path on = dir.resolve("classes-on.log");
        Result askedFor = run(List.of("-Dio.netty.jfr.enabled=true", "-Xlog:class+load=info:file=" + on), "version");
        assertThat(askedFor.exitCode()).as(askedFor.toString()).isZero();
        assertThat(Files.readString(on, StandardCharsets.UTF_8))
                .contains("io.netty.buffer.AllocateBufferEvent ", "jdk.jfr.Category ");
    }

    @Test
    void theInjectorsJvmOptionsAreAcceptedByThisJvm() throws Exception {
        // What an injected proxy container's environment holds: the java launcher reads the variable itself.
        String options = String.join(" ", InjectionConfig.DEFAULT_PROXY_JVM_OPTIONS);
        Result result = run(Map.of("JDK_JAVA_OPTIONS", options), List.of(), "version");

        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.err()).contains("Picked up JDK_JAVA_OPTIONS: " + options);
        assertThat(result.err()).doesNotContain("warning", "Unrecognized", "Error");
    }

    private Result run(String... args) throws IOException, InterruptedException {
        return run(Map.of(), List.of(), args);
    }

    private Result run(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        return run(Map.of(), jvmOptions, args);
    }

    private Result run(Map<String, String> env, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(PROCESS_TIMEOUT_SECONDS, SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " did not exit within " + PROCESS_TIMEOUT_SECONDS
                    + " s; stderr:\n" + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new Result(
                process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private record Result(int exitCode, String out, String err) {}
}
