package dev.palisade.controlplane.policy;

import static dev.palisade.controlplane.policy.TestYaml.authz;
import static dev.palisade.controlplane.policy.TestYaml.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void failsWithTheErrorsOfEveryFileAndNoSet() throws IOException {
        write("a.yaml", authz("action: allow"));
        write("sub/b.yml", authz("{}").replace("name: p", "name: q") + "---\n- not an object\n");
        write("c.yaml", authz("{}").replace("name: p", "name: good"));

        assertThatThrownBy(() -> new PolicyDirectory(dir).load())
                .isInstanceOfSatisfying(PolicyLoadException.class, e -> {
                    assertThat(e.errors())
                            .map(Throwable::getMessage)
                            .containsExactly(
                                    dir.resolve("a.yaml") + ": document 1 (AuthorizationPolicy shop/p): spec.action:"
                                            + " 'allow': unknown action (expected ALLOW, DENY or AUDIT, in upper case)",
                                    dir.resolve("sub/b.yml") + ": document 2: a document must be a mapping (an object"
                                            + " with apiVersion, kind, metadata and spec), got a list");
                    assertThat(e.getMessage()).startsWith("policy directory " + dir + ": 2 problems");
                });
    }

    @Test
    void refusesTheSameObjectInTwoFilesNamingBoth() throws IOException {
        write("a.yaml", authz("{}"));
        write("b.yaml", authz("action: DENY"));

        assertThatThrownBy(() -> new PolicyDirectory(dir).load())
                .isInstanceOfSatisfying(PolicyLoadException.class, e -> assertThat(e.errors())
                        .map(Throwable::getMessage)
                        .containsExactly(dir.resolve("b.yaml") + ": document 1 (AuthorizationPolicy shop/p):"
                                + " metadata.name: duplicate AuthorizationPolicy shop/p: already defined in "
                                + dir.resolve("a.yaml") + " document 1"));
    }

    @Test
    void allowsTheSameNameForDifferentKinds() throws IOException, PolicyLoadException {
        write("a.yaml", authz("{}"));
        write("b.yaml", object("security.palisade.dev/v1", "PeerAuthentication", "shop", "p", "mtls: {mode: STRICT}"));

        PolicySet set = new PolicyDirectory(dir).load();

        assertThat(set.authorizationPolicies()).hasSize(1);
        assertThat(set.peerAuthentications()).hasSize(1);
    }

    @Test
    void refusesAFileThatIsNotUtf8() throws IOException {
        Files.write(dir.resolve("latin1.yaml"), new byte[] {'a', ':', ' ', (byte) 0xe9, '\n'});

        assertThatThrownBy(() -> new PolicyDirectory(dir).load())
                .hasMessageContaining(dir.resolve("latin1.yaml") + ": not valid UTF-8");
    }

    @Test
    void refusesAMissingDirectory() {
        Path missing = dir.resolve("missing");

        assertThatThrownBy(() -> new PolicyDirectory(missing).load())
                .hasMessageContaining(missing + ": does not exist");
    }

    @Test
    void loadsEveryYamlFileUnderTheDirectory() throws IOException, PolicyLoadException {
        write("a.yaml", authz("{}").replace("name: p", "name: a"));
        write("nested/deeper/b.yml", authz("{}").replace("name: p", "name: b"));
        write("c.YAML", authz("{}").replace("name: p", "name: c"));

        PolicySet set = new PolicyDirectory(dir).load();

        assertThat(set.authorizationPolicies())
                .extracting(AuthorizationPolicy::name)
                .containsExactly("a", "b", "c");
    }

    @Test
    void ignoresHiddenEntriesAndOtherFilesLikeAConfigMapMount() throws IOException, PolicyLoadException {
        // Kubernetes mounts a ConfigMap as ..<timestamp>/ files, a ..data link to it, and visible links.
        write("..2026_01_01_00_00_00.1/policy.yaml", authz("{}"));
        Files.createSymbolicLink(dir.resolve("..data"), dir.resolve("..2026_01_01_00_00_00.1"));
        Files.createSymbolicLink(dir.resolve("policy.yaml"), dir.resolve("..data/policy.yaml"));
        write(".policy.yaml.swp", "garbage: [");
        write("notes.txt", "garbage: [");
        write(".hidden/x.yaml", "garbage: [");

        PolicySet set = new PolicyDirectory(dir).load();

        assertThat(set.authorizationPolicies())
                .containsExactly(AuthorizationPolicy.builder("shop", "p").build());
    }

    @Test
    void loadsAnEmptyDirectoryAsAnEmptySet() throws PolicyLoadException {
        PolicySet set = new PolicyDirectory(dir).load();

        assertThat(set.objects()).isEmpty();
        assertThat(set.version()).hasSize(16);
    }

    @Test
    void versionChangesWithContentAndOnlyWithIt() throws IOException, PolicyLoadException {
        write("a.yaml", authz("{}"));
        PolicyDirectory directory = new PolicyDirectory(dir);
        String first = directory.load().version();

        assertThat(directory.load().version()).isEqualTo(first);

        write("a.yaml", authz("{}") + "# a comment\n");
        String second = directory.load().version();
        assertThat(second).isNotEqualTo(first).hasSize(16).matches("[0-9a-f]+");

        Files.move(dir.resolve("a.yaml"), dir.resolve("b.yaml"));
        assertThat(directory.load().version()).isNotEqualTo(second);
    }

    private void write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
