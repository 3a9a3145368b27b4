package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.Rbac.and;
import static dev.palisade.proxy.authz.Rbac.andIds;
import static dev.palisade.proxy.authz.Rbac.anyAuthenticated;
import static dev.palisade.proxy.authz.Rbac.anyPermission;
import static dev.palisade.proxy.authz.Rbac.anyPrincipal;
import static dev.palisade.proxy.authz.Rbac.authenticated;
import static dev.palisade.proxy.authz.Rbac.contains;
import static dev.palisade.proxy.authz.Rbac.destinationIp;
import static dev.palisade.proxy.authz.Rbac.exact;
import static dev.palisade.proxy.authz.Rbac.header;
import static dev.palisade.proxy.authz.Rbac.headerInverted;
import static dev.palisade.proxy.authz.Rbac.headerPresent;
import static dev.palisade.proxy.authz.Rbac.host;
import static dev.palisade.proxy.authz.Rbac.ignoringCase;
import static dev.palisade.proxy.authz.Rbac.ipBlock;
import static dev.palisade.proxy.authz.Rbac.method;
import static dev.palisade.proxy.authz.Rbac.namespace;
import static dev.palisade.proxy.authz.Rbac.not;
import static dev.palisade.proxy.authz.Rbac.notId;
import static dev.palisade.proxy.authz.Rbac.or;
import static dev.palisade.proxy.authz.Rbac.orIds;
import static dev.palisade.proxy.authz.Rbac.path;
import static dev.palisade.proxy.authz.Rbac.pathPrefix;
import static dev.palisade.proxy.authz.Rbac.port;
import static dev.palisade.proxy.authz.Rbac.portRange;
import static dev.palisade.proxy.authz.Rbac.prefix;
import static dev.palisade.proxy.authz.Rbac.principal;
import static dev.palisade.proxy.authz.Rbac.principalHeader;
import static dev.palisade.proxy.authz.Rbac.principalPath;
import static dev.palisade.proxy.authz.Rbac.regex;
import static dev.palisade.proxy.authz.Rbac.remoteIp;
import static dev.palisade.proxy.authz.Rbac.serverName;
import static dev.palisade.proxy.authz.Rbac.sourceIp;
import static dev.palisade.proxy.authz.Rbac.suffix;
import static dev.palisade.proxy.authz.Rbac.urlPath;
import static dev.palisade.proxy.authz.TestRequest.get;
import static dev.palisade.proxy.authz.TestRequest.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every supported {@code Permission} and {@code Principal} matcher, each on single-valued requests
 * (multi-valued headers are {@link HeaderPolarityTest}'s), evaluated three ways: in an ALLOW
 * policy (allowed iff it matches), in a DENY policy (denied iff it matches), and negated in an
 * ALLOW policy (allowed iff it does not match).
 */
class AuthzEngineMatcherTest {

    private static final String A_B = "spiffe://cluster.local/ns/a/sa/b";

    /** Permissions that must NOT match the request. */
    static Stream<Arguments> permissionsThatDoNotMatch() {
        return Stream.of(
                // url_path: exact, prefix, suffix, contains, regex (full match), ignore_case
                permissionCase("url_path exact", path("/v1/admin"), get("/v1/charge")),
                permissionCase("url_path exact, trailing slash", path("/v1/admin"), get("/v1/admin/")),
                permissionCase("url_path exact is case-sensitive", path("/v1/admin"), get("/V1/ADMIN")),
                permissionCase(
                        "url_path exact never sees the query",
                        path("/v1/admin?x=1"),
                        get("/v1/admin").query("x=1")),
                permissionCase("url_path prefix", pathPrefix("/v1/"), get("/v2/x")),
                permissionCase("url_path prefix is not a segment match", pathPrefix("/admin"), get("/adm")),
                permissionCase("url_path suffix", urlPath(suffix(".json")), get("/a.xml")),
                permissionCase("url_path contains", urlPath(contains("admin")), get("/public")),
                permissionCase("url_path regex", urlPath(regex("/v[0-9]+/items")), get("/vx/items")),
                permissionCase("url_path regex is a full match", urlPath(regex("admin")), get("/admin")),
                permissionCase("url_path ignore_case exact", urlPath(ignoringCase(exact("/admin"))), get("/admins")),
                permissionCase(
                        "url_path ignore_case is ASCII only", urlPath(ignoringCase(exact("/k"))), get("/\u212a")),
                // header: pseudo-headers
                permissionCase(":method exact", method("GET"), request().method("POST")),
                permissionCase(
                        ":authority exact, ignoring case",
                        host("payments.shop"),
                        request().authority("payments.shop.evil")),
                permissionCase(
                        ":authority suffix",
                        header(":authority", suffix(".shop")),
                        request().authority("payments.shopx")),
                permissionCase(
                        "host is :authority",
                        header("host", exact("payments.shop")),
                        request().authority("orders.shop")),
                permissionCase(
                        ":path exact without the query",
                        header(":path", exact("/a?b")),
                        get("/a").query("b")),
                // header: fields
                permissionCase(
                        "header exact",
                        header("x-tenant", exact("acme")),
                        request().header("x-tenant", "acme2")),
                permissionCase("header exact, header absent", header("x-tenant", exact("acme")), request()),
                permissionCase(
                        "header name is case-insensitive, value is not",
                        header("X-Tenant", exact("acme")),
                        request().header("x-tenant", "ACME")),
                permissionCase(
                        "header prefix",
                        header("x-tenant", prefix("ac")),
                        request().header("x-tenant", "xac")),
                permissionCase(
                        "header suffix",
                        header("x-tenant", suffix("me")),
                        request().header("x-tenant", "mex")),
                permissionCase(
                        "header contains",
                        header("x-tenant", contains("cm")),
                        request().header("x-tenant", "abc")),
                permissionCase(
                        "header regex",
                        header("x-tenant", regex("acme-[0-9]+")),
                        request().header("x-tenant", "acme-x")),
                permissionCase(
                        "header ignore_case",
                        header("x-tenant", ignoringCase(exact("ACME"))),
                        request().header("x-tenant", "acme2")),
                permissionCase("header present_match true", headerPresent("x-tenant", true), request()),
                permissionCase(
                        "header present_match false",
                        headerPresent("x-tenant", false),
                        request().header("x-tenant", "a")),
                permissionCase(
                        "header invert_match",
                        headerInverted("x-tenant", exact("acme")),
                        request().header("x-tenant", "acme")),
                permissionCase(
                        "header invert_match, header absent: never matches (Envoy)",
                        headerInverted("x-tenant", exact("acme")),
                        request()),
                permissionCase(
                        "header present_match true, inverted",
                        Rbac.headerPresentInverted("x-tenant", true),
                        request().header("x-tenant", "a")),
                // ports and addresses
                permissionCase("destination_port", port(8080), request().port(9090)),
                permissionCase(
                        "destination_port, port unknown", port(8080), request().port(0)),
                permissionCase(
                        "destination_port_range end is exclusive",
                        portRange(8000, 8080),
                        request().port(8080)),
                permissionCase(
                        "destination_port_range below",
                        portRange(8000, 8080),
                        request().port(7999)),
                permissionCase(
                        "destination_ip IPv4",
                        destinationIp("10.9.0.0", 16),
                        request().destinationIp("10.8.1.1")),
                permissionCase(
                        "destination_ip IPv6",
                        destinationIp("2001:db8::", 32),
                        request().destinationIp("2001:db9::1")),
                permissionCase(
                        "destination_ip IPv4 range, IPv6 address",
                        destinationIp("10.0.0.0", 8),
                        request().destinationIp("::1")),
                permissionCase(
                        "destination_ip, address unknown",
                        destinationIp("0.0.0.0", 0),
                        request().destinationIp(null)),
                permissionCase("requested_server_name, no SNI", serverName(exact("payments.shop")), request()),
                permissionCase(
                        "requested_server_name suffix",
                        serverName(suffix(".shop")),
                        request().serverName("evil.example")),
                // combinations
                permissionCase("and_rules, second fails", and(method("GET"), path("/a")), get("/b")),
                permissionCase("or_rules, none matches", or(path("/a"), path("/b")), get("/c")),
                permissionCase("not_rule of any", not(anyPermission()), get("/")),
                permissionCase("not_rule of a match", not(path("/a")), get("/a")));
    }

    /** Permissions that must match the request. */
    static Stream<Arguments> permissionsThatMatch() {
        return Stream.of(
                permissionCase("any", anyPermission(), get("/")),
                permissionCase("url_path exact", path("/v1/admin"), get("/v1/admin")),
                permissionCase(
                        "url_path exact ignores the query",
                        path("/v1/admin"),
                        get("/v1/admin").query("debug=1")),
                permissionCase("url_path prefix", pathPrefix("/v1/"), get("/v1/x")),
                permissionCase("url_path suffix", urlPath(suffix(".json")), get("/a.json")),
                permissionCase("url_path contains", urlPath(contains("admin")), get("/x/admin/y")),
                permissionCase("url_path regex", urlPath(regex("/v[0-9]+/items")), get("/v12/items")),
                permissionCase("url_path regex .+ (paths: [*])", urlPath(regex(".+")), get("/")),
                permissionCase("url_path ignore_case", urlPath(ignoringCase(exact("/Admin"))), get("/aDMIN")),
                permissionCase("url_path ignore_case prefix", urlPath(ignoringCase(prefix("/API/"))), get("/api/v1")),
                permissionCase(":method exact", method("POST"), request().method("POST")),
                permissionCase(
                        ":authority exact, ignoring case",
                        host("Payments.Shop"),
                        request().authority("payments.shop")),
                permissionCase(
                        ":authority suffix, ignoring case (hosts: [*.shop])",
                        header(":authority", ignoringCase(suffix(".SHOP"))),
                        request().authority("payments.shop")),
                permissionCase("host is :authority", header("host", exact("payments.shop")), request()),
                permissionCase(
                        ":path exact", header(":path", exact("/a")), get("/a").query("b")),
                permissionCase(
                        "header exact",
                        header("x-tenant", exact("acme")),
                        request().header("x-tenant", "acme")),
                permissionCase(
                        "header name is case-insensitive",
                        header("X-Tenant", exact("acme")),
                        request().header("x-tenant", "acme")),
                permissionCase(
                        "header exact empty value",
                        header("x-tenant", exact("")),
                        request().header("x-tenant", "")),
                permissionCase(
                        "header prefix",
                        header("x-tenant", prefix("ac")),
                        request().header("x-tenant", "acme")),
                permissionCase(
                        "header suffix",
                        header("x-tenant", suffix("me")),
                        request().header("x-tenant", "acme")),
                permissionCase(
                        "header contains",
                        header("x-tenant", contains("cm")),
                        request().header("x-tenant", "acme")),
                permissionCase(
                        "header regex",
                        header("x-tenant", regex("acme-[0-9]+")),
                        request().header("x-tenant", "acme-42")),
                permissionCase(
                        "header ignore_case",
                        header("x-tenant", ignoringCase(exact("ACME"))),
                        request().header("x-tenant", "AcMe")),
                permissionCase(
                        "header ignore_case contains",
                        header("x-tenant", ignoringCase(contains("CM"))),
                        request().header("x-tenant", "acme")),
                permissionCase(
                        "header present_match true",
                        headerPresent("x-tenant", true),
                        request().header("x-tenant", "")),
                permissionCase("header present_match false", headerPresent("x-tenant", false), request()),
                permissionCase(
                        "header present_match true, inverted", Rbac.headerPresentInverted("x-tenant", true), request()),
                permissionCase(
                        "header invert_match",
                        headerInverted("x-tenant", exact("acme")),
                        request().header("x-tenant", "evil")),
                permissionCase("destination_port", port(8080), request().port(8080)),
                permissionCase(
                        "destination_port_range start is inclusive",
                        portRange(8000, 8081),
                        request().port(8000)),
                permissionCase(
                        "destination_port_range end - 1",
                        portRange(8000, 8081),
                        request().port(8080)),
                permissionCase(
                        "destination_ip IPv4",
                        destinationIp("10.9.0.0", 16),
                        request().destinationIp("10.9.200.1")),
                permissionCase(
                        "destination_ip host bits ignored",
                        destinationIp("10.9.9.9", 8),
                        request().destinationIp("10.1.1.1")),
                permissionCase(
                        "destination_ip IPv6",
                        destinationIp("2001:db8::", 32),
                        request().destinationIp("2001:db8:1::1")),
                permissionCase(
                        "destination_ip /0 matches its family",
                        destinationIp("0.0.0.0", 0),
                        request().destinationIp("192.0.2.1")),
                permissionCase(
                        "requested_server_name exact",
                        serverName(exact("payments.shop")),
                        request().serverName("payments.shop")),
                permissionCase("requested_server_name exact empty, no SNI", serverName(exact("")), request()),
                permissionCase("and_rules", and(method("GET"), path("/a")), get("/a")),
                permissionCase("or_rules", or(path("/a"), path("/b")), get("/b")),
                permissionCase("not_rule", not(path("/a")), get("/b")),
                permissionCase("not_rule of not_rule", not(not(path("/a"))), get("/a")));
    }

    /** Principals that must NOT match the request. */
    static Stream<Arguments> principalsThatDoNotMatch() {
        return Stream.of(
                principalCase(
                        "exact principal, another service account",
                        principal(TestRequest.CHECKOUT),
                        request().principal("spiffe://cluster.local/ns/shop/sa/cart")),
                principalCase(
                        "exact principal: a dot is a dot",
                        principal(A_B),
                        request().principal("spiffe://clusterXlocal/ns/a/sa/b")),
                principalCase(
                        "exact principal is not a prefix",
                        principal(A_B),
                        request().principal(A_B + "c")),
                principalCase(
                        "exact principal is case-sensitive",
                        principal(A_B),
                        request().principal("spiffe://cluster.local/ns/a/sa/B")),
                principalCase(
                        "exact principal, plaintext peer",
                        principal(A_B),
                        request().plaintext()),
                principalCase(
                        "namespace is a whole segment",
                        namespace("shop"),
                        request().principal("spiffe://cluster.local/ns/shopping/sa/x")),
                principalCase(
                        "namespace in another trust domain",
                        namespace("shop"),
                        request().principal("spiffe://evil.local/ns/shop/sa/x")),
                principalCase(
                        "principals [*], plaintext peer",
                        anyAuthenticated(),
                        request().plaintext()),
                principalCase(
                        "authenticated without principal_name, plaintext peer",
                        Principal.newBuilder()
                                .setAuthenticated(Principal.Authenticated.getDefaultInstance())
                                .build(),
                        request().plaintext()),
                principalCase(
                        "principal suffix",
                        authenticated(suffix("/sa/checkout")),
                        request().principal(TestRequest.CHECKOUT + "2")),
                principalCase(
                        "direct_remote_ip", ipBlock("10.0.0.0", 8), request().sourceIp("192.168.1.1")),
                principalCase(
                        "direct_remote_ip /32",
                        ipBlock("10.1.2.3", 32),
                        request().sourceIp("10.1.2.4")),
                principalCase(
                        "direct_remote_ip /12 boundary",
                        ipBlock("172.16.0.0", 12),
                        request().sourceIp("172.32.0.1")),
                principalCase(
                        "direct_remote_ip IPv6", ipBlock("fd00::", 8), request().sourceIp("fe80::1")),
                principalCase(
                        "direct_remote_ip, source unknown",
                        ipBlock("0.0.0.0", 0),
                        request().sourceIp(null)),
                principalCase("remote_ip", remoteIp("10.0.0.0", 8), request().sourceIp("11.0.0.1")),
                principalCase("source_ip", sourceIp("10.0.0.0", 8), request().sourceIp("11.0.0.1")),
                principalCase(
                        "header",
                        principalHeader("x-user", exact("alice")),
                        request().header("x-user", "bob")),
                principalCase("url_path", principalPath(prefix("/internal/")), get("/public/x")),
                principalCase(
                        "and_ids, address fails",
                        andIds(principal(TestRequest.CHECKOUT), ipBlock("192.168.0.0", 16)),
                        request()),
                principalCase("or_ids, none", orIds(principal(A_B), ipBlock("192.168.0.0", 16)), request()),
                principalCase("not_id of a match", notId(principal(TestRequest.CHECKOUT)), request()),
                principalCase("not_id of any", notId(anyPrincipal()), request()));
    }

    /** Principals that must match the request. */
    static Stream<Arguments> principalsThatMatch() {
        return Stream.of(
                principalCase("any", anyPrincipal(), request().plaintext()),
                principalCase("exact principal", principal(A_B), request().principal(A_B)),
                principalCase("namespace", namespace("shop"), request()),
                principalCase("principals [*]", anyAuthenticated(), request()),
                principalCase(
                        "authenticated without principal_name",
                        Principal.newBuilder()
                                .setAuthenticated(Principal.Authenticated.getDefaultInstance())
                                .build(),
                        request()),
                principalCase("principal suffix", authenticated(suffix("/sa/checkout")), request()),
                principalCase("principal contains", authenticated(contains("/ns/shop/")), request()),
                principalCase(
                        "direct_remote_ip", ipBlock("10.0.0.0", 8), request().sourceIp("10.200.0.1")),
                principalCase(
                        "direct_remote_ip /12",
                        ipBlock("172.16.0.0", 12),
                        request().sourceIp("172.31.255.255")),
                principalCase(
                        "direct_remote_ip IPv6", ipBlock("fd00::", 8), request().sourceIp("fd12:3456::1")),
                principalCase(
                        "direct_remote_ip IPv6 /128",
                        ipBlock("::1", 128),
                        request().sourceIp("::1")),
                principalCase(
                        "direct_remote_ip IPv4-mapped range",
                        ipBlock("::ffff:10.0.0.0", 104),
                        request().sourceIp("10.1.2.3")),
                principalCase("remote_ip", remoteIp("10.0.0.0", 8), request()),
                principalCase("source_ip", sourceIp("10.0.0.0", 8), request()),
                principalCase(
                        "header",
                        principalHeader("x-user", exact("alice")),
                        request().header("x-user", "alice")),
                principalCase("url_path", principalPath(prefix("/internal/")), get("/internal/x")),
                principalCase("and_ids", andIds(principal(TestRequest.CHECKOUT), ipBlock("10.0.0.0", 8)), request()),
                principalCase("or_ids", orIds(principal(A_B), ipBlock("10.0.0.0", 8)), request()),
                principalCase("not_id", notId(principal(A_B)), request()),
                principalCase(
                        "not_id: a plaintext peer is not an authenticated one",
                        notId(anyAuthenticated()),
                        request().plaintext()));
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("permissionsThatDoNotMatch")
    void permissionThatDoesNotMatchNeitherAllowsNorDenies(String what, Permission permission, TestRequest request) {
        assertMatches(permission, anyPrincipal(), request, false);
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("permissionsThatMatch")
    void permissionThatMatchesAllowsAndDenies(String what, Permission permission, TestRequest request) {
        assertMatches(permission, anyPrincipal(), request, true);
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("principalsThatDoNotMatch")
    void principalThatDoesNotMatchNeitherAllowsNorDenies(String what, Principal principal, TestRequest request) {
        assertMatches(anyPermission(), principal, request, false);
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("principalsThatMatch")
    void principalThatMatchesAllowsAndDenies(String what, Principal principal, TestRequest request) {
        assertMatches(anyPermission(), principal, request, true);
    }

    private static void assertMatches(
            Permission permission, Principal principal, TestRequest request, boolean matches) {
        AuthzRequest built = request.build();
        AuthzEngine allowing = Rbac.compile(Rbac.allow(Rbac.policy("p", permission, principal)));
        AuthzEngine denying = Rbac.compile(Rbac.deny(Rbac.policy("p", permission, principal)));
        AuthzEngine negated = Rbac.compile(Rbac.allow(Rbac.policy("p", not(permission), anyPrincipal())));
        AuthzEngine negatedPrincipal = Rbac.compile(Rbac.allow(Rbac.policy("p", anyPermission(), notId(principal))));

        assertThat(allowing.evaluate(built).allowed()).as("in an ALLOW policy").isEqualTo(matches);
        assertThat(denying.evaluate(built).denied()).as("in a DENY policy").isEqualTo(matches);
        if (principal.hasAny()) {
            assertThat(negated.evaluate(built).allowed())
                    .as("negated in an ALLOW policy")
                    .isEqualTo(!matches);
        } else {
            assertThat(negatedPrincipal.evaluate(built).allowed())
                    .as("negated in an ALLOW policy")
                    .isEqualTo(!matches);
        }
        Explanation explanation = allowing.explain(built);
        assertThat(explanation.decision()).isEqualTo(allowing.evaluate(built));
        if (!matches) {
            assertThat(explanation.failedCondition()).as("explained").isNotBlank();
        }
    }

    private static Arguments permissionCase(String what, Permission permission, TestRequest request) {
        return Arguments.of(what, permission, request);
    }

    private static Arguments principalCase(String what, Principal principal, TestRequest request) {
        return Arguments.of(what, principal, request);
    }
}
