package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.ControlPlane;
import dev.palisade.controlplane.config.AdminToken;
import dev.palisade.controlplane.config.LocalConfig;
import dev.palisade.controlplane.config.MeshConfig;
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

    private final CommandRunner cli = new CommandRunner();

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

    // ---- negative cases ---------------------------------------------------------------------------------------------

    @Test
    void withoutATokenFlowsFailsInOneLineNamingTheServerAndTheOption() {
        assertThat(cli.run("flows", "--server", server, "--summary")).isEqualTo(1);
        assertThat(cli.err())
                .isEqualTo("palisade flows: " + server + " requires the admin token (HTTP 401): pass it with"
                        + " --token-file FILE or $PALISADE_UI_TOKEN" + System.lineSeparator());
        assertThat(cli.out()).isEmpty();
    }

    @Test
    void aWrongTokenIsRefusedAndNamedBySourceNotValue() throws Exception {
        Path wrong = dir.resolve("wrong-token");
        Files.writeString(wrong, "wrong-token-value-0123456789", StandardCharsets.UTF_8);
        assertThat(cli.run("flows", "--server", server, "--token-file", wrong.toString()))
                .isEqualTo(1);
        assertThat(cli.err())
                .startsWith("palisade flows: " + server + " refused the admin token from --token-file " + wrong)
                .doesNotContain("wrong-token-value");
        assertThat(cli.run("flows", "verify", "--server", server, "--token-file", wrong.toString()))
                .isEqualTo(2);
        assertThat(cli.err()).contains("palisade flows verify: " + server + " refused the admin token");
    }

    @Test
    void anInvalidTokenFileIsBadInputThatNeverPrintsTheToken() throws Exception {
        Path shortFile = dir.resolve("short-token");
        Files.writeString(shortFile, "hunter2", StandardCharsets.UTF_8);
        assertThat(cli.run("flows", "--server", server, "--token-file", shortFile.toString()))
                .isEqualTo(2);
        assertThat(cli.err())
                .startsWith("palisade flows: --token-file " + shortFile + ": the admin token is 7 characters long")
                .contains(AdminToken.RULE)
                .doesNotContain("hunter2");
        assertThat(cli.run(
                        "flows",
                        "--server",
                        server,
                        "--token-file",
                        dir.resolve("absent").toString()))
                .isEqualTo(2);
        assertThat(cli.err()).contains("absent: not a readable file");
    }

    @Test
    void theTokenFileAppliesToServersOnly() {
        assertThat(cli.run("flows", "--store", dir.resolve("x.db").toString(), "--token-file", tokenFile.toString()))
                .isEqualTo(2);
        assertThat(cli.err()).contains("--token-file applies to --server only");
    }

    // ---- positive cases ---------------------------------------------------------------------------------------------

    @Test
    void withTheTokenFileFlowsAndVerifyRead() {
        assertThat(cli.run("flows", "--server", server, "--token-file", tokenFile.toString(), "-o", "json"))
                .as(cli.err())
                .isEqualTo(0);
        assertThat(cli.out()).contains("\"flows\"");
        assertThat(cli.run("flows", "--server", server, "--token-file", tokenFile.toString(), "--summary"))
                .as(cli.err())
                .isEqualTo(0);
        assertThat(cli.run("flows", "verify", "--server", server, "--token-file", tokenFile.toString()))
                .as(cli.err())
                .isEqualTo(0);
        assertThat(cli.err()).isEmpty();
    }
}
