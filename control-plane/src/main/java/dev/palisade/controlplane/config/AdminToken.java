package dev.palisade.controlplane.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The bearer token that guards the control plane's admin API ({@code /config}, {@code /api/...}): what a server
 * compares requests with and what a client ({@code palisade flows}) sends.
 *
 * <p>A token is 16 to 1024 printable ASCII characters without whitespace (0x21 to 0x7E), so it fits an HTTP header
 * unchanged and cannot be a short guessable word; one trailing newline ({@code \n} or {@code \r\n}, as {@code echo} and
 * {@code kubectl create secret --from-file} leave) is ignored. Sources: a file ({@code --admin-token-file},
 * {@code --token-file}) or the environment variable {@value #ENV} (the Helm chart sets it from a Secret); when both are
 * given, the file wins (see {@link #resolve}).
 *
 * <p>Neither {@link #toString()} nor any {@link AdminTokenException} message contains the token.
 */
public final class AdminToken {
    /** The environment variable the Helm chart fills from {@code controlPlane.ui.bearerTokenSecret}. */
    public static final String ENV = "PALISADE_UI_TOKEN";

    public static final int MIN_LENGTH = 16;
    public static final int MAX_LENGTH = 1024;

    /** The rule, as error messages state it. */
    public static final String RULE = "expected: " + MIN_LENGTH + " to " + MAX_LENGTH
            + " printable ASCII characters without whitespace; one trailing newline is ignored";

    private final String value;
    private final byte[] digest;
    private final String source;

    private AdminToken(String value, String source) {
        this.value = value;
        this.digest = sha256(value);
        this.source = source;
    }

    /**
     * Validates {@code text} as a token.
     *
     * @param source where it came from, for messages: {@code "--admin-token-file /etc/palisade/token"} or
     *     {@value #ENV}
     */
    public static AdminToken parse(String text, String source) throws AdminTokenException {
        requireNonNull(text, "text");
        requireNonNull(source, "source");
        String token = stripOneNewline(text);
        if (token.isEmpty()) {
            throw new AdminTokenException(source + ": the admin token is empty (" + RULE + ")");
        }
        if (token.length() < MIN_LENGTH) {
            throw new AdminTokenException(
                    source + ": the admin token is " + token.length() + " characters long (" + RULE + ")");
        }
        if (token.length() > MAX_LENGTH) {
            throw new AdminTokenException(
                    source + ": the admin token is longer than " + MAX_LENGTH + " characters (" + RULE + ")");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                // The position, never the character: it is part of a secret.
                throw new AdminTokenException(source + ": the admin token has whitespace, a control character or a"
                        + " non-ASCII character at position " + (i + 1) + " (" + RULE + ")");
            }
        }
        return new AdminToken(token, source);
    }

    /**
     * Reads and validates a token file.
     *
     * @param option the command-line option that named the file, for messages ({@code --admin-token-file})
     */
    public static AdminToken read(Path file, String option) throws AdminTokenException {
        String source = option + " " + file;
        try {
            if (!Files.isRegularFile(file)) {
                throw new AdminTokenException(source + ": not a readable file");
            }
            // A bound before reading: a wrong path (a log, a device) must not be read whole.
            if (Files.size(file) > MAX_LENGTH + 2) {
                throw new AdminTokenException(
                        source + ": the admin token is longer than " + MAX_LENGTH + " characters (" + RULE + ")");
            }
            byte[] bytes = Files.readAllBytes(file);
            // ISO-8859-1 maps every byte to one char, so a non-ASCII byte fails the printable-ASCII rule in parse
            // instead of being decoded into something that might pass.
            return parse(new String(bytes, StandardCharsets.ISO_8859_1), source);
        } catch (IOException e) {
            throw new AdminTokenException(
                    source + ": cannot read: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * The token a command uses: from {@code file} when given (then {@value #ENV} is not looked at), else from
     * {@value #ENV} when it is set (set but empty is an error, not "no token"), else none.
     *
     * @param option the option that names a file, for messages
     * @param env the process environment ({@code System.getenv()} in a command; a map in tests)
     */
    public static @Nullable AdminToken resolve(@Nullable Path file, String option, Map<String, String> env)
            throws AdminTokenException {
        if (file != null) {
            return read(file, option);
        }
        String fromEnv = env.get(ENV);
        return fromEnv == null ? null : parse(fromEnv, ENV);
    }

    /** Where the token came from: a file and its option, or {@value #ENV}. */
    public String source() {
        return source;
    }

    /** The {@code Authorization} header value a client sends. */
    public String authorizationHeader() {
        return "Bearer " + value;
    }

    /**
     * Whether {@code presented} is this token, in time that depends on neither where they differ nor how long
     * {@code presented} is: both are hashed with SHA-256 and the digests compared with {@link MessageDigest#isEqual}.
     */
    public boolean matches(String presented) {
        return MessageDigest.isEqual(sha256(presented), digest);
    }

    @Override
    public String toString() {
        return "AdminToken(from " + source + ")";
    }

    private static String stripOneNewline(String text) {
        if (text.endsWith("\r\n")) {
            return text.substring(0, text.length() - 2);
        }
        if (text.endsWith("\n")) {
            return text.substring(0, text.length() - 1);
        }
        return text;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
