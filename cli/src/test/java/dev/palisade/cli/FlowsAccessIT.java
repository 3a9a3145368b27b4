package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.ControlPlane;
import dev.palisade.controlplane.config.AdminToken;
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code palisade flows}, {@code flows verify} and {@code authz replay} against a real local-mode control plane on
 * 127.0.0.1 that requires an admin token: without it and with a wrong one they fail in one line that names the server
 * and what to pass; with {@code --token-file} they read. The environment must not hold {@value AdminToken#ENV}
 * (the build's does not).
 */
@Timeout(60)
class FlowsAccessIT {
    static final String TOKEN = "flows-access-it-token-0123456789";

    @TempDir
    static Path dir;

    static ControlPlane cp;
    static String server;
    static Path tokenFile;

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    @BeforeAll
    static void start() throws Exception {
        assertThat(System.getenv(AdminToken.ENV))
                .as("this test needs " + AdminToken.ENV + " unset")
                .isNull();
        tokenFile = dir.resolve("admin-token");
        Files.writeString(tokenFile, TOKEN + "\n", StandardCharsets.UTF_8);
        Files.createDirectories(dir.resolve("policies"));
        LocalConfig config = LocalConfig.defaults(
                        dir.resolve("cp"), MeshConfig.defaults(TrustDomain.parse("demo.local")))
                .withPolicies(dir.resolve("policies"))
                .withAddresses(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0))
                .withAdminToken(AdminToken.read(tokenFile, "--admin-token-file"));
        cp = ControlPlane.startLocal(config, Clock.systemUTC());
        server = "http://127.0.0.1:" + cp.adminAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (cp != null) {
            cp.close();
        }
    }

    int run(String... args) {
        CommandLine cl = Palisade.newCommandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    // ---- negative cases ---------------------------------------------------------------------------------------------

    @Test
    void withoutATokenFlowsFailsInOneLineNamingTheServerAndTheOption() {
        assertThat(run("flows", "--server", server, "--summary")).isEqualTo(1);
        assertThat(err.toString())
                .isEqualTo("palisade flows: " + server + " requires the admin token (HTTP 401): pass it with"
                        + " --token-file FILE or $PALISADE_UI_TOKEN" + System.lineSeparator());
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aWrongTokenIsRefusedAndNamedBySourceNotValue() throws Exception {
        Path wrong = dir.resolve("wrong-token");
        Files.writeString(wrong, "wrong-token-value-0123456789", StandardCharsets.UTF_8);
        assertThat(run("flows", "--server", server, "--token-file", wrong.toString()))
                .isEqualTo(1);
        assertThat(err.toString())
                .startsWith("palisade flows: " + server + " refused the admin token from --token-file " + wrong)
                .doesNotContain("wrong-token-value");
        assertThat(run("flows", "verify", "--server", server, "--token-file", wrong.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("palisade flows verify: " + server + " refused the admin token");
    }

    @Test
    void anInvalidTokenFileIsBadInputThatNeverPrintsTheToken() throws Exception {
        Path shortFile = dir.resolve("short-token");
        Files.writeString(shortFile, "hunter2", StandardCharsets.UTF_8);
        assertThat(run("flows", "--server", server, "--token-file", shortFile.toString()))
                .isEqualTo(2);
        assertThat(err.toString())
                .startsWith("palisade flows: --token-file " + shortFile + ": the admin token is 7 characters long")
                .contains(AdminToken.RULE)
                .doesNotContain("hunter2");
        assertThat(run(
                        "flows",
                        "--server",
                        server,
                        "--token-file",
                        dir.resolve("absent").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("absent: not a readable file");
    }

    @Test
    void theTokenFileAppliesToServersOnly() {
        assertThat(run("flows", "--store", dir.resolve("x.db").toString(), "--token-file", tokenFile.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--token-file applies to --server only");
    }

    // ---- positive cases ---------------------------------------------------------------------------------------------

    @Test
    void withTheTokenFileFlowsAndVerifyRead() {
        assertThat(run("flows", "--server", server, "--token-file", tokenFile.toString(), "-o", "json"))
                .as(err.toString())
                .isEqualTo(0);
        assertThat(out.toString()).contains("\"flows\"");
        assertThat(run("flows", "--server", server, "--token-file", tokenFile.toString(), "--summary"))
                .as(err.toString())
                .isEqualTo(0);
        assertThat(run("flows", "verify", "--server", server, "--token-file", tokenFile.toString()))
                .as(err.toString())
                .isEqualTo(0);
        assertThat(err.toString()).isEmpty();
    }
}
