package dev.palisade.controlplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AdminTokenTest {
    static final String GOOD = "0123456789abcdef";

    @TempDir
    Path dir;

    // ---- negative cases ---------------------------------------------------------------------------------------------

    static Stream<Arguments> invalidTokens() {
        return Stream.of(
                Arguments.of("", "is empty"),
                Arguments.of("\n", "is empty"),
                Arguments.of("\r\n", "is empty"),
                Arguments.of("short-token-789", "is 15 characters long"),
                Arguments.of(
                        "0123456789 abcdef", "whitespace, a control character or a non-ASCII character at position 11"),
                Arguments.of("0123456789abcdef\n\n", "at position 17"),
                Arguments.of("\t0123456789abcdef", "at position 1"),
                Arguments.of("0123456789abcdef ", "at position 17"),
                Arguments.of("0123456789abcd\u00e9f", "at position 15"),
                Arguments.of("0123456789abcdef\u0000", "at position 17"));
    }

    @ParameterizedTest
    @MethodSource("invalidTokens")
    void invalidTokensNameTheSourceAndTheRuleButNotTheToken(String text, String problem) {
        assertThatThrownBy(() -> AdminToken.parse(text, AdminToken.ENV))
                .isInstanceOf(AdminTokenException.class)
                .hasMessageStartingWith(AdminToken.ENV + ": ")
                .hasMessageContaining(problem)
                .hasMessageContaining(AdminToken.RULE)
                .satisfies(e -> {
                    if (!text.isBlank()) {
                        assertThat(e.getMessage()).doesNotContain(text.strip());
                    }
                });
    }

    @Test
    void aTooLongTokenIsRefused() {
        assertThatThrownBy(() -> AdminToken.parse("x".repeat(AdminToken.MAX_LENGTH + 1), "t"))
                .hasMessageContaining("longer than 1024");
        Path big = dir.resolve("big");
        write(big, "y".repeat(5000));
        assertThatThrownBy(() -> AdminToken.read(big, "--admin-token-file"))
                .hasMessageStartingWith("--admin-token-file " + big + ": ")
                .hasMessageContaining("longer than 1024")
                .hasMessageNotContaining("yyyy");
    }

    @Test
    void fileErrorsNameTheOptionAndThePath() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> AdminToken.read(missing, "--token-file"))
                .isInstanceOf(AdminTokenException.class)
                .hasMessage("--token-file " + missing + ": not a readable file");
        assertThatThrownBy(() -> AdminToken.read(dir, "--token-file")).hasMessageContaining("not a readable file");
        Path shortFile = dir.resolve("short");
        write(shortFile, "hunter2\n");
        assertThatThrownBy(() -> AdminToken.read(shortFile, "--admin-token-file"))
                .hasMessageStartingWith("--admin-token-file " + shortFile + ": the admin token is 7 characters long")
                .hasMessageNotContaining("hunter2");
        Path latin1 = dir.resolve("latin1");
        try {
            Files.write(latin1, "0123456789abcdef\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        assertThatThrownBy(() -> AdminToken.read(latin1, "--admin-token-file")).hasMessageContaining("position 17");
    }

    @Test
    void anEmptyEnvironmentVariableIsAnErrorNotNoToken() {
        assertThatThrownBy(() -> AdminToken.resolve(null, "--admin-token-file", Map.of(AdminToken.ENV, "")))
                .hasMessageStartingWith(AdminToken.ENV + ": the admin token is empty");
    }

    @Test
    void theFileWinsOverTheEnvironmentEvenWhenTheVariableIsInvalid() throws Exception {
        Path file = dir.resolve("token");
        write(file, GOOD + "\n");
        AdminToken token = AdminToken.resolve(file, "--admin-token-file", Map.of(AdminToken.ENV, "bad"));
        assertThat(token).isNotNull();
        assertThat(token.source()).isEqualTo("--admin-token-file " + file);
        assertThat(token.matches(GOOD)).isTrue();
    }

    // ---- positive cases ---------------------------------------------------------------------------------------------

    @Test
    void oneTrailingNewlineIsIgnored() throws Exception {
        assertThat(AdminToken.parse(GOOD + "\n", "t").matches(GOOD)).isTrue();
        assertThat(AdminToken.parse(GOOD + "\r\n", "t").matches(GOOD)).isTrue();
        assertThat(AdminToken.parse(GOOD, "t").authorizationHeader()).isEqualTo("Bearer " + GOOD);
    }

    @Test
    void everyPrintableAsciiCharacterIsAllowed() throws Exception {
        StringBuilder all = new StringBuilder();
        for (char c = 0x21; c <= 0x7e; c++) {
            all.append(c);
        }
        AdminToken token = AdminToken.parse(all.toString(), "t");
        assertThat(token.matches(all.toString())).isTrue();
        assertThat(token.matches(all.substring(1))).isFalse();
    }

    @Test
    void theEnvironmentIsUsedWithoutAFileAndNothingWithoutEither() throws Exception {
        AdminToken token = AdminToken.resolve(null, "--admin-token-file", Map.of(AdminToken.ENV, GOOD + "\n"));
        assertThat(token).isNotNull();
        assertThat(token.source()).isEqualTo(AdminToken.ENV);
        assertThat(AdminToken.resolve(null, "--admin-token-file", Map.of())).isNull();
    }

    @Test
    void toStringNamesTheSourceOnly() throws Exception {
        assertThat(AdminToken.parse(GOOD, AdminToken.ENV).toString())
                .isEqualTo("AdminToken(from PALISADE_UI_TOKEN)")
                .doesNotContain(GOOD);
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
