package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.RejectReason.BACKSLASH;
import static dev.palisade.proxy.authz.RejectReason.CONTROL_CHARACTER;
import static dev.palisade.proxy.authz.RejectReason.ENCODED_BACKSLASH;
import static dev.palisade.proxy.authz.RejectReason.ENCODED_SLASH;
import static dev.palisade.proxy.authz.RejectReason.FRAGMENT;
import static dev.palisade.proxy.authz.RejectReason.INVALID_CHARACTER;
import static dev.palisade.proxy.authz.RejectReason.INVALID_ENCODING;
import static dev.palisade.proxy.authz.RejectReason.NOT_ORIGIN_FORM;
import static dev.palisade.proxy.authz.RejectReason.OVERLONG_UTF8;
import static dev.palisade.proxy.authz.RejectReason.PATH_PARAMETER;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PathNormalizerTest {

    private static final PathNormalizer STRICT = new PathNormalizer(NormalizationOptions.defaults());
    private static final PathNormalizer DECODE_AND_MERGE =
            new PathNormalizer(new NormalizationOptions(EscapedSlashAction.DECODE, true));
    private static final PathNormalizer DECODE_KEEP_SLASHES =
            new PathNormalizer(new NormalizationOptions(EscapedSlashAction.DECODE, false));
    private static final PathNormalizer REJECT_KEEP_SLASHES =
            new PathNormalizer(new NormalizationOptions(EscapedSlashAction.REJECT, false));

    /** The bypass corpus, part 1: targets the default normaliser must reject, and why. */
    static Stream<Arguments> rejectedTargets() {
        return Stream.of(
                // Not origin-form: the caller handles "*" (OPTIONS) and absolute-form.
                rejected("", NOT_ORIGIN_FORM),
                rejected("*", NOT_ORIGIN_FORM),
                rejected("admin", NOT_ORIGIN_FORM),
                rejected("?/admin", NOT_ORIGIN_FORM),
                rejected("http://example.com/admin", NOT_ORIGIN_FORM),
                // Fragments (Istio CVE-2021-39156, CVE-2020-8595).
                rejected("/admin#", FRAGMENT),
                rejected("/admin#x", FRAGMENT),
                rejected("/public#/../admin", FRAGMENT),
                rejected("/a?x=1#frag", FRAGMENT),
                // Encoded slashes and backslashes, both hex cases (Istio CVE-2021-31920).
                rejected("/public%2F..%2Fadmin", ENCODED_SLASH),
                rejected("/public%2f..%2fadmin", ENCODED_SLASH),
                rejected("/admin%2F", ENCODED_SLASH),
                rejected("/public/..%2Fadmin", ENCODED_SLASH),
                rejected("/public%5C..%5Cadmin", ENCODED_BACKSLASH),
                rejected("/public%5c..%5cadmin", ENCODED_BACKSLASH),
                // Raw backslash.
                rejected("/public\\..\\admin", BACKSLASH),
                rejected("/admin\\", BACKSLASH),
                // Path parameters, raw and encoded ("..;/" is ".." to Tomcat).
                rejected("/public/..;/admin", PATH_PARAMETER),
                rejected("/admin;jsessionid=ABC123", PATH_PARAMETER),
                rejected("/admin;", PATH_PARAMETER),
                rejected("/public/..%3B/admin", PATH_PARAMETER),
                rejected("/public/..%3b/admin", PATH_PARAMETER),
                // NUL and control characters, raw and encoded (Envoy CVE-2019-9900).
                rejected("/admin\0", CONTROL_CHARACTER),
                rejected("/admin\0.png", CONTROL_CHARACTER),
                rejected("/admin%00", CONTROL_CHARACTER),
                rejected("/admin%00.png", CONTROL_CHARACTER),
                rejected("/admin%0d%0aX-Injected:%201", CONTROL_CHARACTER),
                rejected("/admin%0A", CONTROL_CHARACTER),
                rejected("/admin%09", CONTROL_CHARACTER),
                rejected("/admin%7f", CONTROL_CHARACTER),
                rejected("/admin\r\nX-Injected: 1", CONTROL_CHARACTER),
                rejected("/admin\t", CONTROL_CHARACTER),
                rejected("/admin\u007f", CONTROL_CHARACTER),
                rejected("/a?b\r\nX-Injected: 1", CONTROL_CHARACTER),
                // Bytes that have no place in a request-target.
                rejected("/admin x", INVALID_CHARACTER),
                rejected("/caf\u00e9", INVALID_CHARACTER),
                rejected("/\u00c0\u00ae\u00c0\u00ae/admin", INVALID_CHARACTER),
                rejected("/a\"b", INVALID_CHARACTER),
                rejected("/a<b>", INVALID_CHARACTER),
                rejected("/a{b}", INVALID_CHARACTER),
                rejected("/a|b", INVALID_CHARACTER),
                rejected("/a^b", INVALID_CHARACTER),
                rejected("/a`b", INVALID_CHARACTER),
                rejected("/a[0]", INVALID_CHARACTER),
                rejected("/a?b c", INVALID_CHARACTER),
                rejected("/a?caf\u00e9", INVALID_CHARACTER),
                // Invalid percent-encoding.
                rejected("/admin%", INVALID_ENCODING),
                rejected("/admin%2", INVALID_ENCODING),
                rejected("/admin%zz", INVALID_ENCODING),
                rejected("/admin%g0", INVALID_ENCODING),
                rejected("/%u002e%u002e/admin", INVALID_ENCODING),
                rejected("/%%32%65", INVALID_ENCODING),
                // Overlong UTF-8 (IIS CVE-2000-0884).
                rejected("/public/%c0%ae%c0%ae/admin", OVERLONG_UTF8),
                rejected("/public/%C0%AE%C0%AE/admin", OVERLONG_UTF8),
                rejected("/public%c0%afadmin", OVERLONG_UTF8),
                rejected("/public%c1%9cadmin", OVERLONG_UTF8),
                rejected("/public/%e0%80%ae%e0%80%ae/admin", OVERLONG_UTF8),
                rejected("/public%e0%80%afadmin", OVERLONG_UTF8),
                rejected("/public/%f0%80%80%ae%f0%80%80%ae/admin", OVERLONG_UTF8),
                rejected("/public/%f8%80%80%80%ae/admin", OVERLONG_UTF8),
                rejected("/public/%fc%80%80%80%80%ae/admin", OVERLONG_UTF8),
                rejected("/%C0", OVERLONG_UTF8));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @MethodSource("rejectedTargets")
    void rejectsAmbiguousTargets(String raw, RejectReason reason) {
        PathResult result = STRICT.normalize(raw);

        assertThat(result).isInstanceOf(Rejection.class);
        assertThat(((Rejection) result).reason()).isEqualTo(reason);
    }

    /** The bypass corpus, part 2: targets the default normaliser accepts, and what it forwards. */
    static Stream<Arguments> acceptedTargets() {
        return Stream.of(
                // Dot segments, raw and encoded (Envoy CVE-2019-9901).
                accepted("/public/../admin", "/admin"),
                accepted("/public/%2e%2e/admin", "/admin"),
                accepted("/public/%2E%2E/admin", "/admin"),
                accepted("/public/.%2e/admin", "/admin"),
                accepted("/public/%2e./admin", "/admin"),
                accepted("/public/%2E%2e/admin", "/admin"),
                accepted("/public/./admin", "/public/admin"),
                accepted("/public/%2e/admin", "/public/admin"),
                accepted("/a/./b/../c", "/a/c"),
                accepted("/a/b/..", "/a/"),
                accepted("/a/b/.", "/a/b/"),
                accepted("/a/b/%2e%2e", "/a/"),
                accepted("/a/...", "/a/..."),
                accepted("/a/..b/.c", "/a/..b/.c"),
                // Never above the root: ".." at the root is clamped, as RFC 3986 and Envoy do.
                accepted("/../../etc/passwd", "/etc/passwd"),
                accepted("/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd"),
                accepted("/..", "/"),
                accepted("/.", "/"),
                accepted("/a/../../..", "/"),
                // Repeated slashes merged; a trailing slash kept.
                accepted("//admin", "/admin"),
                accepted("///admin", "/admin"),
                accepted("/public//admin", "/public/admin"),
                accepted("/admin//", "/admin/"),
                accepted("//", "/"),
                accepted("/a//../b", "/a/b"),
                accepted("/admin/", "/admin/"),
                accepted("/", "/"),
                // Unreserved characters decoded exactly once; everything else stays encoded, upper-case.
                accepted("/%61dmin", "/admin"),
                accepted("/%41%42%43", "/ABC"),
                accepted("/%7e/%7Euser", "/~/~user"),
                accepted("/a%2db%5fc%2ed", "/a-b_c.d"),
                accepted("/%252e%252e/admin", "/%252e%252e/admin"),
                accepted("/public/%252e%252e/admin", "/public/%252e%252e/admin"),
                accepted("/public%252fadmin", "/public%252fadmin"),
                accepted("/public%255cadmin", "/public%255cadmin"),
                accepted("/a%3ab", "/a%3Ab"),
                accepted("/a%3Fb", "/a%3Fb"),
                accepted("/a%23b", "/a%23b"),
                accepted("/a%20b", "/a%20b"),
                accepted("/a%2bb", "/a%2Bb"),
                accepted("/caf%c3%a9", "/caf%C3%A9"),
                accepted("/caf%e9", "/caf%E9"),
                accepted("/%e0%a4%b9", "/%E0%A4%B9"),
                accepted("/%f0%9f%98%80", "/%F0%9F%98%80"),
                // Sub-delimiters, ':' and '@' are path characters.
                accepted("/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,="),
                // The query is split at the first '?' and kept verbatim.
                accepted("/admin?", "/admin", ""),
                accepted("/admin?x=1", "/admin", "x=1"),
                accepted("/public?/../admin", "/public", "/../admin"),
                accepted("/public?x=/../%2F%00;\\", "/public", "x=/../%2F%00;\\"),
                accepted("/a/../b?c?d", "/b", "c?d"),
                accepted("/%2e%2e?%2e%2e", "/", "%2e%2e"));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1} ? {2}")
    @MethodSource("acceptedTargets")
    void normalisesTargets(String raw, String path, @Nullable String query) {
        assertThat(STRICT.normalize(raw)).isEqualTo(new NormalizedPath(path, query));
    }

    @Test
    void corpusHasAtLeastSixtyTargets() {
        assertThat(corpus()).hasSizeGreaterThanOrEqualTo(60);
    }

    static Stream<Arguments> escapedSlashOptions() {
        return Stream.of(
                Arguments.of(DECODE_AND_MERGE, "/public%2F..%2Fadmin", "/admin"),
                Arguments.of(DECODE_AND_MERGE, "/public%5c..%5cadmin", "/admin"),
                Arguments.of(DECODE_AND_MERGE, "/a%2Fb", "/a/b"),
                Arguments.of(DECODE_AND_MERGE, "/a%2f%2F%5c%5Cb", "/a/b"),
                Arguments.of(DECODE_AND_MERGE, "%2Fa", null),
                Arguments.of(DECODE_AND_MERGE, "/%2e%2e%2f%2e%2e%2fetc/passwd", "/etc/passwd"),
                Arguments.of(DECODE_AND_MERGE, "/a%252Fb", "/a%252Fb"),
                Arguments.of(DECODE_KEEP_SLASHES, "/a%2F%2Fb", "/a//b"),
                Arguments.of(DECODE_KEEP_SLASHES, "/a%5Cb", "/a/b"),
                Arguments.of(REJECT_KEEP_SLASHES, "/a//b", "/a//b"),
                Arguments.of(REJECT_KEEP_SLASHES, "//", "//"),
                Arguments.of(REJECT_KEEP_SLASHES, "/a//../b", "/a/b"),
                Arguments.of(REJECT_KEEP_SLASHES, "/a/b//..", "/a/b/"),
                Arguments.of(REJECT_KEEP_SLASHES, "/a%2Fb", null));
    }

    @ParameterizedTest(name = "[{index}] {0}: {1} -> {2}")
    @MethodSource("escapedSlashOptions")
    void appliesEscapedSlashAndMergeOptions(PathNormalizer normalizer, String raw, @Nullable String expected) {
        PathResult result = normalizer.normalize(raw);

        if (expected == null) {
            assertThat(result).isInstanceOf(Rejection.class);
        } else {
            assertThat(result).isEqualTo(new NormalizedPath(expected, null));
        }
    }

    @Test
    void keepsEncodedNonAsciiButRejectsItRaw() {
        assertThat(STRICT.normalize("/%C3%A9")).isEqualTo(new NormalizedPath("/%C3%A9", null));
        assertThat(STRICT.normalize("/\u00c3\u00a9")).isInstanceOf(Rejection.class);
    }

    @Test
    void escapesClientBytesInRejectionDetail() {
        Rejection rejection = (Rejection) STRICT.normalize("/admin\r\nX-Injected: \u00e9\\");

        assertThat(rejection.reason()).isEqualTo(CONTROL_CHARACTER);
        assertThat(rejection.detail()).isEqualTo("at index 6 of /admin\\x0D\\x0AX-Injected: \\xE9\\\\");
    }

    @Test
    void truncatesLongRejectionDetail() {
        Rejection rejection = (Rejection) STRICT.normalize("/a#" + "x".repeat(10_000));

        assertThat(rejection.detail()).hasSize(Rejection.MAX_DETAIL_LENGTH + 3).endsWith("...");
    }

    @Test
    void buildsRequestTargetFromPathAndQuery() {
        assertThat(((NormalizedPath) STRICT.normalize("/a/../b?x=1")).requestTarget())
                .isEqualTo("/b?x=1");
        assertThat(((NormalizedPath) STRICT.normalize("/b?")).requestTarget()).isEqualTo("/b?");
        assertThat(((NormalizedPath) STRICT.normalize("/b")).requestTarget()).isEqualTo("/b");
    }

    static Stream<PathNormalizer> allOptions() {
        return Stream.of(STRICT, DECODE_AND_MERGE, DECODE_KEEP_SLASHES, REJECT_KEEP_SLASHES);
    }

    @ParameterizedTest
    @MethodSource("allOptions")
    void normalisationOfCorpusIsIdempotentAndClean(PathNormalizer normalizer) {
        int accepted = 0;
        for (String raw : corpus()) {
            accepted += checkIdempotentAndClean(normalizer, raw);
        }
        assertThat(accepted).isGreaterThan(40);
    }

    @ParameterizedTest
    @MethodSource("allOptions")
    void normalisationOfRandomPathsIsIdempotentAndClean(PathNormalizer normalizer) {
        String[] alphabet = {
            "/", "/", "/", ".", ".", "..", "%", "%", "2", "e", "E", "f", "F", "5", "c", "C", "0", "a", "b", "3", "B",
            "%2e", "%2E", "%2f", "%2F", "%5c", "%25", "%41", "%7e", "%3a", "%c0", "%ae", "%e0", "%80", ";", "\\", "?",
            "#", "~", "-", "_", ":", "@", "+", " ", "\0", "\u00e9"
        };
        SplittableRandom random = new SplittableRandom(0x5EED_2026L);
        int accepted = 0;
        for (int i = 0; i < 5_000; i++) {
            StringBuilder raw = new StringBuilder("/");
            int tokens = random.nextInt(24);
            for (int t = 0; t < tokens; t++) {
                raw.append(alphabet[random.nextInt(alphabet.length)]);
            }
            accepted += checkIdempotentAndClean(normalizer, raw.toString());
        }
        // The alphabet is hostile on purpose; enough paths must survive for the property to mean something.
        assertThat(accepted).isGreaterThan(500);
    }

    /** Asserts the output properties of one accepted target; returns 1 if it was accepted, else 0. */
    private static int checkIdempotentAndClean(PathNormalizer normalizer, String raw) {
        PathResult result = normalizer.normalize(raw);
        if (!(result instanceof NormalizedPath normalized)) {
            return 0;
        }
        String path = normalized.path();
        assertThat(normalizer.normalize(path))
                .as("re-normalising %s (from %s)", path, raw)
                .isEqualTo(new NormalizedPath(path, null));
        assertThat(normalizer.normalize(normalized.requestTarget()))
                .as("re-normalising target of %s", raw)
                .isEqualTo(normalized);
        assertThat(path)
                .as("normalised %s", raw)
                .startsWith("/")
                .doesNotContain("/../", "/./", ";", "\\", "#", "?")
                .doesNotEndWith("/..")
                .doesNotEndWith("/.");
        assertThat(path.toUpperCase(Locale.ROOT)).doesNotContain("%2F", "%5C", "%3B", "%2E", "%00");
        if (normalizer.options().mergeSlashes()) {
            assertThat(path).doesNotContain("//");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            assertThat(c).isBetween('!', '~');
            if (c == '%') {
                assertThat(path.substring(i + 1, i + 3)).matches("[0-9A-F]{2}");
            }
        }
        return 1;
    }

    private static List<String> corpus() {
        List<String> targets = new ArrayList<>();
        Stream.concat(rejectedTargets(), acceptedTargets())
                .forEach(args ->
                        targets.add(((Named<?>) args.get()[0]).getPayload().toString()));
        return targets;
    }

    private static Arguments rejected(String raw, RejectReason reason) {
        return Arguments.of(named(raw), reason);
    }

    private static Arguments accepted(String raw, String path) {
        return Arguments.of(named(raw), path, null);
    }

    private static Arguments accepted(String raw, String path, String query) {
        return Arguments.of(named(raw), path, query);
    }

    private static Named<String> named(String raw) {
        return Named.of(TestStrings.escape(raw), raw);
    }
}
