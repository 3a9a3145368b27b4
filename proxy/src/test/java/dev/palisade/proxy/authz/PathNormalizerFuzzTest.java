package dev.palisade.proxy.authz;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Jazzer fuzz tests of request normalisation (issue 4). {@code mvn verify} replays the committed
 * seed corpus ({@code src/test/resources/dev/palisade/proxy/authz/PathNormalizerFuzzTestInputs/<method>/},
 * one raw input per file) as regression tests; {@code JAZZER_FUZZ=1} fuzzes one method for {@code
 * maxDuration} (proxy/README.md, "Fuzzing").
 *
 * <p>Each input is read twice: as bytes off the wire (ISO-8859-1, one char per byte, what the
 * data path passes) and as UTF-8, which reaches chars above 0xFF that no wire decoder produces but
 * that a caller could still pass. Whatever the input, nothing may throw, every accepted result
 * must already be in its one canonical form (normalising it again changes nothing), and every
 * rejection must be safe to log.
 *
 * <p>As in {@link AuthzEngineFuzzTest}, the test class's own members mention no normaliser type,
 * so that JUnit does not load those classes before Jazzer's agent is installed (Jazzer 0.24.0
 * re-instruments such classes into bytecode that fails at run time); {@link Checks} holds them.
 */
class PathNormalizerFuzzTest {

    /**
     * The input is a raw request-target. Under every option combination: no exception; an accepted
     * path re-normalises to itself (and the forwarded target to the same result); it starts with
     * {@code /} and holds only RFC 3986 path characters and upper-case escapes of bytes that are
     * not unreserved, so no {@code .} or {@code ..} segment, {@code %2F}, {@code %5C}, {@code ;},
     * {@code \}, control character, {@code ?} or {@code #}; with merged slashes no {@code //}. The
     * query holds no control character, space or non-ASCII byte.
     */
    @FuzzTest(maxDuration = "60s")
    void normalisedPathsAreCanonical(byte[] input) {
        Checks.paths(input);
    }

    /**
     * The input is a small HTTP/1.1-shaped request head, split leniently so that every input is a
     * request: {@code METHOD SP TARGET [SP SCHEME]} on the first line (scheme {@code http} when
     * absent), then one header field per line as {@code name:value}, and a line {@code
     * :authority:value} for the HTTP/2 {@code :authority}. No exception; an accepted request has an
     * upper-case method, a canonical path (or {@code *}), a canonical lower-case authority, lower-case
     * token header names without {@code host}, trimmed values without NUL, CR or LF; and feeding it
     * back (its forwarded target, its authority as Host, its headers) yields the same request.
     */
    @FuzzTest(maxDuration = "60s")
    void normalisedRequestsAreCanonical(byte[] input) {
        Checks.requests(input);
    }

    /** The normalisers and the checks; loaded on first use (see the class comment). */
    private static final class Checks {

        private static final List<PathNormalizer> PATH_NORMALIZERS = List.of(
                new PathNormalizer(NormalizationOptions.defaults()),
                new PathNormalizer(new NormalizationOptions(EscapedSlashAction.REJECT, false)),
                new PathNormalizer(new NormalizationOptions(EscapedSlashAction.DECODE, true)),
                new PathNormalizer(new NormalizationOptions(EscapedSlashAction.DECODE, false)));

        private static final List<RequestNormalizer> REQUEST_NORMALIZERS =
                PATH_NORMALIZERS.stream().map(RequestNormalizer::new).toList();

        private static final String HEX = "0123456789ABCDEF";

        private static final List<String> FORBIDDEN_IN_PATHS = List.of("/../", "/./", ";", "\\", "?", "#");

        private Checks() {}

        static void paths(byte[] input) {
            for (String target : decodings(input)) {
                for (PathNormalizer normalizer : PATH_NORMALIZERS) {
                    PathResult result = normalizer.normalize(target);
                    if (result instanceof NormalizedPath normalized) {
                        checkCanonicalPath(normalized.path(), normalizer.options(), target);
                        checkQuery(normalized.query(), target);
                        checkEqual(
                                normalizer.normalize(normalized.path()),
                                new NormalizedPath(normalized.path(), null),
                                "re-normalising the path",
                                target);
                        checkEqual(
                                normalizer.normalize(normalized.requestTarget()),
                                normalized,
                                "re-normalising the forwarded target",
                                target);
                    } else {
                        checkSafeToLog((Rejection) result);
                    }
                }
            }
        }

        static void requests(byte[] input) {
            for (String text : decodings(input)) {
                RawRequest raw = RawRequest.parse(text);
                for (int n = 0; n < REQUEST_NORMALIZERS.size(); n++) {
                    RequestNormalizer normalizer = REQUEST_NORMALIZERS.get(n);
                    RequestResult result =
                            normalizer.normalize(raw.scheme, raw.method, raw.target, raw.authority, raw.headers);
                    if (result instanceof NormalizedRequest normalized) {
                        checkCanonicalRequest(
                                normalizer, PATH_NORMALIZERS.get(n).options(), raw, normalized);
                    } else {
                        checkSafeToLog((Rejection) result);
                    }
                }
            }
        }

        private static List<String> decodings(byte[] input) {
            String wire = new String(input, ISO_8859_1);
            String utf8 = new String(input, UTF_8);
            return wire.equals(utf8) ? List.of(wire) : List.of(wire, utf8);
        }

        private static void checkCanonicalRequest(
                RequestNormalizer normalizer, NormalizationOptions options, RawRequest raw, NormalizedRequest request) {
            String scheme = raw.scheme.toLowerCase(Locale.ROOT);
            String method = request.method();
            if (method.isEmpty() || !method.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
                throw failure("method " + method, raw);
            }
            if (request.path().equals("*")) {
                if (!(method.equals("OPTIONS") && request.query() == null)) {
                    throw failure("* without OPTIONS", raw);
                }
            } else {
                checkCanonicalPath(request.path(), options, raw.target);
                checkQuery(request.query(), raw.target);
            }
            String authority = request.authority();
            if (!(authority.equals(authority.toLowerCase(Locale.ROOT))
                    && authority.equals(RequestNormalizer.normalizeAuthority(authority, scheme)))) {
                throw failure("authority " + authority + " is not canonical", raw);
            }
            request.headers().forEach((name, values) -> {
                if (name.equals("host") || !isLowerCaseToken(name)) {
                    throw failure("header name " + name, raw);
                }
                if (values.isEmpty()) {
                    throw failure("no values for " + name, raw);
                }
                for (String value : values) {
                    if (!(value.indexOf('\0') < 0
                            && value.indexOf('\r') < 0
                            && value.indexOf('\n') < 0
                            && value.equals(trimmed(value)))) {
                        throw failure("header value " + value + " of " + name, raw);
                    }
                }
            });

            List<Map.Entry<String, String>> again = new ArrayList<>();
            again.add(Map.entry("Host", authority));
            request.headers().forEach((name, values) -> values.forEach(value -> again.add(Map.entry(name, value))));
            RequestResult renormalized = normalizer.normalize(scheme, method, request.requestTarget(), null, again);
            if (!request.equals(renormalized)) {
                assertThat(renormalized).as("re-normalising %s", raw).isEqualTo(request);
            }
        }

        /** {@code value} without leading and trailing spaces and tabs. */
        private static String trimmed(String value) {
            int start = 0;
            int end = value.length();
            while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
                start++;
            }
            while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) {
                end--;
            }
            return value.substring(start, end);
        }

        private static void checkCanonicalPath(String path, NormalizationOptions options, String target) {
            if (!path.startsWith("/")) {
                throw failure("path " + path + " does not start with /", target);
            }
            for (int i = 0; i < path.length(); i++) {
                char c = path.charAt(i);
                if (c == '%') {
                    int high = i + 1 < path.length() ? HEX.indexOf(path.charAt(i + 1)) : -1;
                    int low = i + 2 < path.length() ? HEX.indexOf(path.charAt(i + 2)) : -1;
                    if (!(high >= 0 && low >= 0)) {
                        throw failure("no upper-case escape at " + i + " of " + path, target);
                    }
                    int b = high << 4 | low;
                    // Anything decodable (unreserved), a control char, a slash, a backslash or ; must be gone.
                    if (!(b >= 0x20 && b != 0x7F && b != '/' && b != '\\' && b != ';' && !isUnreserved(b))) {
                        throw failure(
                                "escape %" + HEX.charAt(high) + HEX.charAt(low) + " at " + i + " of " + path, target);
                    }
                    if (b == 0xC0 || b == 0xC1) {
                        throw failure("overlong UTF-8 lead at " + i + " of " + path, target);
                    }
                    i += 2;
                } else if (!isPathChar(c)) {
                    throw failure("char " + (int) c + " at " + i + " of " + path, target);
                }
            }
            for (String forbidden : FORBIDDEN_IN_PATHS) {
                if (path.contains(forbidden)) {
                    throw failure("path " + path + " contains " + forbidden, target);
                }
            }
            for (String segment : path.substring(1).split("/", -1)) {
                if (segment.equals(".") || segment.equals("..")) {
                    throw failure("dot segment in " + path, target);
                }
            }
            if (options.mergeSlashes() && path.contains("//")) {
                throw failure("// in " + path + " with merged slashes", target);
            }
        }

        private static void checkQuery(@Nullable String query, String target) {
            if (query == null) {
                return;
            }
            for (int i = 0; i < query.length(); i++) {
                char c = query.charAt(i);
                if (!(c > 0x20 && c < 0x7F && c != '#')) {
                    throw failure("char " + (int) c + " at " + i + " of the query", target);
                }
            }
        }

        private static void checkSafeToLog(Rejection rejection) {
            String detail = rejection.detail();
            // The cut comes at the first char boundary at or past the limit, so the last escape (at most
            // six chars, as in \uFFFD) may straddle it; then "..." marks the cut.
            if (detail.length() > Rejection.MAX_DETAIL_LENGTH - 1 + 6 + 3) {
                throw failure("rejection detail of " + detail.length() + " chars", detail);
            }
            for (int i = 0; i < detail.length(); i++) {
                char c = detail.charAt(i);
                if (!(c >= 0x20 && c < 0x7F)) {
                    throw failure("char " + (int) c + " at " + i + " of a rejection detail", detail);
                }
            }
        }

        private static <T> void checkEqual(T actual, T expected, String what, String target) {
            if (!actual.equals(expected)) {
                assertThat(actual)
                        .as("%s of %s", what, TestStrings.escape(target))
                        .isEqualTo(expected);
            }
        }

        /**
         * The failure to throw; checks are written {@code if (!ok) throw failure(...)} so that the
         * message is built only on failure and fuzzing runs fast.
         */
        private static AssertionError failure(String what, Object input) {
            return new AssertionError(
                    what + ", from " + (input instanceof String s ? TestStrings.escape(s) : String.valueOf(input)));
        }

        private static boolean isLowerCaseToken(String name) {
            if (name.isEmpty()) {
                return false;
            }
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)) {
                    return false;
                }
            }
            return true;
        }

        private static boolean isPathChar(char c) {
            return (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,=:@/".indexOf(c) >= 0;
        }

        private static boolean isUnreserved(int b) {
            return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || "-._~".indexOf(b) >= 0;
        }
    }

    /** A request head split leniently from fuzzer text; every text is one (see {@link #normalisedRequestsAreCanonical}). */
    private static final class RawRequest {
        private static final String AUTHORITY_LINE = ":authority:";

        final String method;
        final String target;
        final String scheme;
        final @Nullable String authority;
        final List<Map.Entry<String, String>> headers;

        private RawRequest(
                String method,
                String target,
                String scheme,
                @Nullable String authority,
                List<Map.Entry<String, String>> headers) {
            this.method = method;
            this.target = target;
            this.scheme = scheme;
            this.authority = authority;
            this.headers = headers;
        }

        static RawRequest parse(String text) {
            String[] lines = text.split("\n", -1);
            String requestLine = stripCr(lines[0]);
            int firstSpace = requestLine.indexOf(' ');
            String method = firstSpace < 0 ? requestLine : requestLine.substring(0, firstSpace);
            String rest = firstSpace < 0 ? "" : requestLine.substring(firstSpace + 1);
            int lastSpace = rest.lastIndexOf(' ');
            String target = lastSpace < 0 ? rest : rest.substring(0, lastSpace);
            String scheme = lastSpace < 0 ? "http" : rest.substring(lastSpace + 1);
            String authority = null;
            List<Map.Entry<String, String>> headers = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                String line = stripCr(lines[i]);
                if (line.isEmpty()) {
                    continue;
                }
                if (line.startsWith(AUTHORITY_LINE)) {
                    authority = line.substring(AUTHORITY_LINE.length()).trim();
                    continue;
                }
                int colon = line.indexOf(':');
                headers.add(
                        colon < 0
                                ? Map.entry(line, "")
                                : Map.entry(line.substring(0, colon), line.substring(colon + 1)));
            }
            return new RawRequest(method, target, scheme, authority, headers);
        }

        private static String stripCr(String line) {
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        }

        @Override
        public String toString() {
            return TestStrings.escape(
                    method + " " + target + " " + scheme + " :authority=" + authority + " " + headers);
        }
    }
}
