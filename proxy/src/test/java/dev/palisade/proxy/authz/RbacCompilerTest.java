package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.Rbac.allow;
import static dev.palisade.proxy.authz.Rbac.and;
import static dev.palisade.proxy.authz.Rbac.anyPermission;
import static dev.palisade.proxy.authz.Rbac.anyPrincipal;
import static dev.palisade.proxy.authz.Rbac.authenticated;
import static dev.palisade.proxy.authz.Rbac.deny;
import static dev.palisade.proxy.authz.Rbac.exact;
import static dev.palisade.proxy.authz.Rbac.header;
import static dev.palisade.proxy.authz.Rbac.ignoringCase;
import static dev.palisade.proxy.authz.Rbac.name;
import static dev.palisade.proxy.authz.Rbac.path;
import static dev.palisade.proxy.authz.Rbac.policy;
import static dev.palisade.proxy.authz.Rbac.prefix;
import static dev.palisade.proxy.authz.Rbac.regex;
import static dev.palisade.proxy.authz.Rbac.urlPath;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.xds.type.matcher.v3.Matcher;
import com.google.api.expr.v1alpha1.CheckedExpr;
import com.google.api.expr.v1alpha1.Expr;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UnknownFieldSet;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.SourcedMetadata;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.type.matcher.v3.FilterStateMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.Int64Range;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the compiler refuses (everything it does not implement, named by its field path: the xDS
 * client NACKs it) and what it accepts.
 */
class RbacCompilerTest {

    private static final String P = "ns[shop]-policy[p]-rule[0]";

    /** Configs refused because the engine does not implement what they use. */
    @SuppressWarnings("deprecation") // the deprecated header match forms are among them
    static Stream<Arguments> unsupported() {
        return Stream.of(
                refused(
                        "permission metadata",
                        withPermissions(
                                anyPermission(),
                                Permission.newBuilder()
                                        .setMetadata(MetadataMatcher.getDefaultInstance())
                                        .build()),
                        P + ".permissions[1].metadata"),
                refused(
                        "nested permission metadata",
                        withPermissions(and(
                                anyPermission(),
                                Permission.newBuilder()
                                        .setMetadata(MetadataMatcher.getDefaultInstance())
                                        .build())),
                        P + ".permissions[0].and_rules.rules[1].metadata"),
                refused(
                        "permission metadata under not_rule",
                        withPermissions(Rbac.not(Permission.newBuilder()
                                .setMetadata(MetadataMatcher.getDefaultInstance())
                                .build())),
                        P + ".permissions[0].not_rule.metadata"),
                refused(
                        "permission matcher",
                        withPermissions(Permission.newBuilder()
                                .setMatcher(TypedExtensionConfig.getDefaultInstance())
                                .build()),
                        P + ".permissions[0].matcher"),
                refused(
                        "permission uri_template",
                        withPermissions(Permission.newBuilder()
                                .setUriTemplate(TypedExtensionConfig.getDefaultInstance())
                                .build()),
                        P + ".permissions[0].uri_template"),
                refused(
                        "permission sourced_metadata",
                        withPermissions(Permission.newBuilder()
                                .setSourcedMetadata(SourcedMetadata.getDefaultInstance())
                                .build()),
                        P + ".permissions[0].sourced_metadata"),
                refused(
                        "principal metadata",
                        withPrincipals(Principal.newBuilder()
                                .setMetadata(MetadataMatcher.getDefaultInstance())
                                .build()),
                        P + ".principals[0].metadata"),
                refused(
                        "principal filter_state",
                        withPrincipals(Principal.newBuilder()
                                .setFilterState(FilterStateMatcher.getDefaultInstance())
                                .build()),
                        P + ".principals[0].filter_state"),
                refused(
                        "principal sourced_metadata",
                        withPrincipals(Principal.newBuilder()
                                .setSourcedMetadata(SourcedMetadata.getDefaultInstance())
                                .build()),
                        P + ".principals[0].sourced_metadata"),
                refused(
                        "principal custom",
                        withPrincipals(Principal.newBuilder()
                                .setCustom(TypedExtensionConfig.getDefaultInstance())
                                .build()),
                        P + ".principals[0].custom"),
                refused(
                        "nested principal filter_state",
                        withPrincipals(Rbac.orIds(
                                anyPrincipal(),
                                Rbac.notId(Principal.newBuilder()
                                        .setFilterState(FilterStateMatcher.getDefaultInstance())
                                        .build()))),
                        P + ".principals[0].or_ids.ids[1].not_id.filter_state"),
                refused(
                        "CEL condition",
                        List.of(allow(Map.entry(
                                P,
                                anyPolicy().toBuilder()
                                        .setCondition(Expr.getDefaultInstance())
                                        .build()))),
                        P + ".condition"),
                refused(
                        "CEL checked_condition",
                        List.of(allow(Map.entry(
                                P,
                                anyPolicy().toBuilder()
                                        .setCheckedCondition(CheckedExpr.getDefaultInstance())
                                        .build()))),
                        P + ".checked_condition"),
                refused(
                        "audit_logging_options",
                        List.of(RBAC.newBuilder()
                                .setRules(
                                        Rbac.config(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY).toBuilder()
                                                .setAuditLoggingOptions(io.envoyproxy.envoy.config.rbac.v3.RBAC
                                                        .AuditLoggingOptions.getDefaultInstance()))
                                .build()),
                        "filters[0].rules.audit_logging_options"),
                refused(
                        "filter matcher",
                        List.of(RBAC.newBuilder()
                                .setMatcher(Matcher.getDefaultInstance())
                                .build()),
                        "filters[0].matcher"),
                refused(
                        "filter shadow_matcher",
                        List.of(
                                deny(anyNamed()),
                                RBAC.newBuilder()
                                        .setShadowMatcher(Matcher.getDefaultInstance())
                                        .build()),
                        "filters[1].shadow_matcher"),
                refused(
                        "LOG in shadow_rules",
                        List.of(RBAC.newBuilder()
                                .setShadowRules(Rbac.config(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.LOG))
                                .build()),
                        "filters[0].shadow_rules.action"),
                refused(
                        "deprecated exact_match",
                        withPermissions(headerWith(
                                HeaderMatcher.newBuilder().setName("x-a").setExactMatch("a"))),
                        P + ".permissions[0].header.exact_match"),
                refused(
                        "deprecated prefix_match",
                        withPermissions(headerWith(
                                HeaderMatcher.newBuilder().setName("x-a").setPrefixMatch("a"))),
                        P + ".permissions[0].header.prefix_match"),
                refused(
                        "deprecated safe_regex_match",
                        withPermissions(headerWith(HeaderMatcher.newBuilder()
                                .setName("x-a")
                                .setSafeRegexMatch(RegexMatcher.newBuilder().setRegex("a")))),
                        P + ".permissions[0].header.safe_regex_match"),
                refused(
                        "range_match",
                        withPermissions(headerWith(HeaderMatcher.newBuilder()
                                .setName("x-a")
                                .setRangeMatch(
                                        Int64Range.newBuilder().setStart(1).setEnd(5)))),
                        P + ".permissions[0].header.range_match"),
                refused(
                        "treat_missing_header_as_empty",
                        withPermissions(headerWith(Rbac.headerMatcher("x-a", exact("a")).toBuilder()
                                .setTreatMissingHeaderAsEmpty(true))),
                        P + ".permissions[0].header.treat_missing_header_as_empty"),
                refused(
                        "pseudo-header :scheme",
                        withPermissions(header(":scheme", exact("https"))),
                        P + ".permissions[0].header.name"),
                refused(
                        "string_match custom",
                        withPermissions(urlPath(StringMatcher.newBuilder()
                                .setCustom(com.github.xds.core.v3.TypedExtensionConfig.getDefaultInstance())
                                .build())),
                        P + ".permissions[0].url_path.path.custom"),
                refused(
                        "ignore_case on a regex",
                        withPermissions(urlPath(ignoringCase(regex("/a.*")))),
                        P + ".permissions[0].url_path.path.ignore_case"),
                refused(
                        "google_re2 max_program_size",
                        withPermissions(urlPath(StringMatcher.newBuilder()
                                .setSafeRegex(maxProgramSize())
                                .build())),
                        P + ".permissions[0].url_path.path.safe_regex.google_re2.max_program_size"),
                refused(
                        "a regex principal other than .+",
                        withPrincipals(authenticated(regex("spiffe://cluster.local/ns/a/sa/.*"))),
                        P + ".principals[0].authenticated.principal_name.safe_regex"),
                refused(
                        "a regex principal .*",
                        withPrincipals(authenticated(regex(".*"))),
                        P + ".principals[0].authenticated.principal_name.safe_regex"),
                refused(
                        "ignore_case on a principal",
                        withPrincipals(authenticated(ignoringCase(exact("spiffe://cluster.local/ns/a/sa/b")))),
                        P + ".principals[0].authenticated.principal_name.ignore_case"),
                refused(
                        "unknown field of a permission",
                        withPermissions(anyPermission().toBuilder()
                                .setUnknownFields(unknownField(99))
                                .build()),
                        P + ".permissions[0]"),
                refused(
                        "unknown field of a policy",
                        List.of(allow(Map.entry(
                                P,
                                anyPolicy().toBuilder()
                                        .setUnknownFields(unknownField(42))
                                        .build()))),
                        P),
                refused(
                        "unknown field of a filter",
                        List.of(deny(anyNamed()).toBuilder()
                                .setUnknownFields(unknownField(77))
                                .build()),
                        "filters[0]"));
    }

    /** Configs refused because they are malformed or break the contract. */
    static Stream<Arguments> invalid() {
        return Stream.of(
                refused(
                        "an invalid regex",
                        withPermissions(urlPath(regex("a("))),
                        P + ".permissions[0].url_path.path.safe_regex.regex"),
                refused(
                        "a backreference (not RE2)",
                        withPermissions(header("x-a", regex("(a)\\1"))),
                        P + ".permissions[0].header.string_match.safe_regex.regex"),
                refused(
                        "an empty regex",
                        withPermissions(urlPath(regex(""))),
                        P + ".permissions[0].url_path.path.safe_regex.regex"),
                refused(
                        "a huge regex",
                        withPermissions(urlPath(regex("[a-z]{1,1000}"))),
                        P + ".permissions[0].url_path.path.safe_regex.regex"),
                refused(
                        "an empty prefix",
                        withPermissions(urlPath(prefix(""))),
                        P + ".permissions[0].url_path.path.prefix"),
                refused(
                        "a string matcher with no pattern",
                        withPermissions(urlPath(
                                StringMatcher.newBuilder().setIgnoreCase(true).build())),
                        P + ".permissions[0].url_path.path"),
                refused(
                        "a path matcher with no path",
                        withPermissions(Permission.newBuilder()
                                .setUrlPath(PathMatcher.getDefaultInstance())
                                .build()),
                        P + ".permissions[0].url_path"),
                refused(
                        "a header matcher with no match",
                        withPermissions(headerWith(HeaderMatcher.newBuilder().setName("x-a"))),
                        P + ".permissions[0].header"),
                refused(
                        "an empty header name",
                        withPermissions(header("", exact("a"))),
                        P + ".permissions[0].header.name"),
                refused(
                        "a header name with a space",
                        withPermissions(header("x tenant", exact("a"))),
                        P + ".permissions[0].header.name"),
                refused("destination_port 0", withPermissions(Rbac.port(0)), P + ".permissions[0].destination_port"),
                refused(
                        "destination_port 70000",
                        withPermissions(Rbac.port(70000)),
                        P + ".permissions[0].destination_port"),
                refused(
                        "an inverted port range",
                        withPermissions(Rbac.portRange(10, 5)),
                        P + ".permissions[0].destination_port_range"),
                refused(
                        "an empty port range",
                        withPermissions(Rbac.portRange(10, 10)),
                        P + ".permissions[0].destination_port_range"),
                refused(
                        "a negative port range",
                        withPermissions(Rbac.portRange(-1, 5)),
                        P + ".permissions[0].destination_port_range"),
                refused(
                        "a port range beyond 65535",
                        withPermissions(Rbac.portRange(0, 70000)),
                        P + ".permissions[0].destination_port_range"),
                refused(
                        "an IPv4 prefix_len of 33",
                        withPrincipals(Rbac.ipBlock("10.0.0.0", 33)),
                        P + ".principals[0].direct_remote_ip"),
                refused(
                        "an IPv6 prefix_len of 129",
                        withPermissions(Rbac.destinationIp("::", 129)),
                        P + ".permissions[0].destination_ip"),
                refused(
                        "a host name as an address",
                        withPrincipals(Rbac.ipBlock("example.com", 32)),
                        P + ".principals[0].direct_remote_ip"),
                refused(
                        "a short IPv4 form",
                        withPrincipals(Rbac.remoteIp("127.1", 32)),
                        P + ".principals[0].remote_ip"),
                refused(
                        "a CIDR as an address",
                        withPrincipals(Rbac.sourceIp("10.0.0.0/8", 8)),
                        P + ".principals[0].source_ip"),
                refused(
                        "an unsigned prefix_len beyond int",
                        withPrincipals(Principal.newBuilder()
                                .setDirectRemoteIp(
                                        Rbac.cidr("10.0.0.0", 0).toBuilder().setPrefixLen(UInt32Value.of(-1)))
                                .build()),
                        P + ".principals[0].direct_remote_ip"),
                refused(
                        "any: false",
                        withPermissions(Permission.newBuilder().setAny(false).build()),
                        P + ".permissions[0].any"),
                refused(
                        "a permission with no rule",
                        withPermissions(Permission.getDefaultInstance()),
                        P + ".permissions[0]"),
                refused(
                        "a principal with no identifier",
                        withPrincipals(Principal.getDefaultInstance()),
                        P + ".principals[0]"),
                refused(
                        "an empty and_rules",
                        withPermissions(Permission.newBuilder()
                                .setAndRules(Permission.Set.getDefaultInstance())
                                .build()),
                        P + ".permissions[0].and_rules.rules"),
                refused(
                        "an empty or_ids",
                        withPrincipals(Principal.newBuilder()
                                .setOrIds(Principal.Set.getDefaultInstance())
                                .build()),
                        P + ".principals[0].or_ids.ids"),
                refused(
                        "a policy without permissions",
                        List.of(allow(Map.entry(P, Rbac.policy(List.of(), List.of(anyPrincipal()))))),
                        P + ".permissions"),
                refused(
                        "a policy without principals",
                        List.of(allow(Map.entry(P, Rbac.policy(List.of(anyPermission()), List.of())))),
                        P + ".principals"),
                refused(
                        "a policy name outside the contract",
                        List.of(allow(Map.entry("allow-all", anyPolicy()))),
                        "allow-all"),
                refused(
                        "a rule index with a leading zero",
                        List.of(allow(Map.entry("ns[a]-policy[b]-rule[01]", anyPolicy()))),
                        "ns[a]-policy[b]-rule[01]"),
                refused(
                        "both rules and shadow_rules",
                        List.of(deny(anyNamed()).toBuilder()
                                .setShadowRules(Rbac.config(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY))
                                .build()),
                        "filters[0]"),
                refused("neither rules nor shadow_rules", List.of(RBAC.getDefaultInstance()), "filters[0]"),
                refused("ALLOW before DENY", List.of(allow(anyNamed()), deny(anyNamed())), "filters[1]"),
                refused("two DENY filters", List.of(deny(anyNamed()), deny(anyNamed())), "filters[1]"),
                refused(
                        "dry-run before enforced",
                        List.of(Rbac.dryRunDeny(anyNamed()), allow(anyNamed())),
                        "filters[1]"),
                refused(
                        "an unknown action",
                        List.of(RBAC.newBuilder()
                                .setRules(io.envoyproxy
                                        .envoy
                                        .config
                                        .rbac
                                        .v3
                                        .RBAC
                                        .newBuilder()
                                        .setActionValue(7))
                                .build()),
                        "filters[0].rules.action"));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {2}")
    @MethodSource("unsupported")
    void unsupportedFieldIsRefusedByItsPath(String what, List<RBAC> filters, String fieldPath) {
        RbacConfigException refused = refuse(what, filters);

        assertThat(refused).isInstanceOf(UnsupportedRbacException.class);
        assertThat(refused.fieldPath()).isEqualTo(fieldPath);
        assertThat(refused.getMessage()).startsWith(fieldPath + ": not supported");
    }

    @ParameterizedTest(name = "[{index}] {0} -> {2}")
    @MethodSource("invalid")
    void invalidConfigIsRefusedByItsPath(String what, List<RBAC> filters, String fieldPath) {
        RbacConfigException refused = refuse(what, filters);

        assertThat(refused.fieldPath()).isEqualTo(fieldPath);
        assertThat(refused.getMessage()).isEqualTo(fieldPath + ": " + refused.problem());
    }

    @Test
    void messageNamesPolicyFieldAndProblem() {
        assertThatThrownBy(() -> RbacCompiler.compile(
                        "v1",
                        withPermissions(
                                anyPermission(),
                                Permission.newBuilder()
                                        .setMetadata(MetadataMatcher.getDefaultInstance())
                                        .build())))
                .isInstanceOf(UnsupportedRbacException.class)
                .hasMessage("ns[shop]-policy[p]-rule[0].permissions[1].metadata: not supported");
        assertThatThrownBy(() -> RbacCompiler.compile("v1", withPermissions(urlPath(regex("a(")))))
                .isInstanceOf(RbacConfigException.class)
                .hasMessage("ns[shop]-policy[p]-rule[0].permissions[0].url_path.path.safe_regex.regex:"
                        + " invalid RE2 regex \"a(\": missing closing )");
        assertThatThrownBy(() -> RbacCompiler.compile("v1", List.of(allow(anyNamed()), deny(anyNamed()))))
                .hasMessage("filters[1]: a DENY filter after a ALLOW filter (expected: DENY, LOG (AUDIT), ALLOW,"
                        + " dry-run DENY, dry-run ALLOW, each at most once, in this order)");
    }

    @Test
    void tcpFiltersRefuseHttpConditionsAndContinuousEnforcement() {
        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC headerRule =
                tcp(policy("p", header("x-a", exact("a")), anyPrincipal()));
        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC pathRule =
                tcp(policy("p", path("/a"), anyPrincipal()));
        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC principalHeader =
                tcp(policy("p", anyPermission(), Rbac.principalHeader("x-a", exact("a"))));

        assertThatThrownBy(() -> RbacCompiler.compileTcp("v1", List.of(headerRule)))
                .isInstanceOf(UnsupportedRbacException.class)
                .hasMessage(
                        P + ".permissions[0].header: not supported: an HTTP condition in a TCP (network) RBAC filter");
        assertThatThrownBy(() -> RbacCompiler.compileTcp("v1", List.of(pathRule)))
                .hasMessageStartingWith(P + ".permissions[0].url_path: not supported");
        assertThatThrownBy(() -> RbacCompiler.compileTcp("v1", List.of(principalHeader)))
                .hasMessageStartingWith(P + ".principals[0].header: not supported");
        assertThatThrownBy(() -> RbacCompiler.compileTcp(
                        "v1",
                        List.of(tcp(anyNamed()).toBuilder()
                                .setEnforcementType(
                                        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.EnforcementType
                                                .CONTINUOUS)
                                .build())))
                .hasMessageStartingWith("filters[0].enforcement_type: not supported");
        assertThatThrownBy(() -> RbacCompiler.compileTcp(
                        "v1",
                        List.of(tcp(anyNamed()).toBuilder()
                                .setDelayDeny(Duration.newBuilder().setSeconds(1))
                                .build())))
                .hasMessageStartingWith("filters[0].delay_deny: not supported");
    }

    /** Every supported matcher, in every position the contract uses, compiles. */
    @Test
    void everySupportedMatcherCompiles() throws RbacConfigException {
        Permission everyPermission = Rbac.or(
                Rbac.and(Rbac.method("GET"), Rbac.pathPrefix("/v1/"), Rbac.port(8080)),
                Rbac.not(Rbac.path("/v1/admin")),
                Rbac.host("payments.shop"),
                header(":authority", ignoringCase(Rbac.suffix(".shop"))),
                header(":path", exact("/a")),
                header("x-tenant", regex("acme-[0-9]+")),
                header("x-tenant", Rbac.contains("cm")),
                Rbac.headerInverted("x-tenant", exact("evil")),
                Rbac.headerPresent("x-tenant", true),
                Rbac.headerPresent("x-tenant", false),
                urlPath(regex(".+")),
                urlPath(Rbac.suffix(".json")),
                Rbac.portRange(8000, 9000),
                Rbac.destinationIp("10.0.0.0", 8),
                Rbac.destinationIp("2001:db8::", 32),
                Rbac.serverName(Rbac.suffix(".shop")),
                Rbac.anyPermission());
        Principal everyPrincipal = Rbac.orIds(
                Rbac.principal("spiffe://cluster.local/ns/shop/sa/checkout"),
                Rbac.namespace("shop"),
                Rbac.anyAuthenticated(),
                authenticated(Rbac.suffix("/sa/checkout")),
                Principal.newBuilder()
                        .setAuthenticated(Principal.Authenticated.getDefaultInstance())
                        .build(),
                Rbac.andIds(Rbac.ipBlock("10.0.0.0", 8), Rbac.notId(Rbac.remoteIp("10.1.0.0", 16))),
                Rbac.sourceIp("::1", 128),
                Rbac.principalHeader("x-user", exact("alice")),
                Rbac.principalPath(prefix("/internal/")),
                Rbac.anyPrincipal());
        Map.Entry<String, Policy> everything = Map.entry(
                name("shop", "everything", 0), Rbac.policy(List.of(everyPermission), List.of(everyPrincipal)));

        AuthzEngine engine = RbacCompiler.compile(
                "v1",
                List.of(
                        deny(everything),
                        Rbac.audit(everything),
                        allow(everything),
                        Rbac.dryRunDeny(everything),
                        Rbac.dryRunAllow(everything)));

        assertThat(engine.policyCount()).isEqualTo(5);
        assertThat(engine.isCacheable()).as("x-tenant and x-user conditions").isFalse();
    }

    @Test
    void cacheabilityIsDecidedByHeaderNamesAtCompileTime() {
        assertThat(Rbac.compile(allow(policy(
                                "p",
                                Rbac.and(
                                        Rbac.method("GET"),
                                        Rbac.host("a"),
                                        header(":path", exact("/")),
                                        header("Host", exact("a"))),
                                anyPrincipal())))
                        .isCacheable())
                .isTrue();
        assertThat(Rbac.compile(allow(policy("p", Rbac.headerPresent("x-a", true), anyPrincipal())))
                        .isCacheable())
                .isFalse();
        assertThat(Rbac.compile(Rbac.dryRunDeny(policy("p", anyPermission(), Rbac.principalHeader("x-a", exact("a")))))
                        .isCacheable())
                .as("dry-run filters count too")
                .isFalse();
        assertThat(Rbac.compile().isCacheable()).isTrue();
    }

    private static RbacConfigException refuse(String what, List<RBAC> filters) {
        Throwable thrown = catchThrowable(() -> RbacCompiler.compile("v1", filters));
        assertThat(thrown).as(what).isInstanceOf(RbacConfigException.class);
        return (RbacConfigException) thrown;
    }

    private static Arguments refused(String what, List<RBAC> filters, String fieldPath) {
        return Arguments.of(what, filters, fieldPath);
    }

    private static List<RBAC> withPermissions(Permission... permissions) {
        return List.of(allow(Map.entry(P, Rbac.policy(List.of(permissions), List.of(anyPrincipal())))));
    }

    private static List<RBAC> withPrincipals(Principal... principals) {
        return List.of(allow(Map.entry(P, Rbac.policy(List.of(anyPermission()), List.of(principals)))));
    }

    private static Policy anyPolicy() {
        return Rbac.policy(List.of(anyPermission()), List.of(anyPrincipal()));
    }

    private static Map.Entry<String, Policy> anyNamed() {
        return Map.entry(P, anyPolicy());
    }

    private static Permission headerWith(HeaderMatcher.Builder header) {
        return Permission.newBuilder().setHeader(header).build();
    }

    @SuppressWarnings("deprecation")
    private static RegexMatcher maxProgramSize() {
        return RegexMatcher.newBuilder()
                .setRegex("a")
                .setGoogleRe2(RegexMatcher.GoogleRE2.newBuilder().setMaxProgramSize(UInt32Value.of(10)))
                .build();
    }

    private static UnknownFieldSet unknownField(int number) {
        return UnknownFieldSet.newBuilder()
                .addField(
                        number, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                .build();
    }

    @SafeVarargs
    private static io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC tcp(
            Map.Entry<String, Policy>... policies) {
        return io.envoyproxy
                .envoy
                .extensions
                .filters
                .network
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setStatPrefix("palisade_tcp")
                .setRules(Rbac.config(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW, policies))
                .build();
    }
}
