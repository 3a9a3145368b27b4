package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.RejectReason.AUTHORITY_MISMATCH;
import static dev.palisade.proxy.authz.RejectReason.CONTROL_CHARACTER;
import static dev.palisade.proxy.authz.RejectReason.DUPLICATE_HOST;
import static dev.palisade.proxy.authz.RejectReason.ENCODED_SLASH;
import static dev.palisade.proxy.authz.RejectReason.FRAGMENT;
import static dev.palisade.proxy.authz.RejectReason.INVALID_AUTHORITY;
import static dev.palisade.proxy.authz.RejectReason.INVALID_HEADER_NAME;
import static dev.palisade.proxy.authz.RejectReason.INVALID_HEADER_VALUE;
import static dev.palisade.proxy.authz.RejectReason.INVALID_METHOD;
import static dev.palisade.proxy.authz.RejectReason.INVALID_SCHEME;
import static dev.palisade.proxy.authz.RejectReason.MISSING_AUTHORITY;
import static dev.palisade.proxy.authz.RejectReason.NOT_ORIGIN_FORM;
import static dev.palisade.proxy.authz.RejectReason.PATH_PARAMETER;
import static dev.palisade.proxy.authz.RejectReason.SCHEME_MISMATCH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RequestNormalizerTest {

    private static final RequestNormalizer NORMALIZER = RequestNormalizer.withDefaults();

    /** Requests the normaliser must answer with 400, and why. */
    static Stream<Arguments> rejectedRequests() {
        return Stream.of(
                // Methods: upper-case ASCII letters only.
                rejected(http1("get", "/"), INVALID_METHOD),
                rejected(http1("Get", "/"), INVALID_METHOD),
                rejected(http1("gET", "/"), INVALID_METHOD),
                rejected(http1("GET ", "/"), INVALID_METHOD),
                rejected(http1(" GET", "/"), INVALID_METHOD),
                rejected(http1("", "/"), INVALID_METHOD),
                rejected(http1("G3T", "/"), INVALID_METHOD),
                rejected(http1("M-SEARCH", "/"), INVALID_METHOD),
                rejected(http1("GET\0", "/"), INVALID_METHOD),
                rejected(http1("G\u00c9T", "/"), INVALID_METHOD),
                // Scheme.
                rejected(http1("GET", "/").scheme("ftp"), INVALID_SCHEME),
                rejected(http1("GET", "/").scheme(""), INVALID_SCHEME),
                // Request-target forms.
                rejected(http1("GET", "*"), NOT_ORIGIN_FORM),
                rejected(http1("GET", ""), NOT_ORIGIN_FORM),
                rejected(http1("CONNECT", "example.com:443"), NOT_ORIGIN_FORM),
                rejected(http1("GET", "ftp://example.com/"), NOT_ORIGIN_FORM),
                rejected(http1("GET", "http:/example.com/"), NOT_ORIGIN_FORM),
                rejected(http1("GET", "https://example.com/").noHost(), SCHEME_MISMATCH),
                // Path rules apply to absolute-form too.
                rejected(http1("GET", "http://example.com/a%2Fb").noHost(), ENCODED_SLASH),
                rejected(http1("GET", "http://example.com/admin#x").noHost(), FRAGMENT),
                rejected(http1("GET", "http://example.com#x").noHost(), FRAGMENT),
                rejected(http1("GET", "http://example.com/public/..;/admin").noHost(), PATH_PARAMETER),
                rejected(http1("GET", "/admin%00"), CONTROL_CHARACTER),
                // Absolute-form must agree with Host.
                rejected(http1("GET", "http://evil.example/admin").host("example.com"), AUTHORITY_MISMATCH),
                rejected(http1("GET", "http://example.com:8080/").host("example.com"), AUTHORITY_MISMATCH),
                rejected(http1("GET", "http://user@example.com/").host("example.com"), INVALID_AUTHORITY),
                rejected(http1("GET", "http://example.com\\@evil.example/").noHost(), INVALID_AUTHORITY),
                rejected(http1("GET", "http:///admin").host("example.com"), INVALID_AUTHORITY),
                // Host: exactly one, well formed.
                rejected(http1("GET", "/").header("Host", "example.com"), DUPLICATE_HOST),
                rejected(http1("GET", "/").header("host", "evil.example"), DUPLICATE_HOST),
                rejected(http1("GET", "/").header("HOST", "example.com."), DUPLICATE_HOST),
                rejected(http1("GET", "/").noHost(), MISSING_AUTHORITY),
                rejected(http1("GET", "/").host(""), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("   "), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("."), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("example.com.."), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host(".example.com"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("example..com"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("user@example.com"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("user:pass@example.com"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("exa mple.com"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("exa%6dple.com"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("example.com/admin"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("ex\u00e4mple.com"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host(":8080"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("example.com:0"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("example.com:65536"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("example.com:000080"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("example.com:8o"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("example.com:80:80"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("[::1"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("[::1]x"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("[fe80::1%25eth0]"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("[v1.x]"), INVALID_AUTHORITY),
                rejected(http1("GET", "/").host("a".repeat(64) + ".example"), INVALID_AUTHORITY),
                // HTTP/2: :authority and Host must agree.
                rejected(h2("GET", "/", "example.com").header("host", "evil.example"), AUTHORITY_MISMATCH),
                rejected(h2("GET", "/", "example.com:8443").header("host", "example.com"), AUTHORITY_MISMATCH),
                rejected(h2("GET", "/", ""), INVALID_AUTHORITY),
                rejected(
                        h2("GET", "/", "example.com")
                                .header("host", "example.com")
                                .header("host", "example.com"),
                        DUPLICATE_HOST),
                // Header names and values.
                rejected(http1("GET", "/").header("X-Tenant", "acme\r\nX-Admin: 1"), INVALID_HEADER_VALUE),
                rejected(http1("GET", "/").header("X-Tenant", "acme\n"), INVALID_HEADER_VALUE),
                rejected(http1("GET", "/").header("X-Tenant", "ac\rme"), INVALID_HEADER_VALUE),
                rejected(http1("GET", "/").header("X-Tenant", "acme\0"), INVALID_HEADER_VALUE),
                rejected(http1("GET", "/").header("X-Tenant", "\u4e2d"), INVALID_HEADER_VALUE),
                rejected(http1("GET", "/").host("example.com\r\nX-Admin: 1"), INVALID_HEADER_VALUE),
                rejected(http1("GET", "/").header("X Tenant", "acme"), INVALID_HEADER_NAME),
                rejected(http1("GET", "/").header("Host ", "evil.example"), INVALID_HEADER_NAME),
                rejected(http1("GET", "/").header("", "acme"), INVALID_HEADER_NAME),
                rejected(http1("GET", "/").header(":path", "/admin"), INVALID_HEADER_NAME),
                rejected(http1("GET", "/").header("x-t\u00e9nant", "acme"), INVALID_HEADER_NAME));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @MethodSource("rejectedRequests")
    void rejectsAmbiguousRequests(Input input, RejectReason reason) {
        RequestResult result = input.normalize();

        assertThat(result).isInstanceOf(Rejection.class);
        assertThat(((Rejection) result).reason()).isEqualTo(reason);
    }

    /** Requests the normaliser accepts, and the method, target and authority it hands on. */
    static Stream<Arguments> acceptedRequests() {
        return Stream.of(
                // Methods are taken as they are; override headers never change them.
                accepted(http1("GET", "/"), "GET", "/", "example.com"),
                accepted(http1("PROPFIND", "/dav/"), "PROPFIND", "/dav/", "example.com"),
                accepted(http1("POST", "/").header("X-HTTP-Method-Override", "DELETE"), "POST", "/", "example.com"),
                accepted(http1("POST", "/").header("X-HTTP-Method", "DELETE"), "POST", "/", "example.com"),
                accepted(http1("POST", "/").header("X-Method-Override", "DELETE"), "POST", "/", "example.com"),
                accepted(http1("OPTIONS", "*"), "OPTIONS", "*", "example.com"),
                // Paths go through PathNormalizer.
                accepted(http1("GET", "/public/../admin"), "GET", "/admin", "example.com"),
                accepted(http1("GET", "/../../etc/passwd"), "GET", "/etc/passwd", "example.com"),
                accepted(http1("GET", "//admin?x=/../y"), "GET", "/admin?x=/../y", "example.com"),
                accepted(http1("GET", "//example.com/").host("other.example"), "GET", "/example.com/", "other.example"),
                // Authority normalisation: case, trailing dot, default port, empty port.
                accepted(http1("GET", "/").host("EXAMPLE.com"), "GET", "/", "example.com"),
                accepted(http1("GET", "/").host("example.com."), "GET", "/", "example.com"),
                accepted(http1("GET", "/").host("Example.COM.:80"), "GET", "/", "example.com"),
                accepted(http1("GET", "/").host("example.com:80"), "GET", "/", "example.com"),
                accepted(http1("GET", "/").host("example.com:0080"), "GET", "/", "example.com"),
                accepted(http1("GET", "/").host("example.com:"), "GET", "/", "example.com"),
                accepted(http1("GET", "/").host("example.com:443"), "GET", "/", "example.com:443"),
                accepted(http1("GET", "/").host("example.com:8080"), "GET", "/", "example.com:8080"),
                accepted(http1("GET", "/").host("  example.com\t"), "GET", "/", "example.com"),
                accepted(http1("GET", "/").scheme("https").host("example.com:443"), "GET", "/", "example.com"),
                accepted(http1("GET", "/").scheme("HTTPS").host("example.com:80"), "GET", "/", "example.com:80"),
                accepted(
                        http1("GET", "/").host("payments.shop.svc.cluster.local"),
                        "GET",
                        "/",
                        "payments.shop.svc.cluster.local"),
                accepted(http1("GET", "/").host("my_service.local"), "GET", "/", "my_service.local"),
                accepted(http1("GET", "/").host("10.0.0.1:8080"), "GET", "/", "10.0.0.1:8080"),
                accepted(http1("GET", "/").host("[::1]:80"), "GET", "/", "[::1]"),
                accepted(http1("GET", "/").host("[FE80::1]:8080"), "GET", "/", "[fe80::1]:8080"),
                accepted(http1("GET", "/").host("[::FFFF:10.0.0.1]"), "GET", "/", "[::ffff:10.0.0.1]"),
                // Absolute-form: agrees with Host after normalising both, path normalised, empty path is "/".
                accepted(http1("GET", "http://example.com/a/../b?x=1"), "GET", "/b?x=1", "example.com"),
                accepted(
                        http1("GET", "HTTP://Example.COM:80/admin").host("example.com."),
                        "GET",
                        "/admin",
                        "example.com"),
                accepted(http1("GET", "http://example.com"), "GET", "/", "example.com"),
                accepted(http1("GET", "http://example.com?x=1"), "GET", "/?x=1", "example.com"),
                accepted(http1("GET", "http://example.com/").noHost(), "GET", "/", "example.com"),
                accepted(
                        http1("GET", "https://example.com:443/").scheme("https").host("example.com"),
                        "GET",
                        "/",
                        "example.com"),
                // HTTP/2: :authority alone, or with a Host that agrees.
                accepted(h2("GET", "/", "Example.com"), "GET", "/", "example.com"),
                accepted(h2("GET", "/", "example.com:80").header("host", "EXAMPLE.COM"), "GET", "/", "example.com"),
                accepted(
                        h2("POST", "/pkg.Service/Method", "grpc.example:50051"),
                        "POST",
                        "/pkg.Service/Method",
                        "grpc.example:50051"));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1} {2} @ {3}")
    @MethodSource("acceptedRequests")
    void normalisesRequests(Input input, String method, String target, String authority) {
        RequestResult result = input.normalize();

        assertThat(result).isInstanceOf(NormalizedRequest.class);
        NormalizedRequest request = (NormalizedRequest) result;
        assertThat(request.method()).isEqualTo(method);
        assertThat(request.requestTarget()).isEqualTo(target);
        assertThat(request.authority()).isEqualTo(authority);
    }

    @Test
    void keepsMethodOverrideHeadersAsOrdinaryHeaders() {
        NormalizedRequest request = (NormalizedRequest) http1("POST", "/items/1")
                .header("X-HTTP-Method-Override", "DELETE")
                .normalize();

        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.headerValues("x-http-method-override")).containsExactly("DELETE");
    }

    @Test
    void groupsRepeatedHeadersCaseInsensitivelyInArrivalOrder() {
        NormalizedRequest request = (NormalizedRequest) http1("GET", "/")
                .header("X-Tenant", "acme")
                .header("Accept", "*/*")
                .header("x-tenant", " globex ")
                .header("X-TENANT", "initech,umbrella")
                .normalize();

        assertThat(request.headers())
                .containsOnlyKeys("x-tenant", "accept")
                .containsEntry("x-tenant", List.of("acme", "globex", "initech,umbrella"));
        assertThat(request.headerValues("X-Tenant")).containsExactly("acme", "globex", "initech,umbrella");
        assertThat(request.headerValues("x-missing")).isEmpty();
    }

    @Test
    void movesHostToAuthority() {
        NormalizedRequest request =
                (NormalizedRequest) http1("GET", "/").host("Example.COM:80").normalize();

        assertThat(request.authority()).isEqualTo("example.com");
        assertThat(request.headers()).doesNotContainKey("host");
    }

    @Test
    void keepsQueryAbsentOrEmptyAsReceived() {
        NormalizedRequest none = (NormalizedRequest) http1("GET", "/a").normalize();
        NormalizedRequest empty = (NormalizedRequest) http1("GET", "/a?").normalize();

        assertThat(none.query()).isNull();
        assertThat(empty.query()).isEmpty();
        assertThat(empty.requestTarget()).isEqualTo("/a?");
    }

    @Test
    void normalisedRequestIsImmutable() {
        Map<String, List<String>> headers = new HashMap<>();
        List<String> values = new ArrayList<>(List.of("acme"));
        headers.put("x-tenant", values);
        NormalizedRequest request = new NormalizedRequest("GET", "/", null, "example.com", headers);

        values.add("globex");
        headers.put("x-admin", List.of("1"));

        assertThat(request.headers()).containsOnlyKeys("x-tenant");
        assertThat(request.headerValues("x-tenant")).containsExactly("acme");
        assertThatThrownBy(() -> request.headers().put("x-admin", List.of("1")))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> request.headerValues("x-tenant").add("globex"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void usesConfiguredPathOptions() {
        RequestNormalizer decoding =
                new RequestNormalizer(new PathNormalizer(new NormalizationOptions(EscapedSlashAction.DECODE, true)));

        RequestResult result = decoding.normalize("http", "GET", "/public%2F..%2Fadmin", null, hostHeader());

        assertThat(result).isInstanceOf(NormalizedRequest.class);
        assertThat(((NormalizedRequest) result).path()).isEqualTo("/admin");
    }

    @Test
    void namesTheDisagreeingAuthoritiesInTheDetail() {
        Rejection rejection = (Rejection)
                http1("GET", "http://evil.example/").host("example.com").normalize();

        assertThat(rejection.detail()).isEqualTo("absolute-form authority evil.example vs Host example.com");
    }

    @Test
    void everyRejectReasonIsExercisedByACorpus() {
        Set<RejectReason> seen = EnumSet.noneOf(RejectReason.class);
        Stream.concat(rejectedRequests(), PathNormalizerTest.rejectedTargets())
                .forEach(args -> seen.add((RejectReason) args.get()[1]));

        assertThat(seen).containsExactlyInAnyOrder(RejectReason.values());
    }

    private static List<Map.Entry<String, String>> hostHeader() {
        return List.of(Map.entry("Host", "example.com"));
    }

    private static Input http1(String method, String target) {
        return new Input("http", method, target, null, hostHeader());
    }

    private static Input h2(String method, String path, String authority) {
        return new Input("http", method, path, authority, List.of());
    }

    private static Arguments rejected(Input input, RejectReason reason) {
        return Arguments.of(input, reason);
    }

    private static Arguments accepted(Input input, String method, String target, String authority) {
        return Arguments.of(input, method, target, authority);
    }

    /** One request as the data path would hand it over; the tables build them fluently. */
    record Input(
            String scheme,
            String method,
            String target,
            @Nullable String authority,
            List<Map.Entry<String, String>> headers) {

        Input scheme(String newScheme) {
            return new Input(newScheme, method, target, authority, headers);
        }

        Input header(String name, String value) {
            List<Map.Entry<String, String>> more = new ArrayList<>(headers);
            more.add(Map.entry(name, value));
            return new Input(scheme, method, target, authority, List.copyOf(more));
        }

        /** Replaces the Host header(s). */
        Input host(String value) {
            return noHost().header("Host", value);
        }

        Input noHost() {
            return new Input(
                    scheme,
                    method,
                    target,
                    authority,
                    headers.stream()
                            .filter(h -> !h.getKey().equalsIgnoreCase("host"))
                            .toList());
        }

        RequestResult normalize() {
            return NORMALIZER.normalize(scheme, method, target, authority, headers);
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder()
                    .append(scheme)
                    .append(' ')
                    .append(method)
                    .append(' ')
                    .append(target);
            if (authority != null) {
                s.append(" :authority=").append(authority);
            }
            headers.forEach(h -> s.append(" [")
                    .append(h.getKey())
                    .append(": ")
                    .append(h.getValue())
                    .append(']'));
            return TestStrings.escape(s.toString());
        }
    }
}
