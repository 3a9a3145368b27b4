package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.MessageOrBuilder;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.Int32Range;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles the ordered list of Envoy RBAC filter configs that the control plane sends for a
 * workload into an {@link AuthzEngine}, once, when the config arrives (grpc-java's {@code
 * GrpcAuthorizationEngine} does the same): after this, no request touches a proto.
 *
 * <p>The list follows the contract with the policy compiler: DENY ({@code rules.action = DENY}),
 * AUDIT ({@code LOG}), ALLOW, dry-run DENY ({@code shadow_rules} only, action DENY), dry-run ALLOW
 * ({@code shadow_rules} only, action ALLOW), each at most once and in that order; policy names are
 * {@code ns[<namespace>]-policy[<name>]-rule[<index>]}. A list that breaks the contract is refused.
 *
 * <p>Supported, as Envoy defines them: {@code Permission} {@code and_rules}, {@code or_rules},
 * {@code not_rule}, {@code any}, {@code header}, {@code url_path}, {@code destination_ip}, {@code
 * destination_port}, {@code destination_port_range}, {@code requested_server_name}; {@code
 * Principal} {@code and_ids}, {@code or_ids}, {@code not_id}, {@code any}, {@code authenticated},
 * {@code direct_remote_ip}, {@code remote_ip}, {@code source_ip}, {@code header}, {@code
 * url_path}; {@code HeaderMatcher} {@code string_match} and {@code present_match} with {@code
 * invert_match}; {@code StringMatcher} {@code exact}, {@code prefix}, {@code suffix}, {@code
 * contains}, {@code safe_regex} (RE2 syntax, through RE2/J), {@code ignore_case}.
 *
 * <p>Everything else is refused with a {@link RbacConfigException} naming the field, never
 * ignored: a field Envoy would enforce and the sidecar did not would be a different policy. That
 * includes {@code metadata}, {@code sourced_metadata}, {@code filter_state}, {@code matcher},
 * {@code uri_template}, {@code custom} principals, CEL {@code condition}s, {@code
 * audit_logging_options}, deprecated header match forms, {@code range_match}, {@code
 * treat_missing_header_as_empty}, {@code ignore_case} on a regex (Envoy ignores it), a regex that
 * RE2 does not compile, pseudo-headers other than {@code :method}, {@code :authority} and {@code
 * :path}, and fields unknown to this version of the Envoy API. Two restrictions go beyond Envoy,
 * from the contract: a principal name is a literal ({@code exact}, {@code prefix}, {@code suffix},
 * {@code contains}; the only regex is {@code .+}, "any authenticated peer"; no {@code
 * ignore_case}), so that a {@code .} in a SPIFFE ID is a dot (Istio CVE-2026-39350); and {@code
 * destination_port} 0, which Envoy accepts and never matches, is refused.
 *
 * <p>Header conditions get their {@link MultiValueMode} here: ANY in DENY and LOG filters, EVERY
 * in ALLOW filters, flipped under each negation. Alternatives that are all EVERY-mode conditions
 * on one header ({@code values: [acme, "beta-*"]}) compile to a {@link HeaderAlternativesMatcher}:
 * every value must match one of them, not every value the same one.
 */
public final class RbacCompiler {

    private static final Logger logger = LoggerFactory.getLogger(RbacCompiler.class);

    /** The regex the contract uses for the principal {@code *}, "any authenticated peer". */
    static final String ANY_PRINCIPAL_REGEX = ".+";

    /** RE2/J program size above which a regex is refused, as Envoy refuses large RE2 programs. */
    static final int MAX_REGEX_PROGRAM_SIZE = 1000;

    private static final String ORDER =
            "expected: DENY, LOG (AUDIT), ALLOW, dry-run DENY, dry-run ALLOW, each at most once, in this order";

    private final boolean tcp;
    private final Map<FilterKind, List<CompiledPolicy>> filters = new EnumMap<>(FilterKind.class);
    private @Nullable FilterKind lastKind;
    private boolean headerDependent;
    private boolean usesSourceIp;
    private boolean usesDestinationIp;
    private boolean usesServerName;

    private RbacCompiler(boolean tcp) {
        this.tcp = tcp;
    }

    /**
     * Compiles the HTTP RBAC filter configs of one workload.
     *
     * @param version the version to report in every decision (the xDS resource version)
     * @param filters the filter configs, in the contract's order; empty: the mesh default allows
     * @throws RbacConfigException when a config breaks the contract or uses what the engine does
     *     not support; the xDS client NACKs it and keeps the last good engine
     */
    public static AuthzEngine compile(
            String version, List<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> filters)
            throws RbacConfigException {
        requireNonNull(version, "version");
        requireNonNull(filters, "filters");
        RbacCompiler compiler = new RbacCompiler(false);
        for (int i = 0; i < filters.size(); i++) {
            io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC filter = filters.get(i);
            String path = "filters[" + i + "]";
            checkKnown(filter, path);
            if (filter.hasMatcher()) {
                throw new UnsupportedRbacException(path + ".matcher");
            }
            if (filter.hasShadowMatcher()) {
                throw new UnsupportedRbacException(path + ".shadow_matcher");
            }
            compiler.addFilter(
                    path,
                    filter.hasRules() ? filter.getRules() : null,
                    filter.hasShadowRules() ? filter.getShadowRules() : null);
        }
        return compiler.build(version);
    }

    /**
     * Compiles the network (TCP) RBAC filter configs for ports declared opaque: the same contract,
     * without conditions on HTTP ({@code header}, {@code url_path}), which are refused.
     *
     * @throws RbacConfigException as {@link #compile}
     */
    public static AuthzEngine compileTcp(
            String version, List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> filters)
            throws RbacConfigException {
        requireNonNull(version, "version");
        requireNonNull(filters, "filters");
        RbacCompiler compiler = new RbacCompiler(true);
        for (int i = 0; i < filters.size(); i++) {
            io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC filter = filters.get(i);
            String path = "filters[" + i + "]";
            checkKnown(filter, path);
            if (filter.hasMatcher()) {
                throw new UnsupportedRbacException(path + ".matcher");
            }
            if (filter.hasShadowMatcher()) {
                throw new UnsupportedRbacException(path + ".shadow_matcher");
            }
            if (filter.getEnforcementType()
                    != io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.EnforcementType
                            .ONE_TIME_ON_FIRST_BYTE) {
                throw new UnsupportedRbacException(
                        path + ".enforcement_type", filter.getEnforcementType() + " (only ONE_TIME_ON_FIRST_BYTE)");
            }
            if (filter.hasDelayDeny()) {
                throw new UnsupportedRbacException(path + ".delay_deny");
            }
            compiler.addFilter(
                    path,
                    filter.hasRules() ? filter.getRules() : null,
                    filter.hasShadowRules() ? filter.getShadowRules() : null);
        }
        return compiler.build(version);
    }

    private AuthzEngine build(String version) {
        KeyShape shape = new KeyShape(!headerDependent, usesSourceIp, usesDestinationIp, usesServerName);
        AuthzEngine engine = new AuthzEngine(version, filters, shape);
        logger.debug("compiled {} RBAC: {}", tcp ? "TCP" : "HTTP", engine);
        return engine;
    }

    private void addFilter(
            String path,
            io.envoyproxy.envoy.config.rbac.v3.@Nullable RBAC rules,
            io.envoyproxy.envoy.config.rbac.v3.@Nullable RBAC shadowRules)
            throws RbacConfigException {
        if (rules != null && shadowRules != null) {
            throw new RbacConfigException(
                    path, "both rules and shadow_rules (expected: dry-run policies in a filter of their own)");
        }
        io.envoyproxy.envoy.config.rbac.v3.RBAC config;
        String configPath;
        FilterKind kind;
        if (rules != null) {
            config = rules;
            configPath = path + ".rules";
            kind = switch (rules.getAction()) {
                case DENY -> FilterKind.DENY;
                case LOG -> FilterKind.AUDIT;
                case ALLOW -> FilterKind.ALLOW;
                case UNRECOGNIZED ->
                    throw new RbacConfigException(configPath + ".action", "unknown action " + rules.getActionValue());
            };
        } else if (shadowRules != null) {
            config = shadowRules;
            configPath = path + ".shadow_rules";
            kind = switch (shadowRules.getAction()) {
                case DENY -> FilterKind.DRY_RUN_DENY;
                case ALLOW -> FilterKind.DRY_RUN_ALLOW;
                case LOG -> throw new UnsupportedRbacException(configPath + ".action", "LOG in shadow_rules");
                case UNRECOGNIZED ->
                    throw new RbacConfigException(
                            configPath + ".action", "unknown action " + shadowRules.getActionValue());
            };
        } else {
            throw new RbacConfigException(path, "neither rules nor shadow_rules");
        }
        FilterKind previous = lastKind;
        if (previous != null && kind.compareTo(previous) <= 0) {
            throw new RbacConfigException(
                    path, "a " + kind + " filter after a " + previous + " filter (" + ORDER + ")");
        }
        lastKind = kind;

        checkKnown(config, configPath);
        if (config.hasAuditLoggingOptions()) {
            throw new UnsupportedRbacException(configPath + ".audit_logging_options");
        }
        List<CompiledPolicy> policies = new ArrayList<>(config.getPoliciesCount());
        // Policy-name order (the contract): the first match in this order is the one reported.
        for (Map.Entry<String, Policy> entry : new TreeMap<>(config.getPoliciesMap()).entrySet()) {
            policies.add(compilePolicy(entry.getKey(), entry.getValue(), kind.mode()));
        }
        filters.put(kind, policies);
    }

    private CompiledPolicy compilePolicy(String name, Policy policy, MultiValueMode mode) throws RbacConfigException {
        PolicyRef ref;
        try {
            ref = PolicyRef.parse(name);
        } catch (IllegalArgumentException e) {
            throw new RbacConfigException(name, String.valueOf(e.getMessage()));
        }
        checkKnown(policy, name);
        if (policy.hasCondition()) {
            throw new UnsupportedRbacException(name + ".condition", "CEL conditions");
        }
        if (policy.hasCheckedCondition()) {
            throw new UnsupportedRbacException(name + ".checked_condition", "CEL conditions");
        }
        if (policy.getPermissionsCount() == 0) {
            throw new RbacConfigException(name + ".permissions", "empty (expected: at least one permission)");
        }
        if (policy.getPrincipalsCount() == 0) {
            throw new RbacConfigException(name + ".principals", "empty (expected: at least one principal)");
        }
        List<Matcher> permissions = new ArrayList<>(policy.getPermissionsCount());
        for (int i = 0; i < policy.getPermissionsCount(); i++) {
            permissions.add(compilePermission(policy.getPermissions(i), name + ".permissions[" + i + "]", mode));
        }
        List<Matcher> principals = new ArrayList<>(policy.getPrincipalsCount());
        for (int i = 0; i < policy.getPrincipalsCount(); i++) {
            principals.add(compilePrincipal(policy.getPrincipals(i), name + ".principals[" + i + "]", mode));
        }
        return new CompiledPolicy(ref, anyOf(permissions), anyOf(principals));
    }

    /**
     * Alternatives: {@code or_rules}, {@code or_ids}, and a policy's list of permissions or
     * principals, which Envoy evaluates alike. Alternatives that are all EVERY-mode conditions on
     * one header become a {@link HeaderAlternativesMatcher}, so that each value may match a
     * different alternative ({@code x-tenant: acme} and {@code x-tenant: beta-1} against {@code
     * values: [acme, "beta-*"]}); anything else is an {@link OrMatcher}.
     */
    private static Matcher or(List<Matcher> matchers) {
        Matcher sameHeader = HeaderAlternativesMatcher.of(matchers);
        return sameHeader != null ? sameHeader : new OrMatcher(matchers);
    }

    /** A policy's permissions or principals: {@link #or}, or the only one. */
    private static Matcher anyOf(List<Matcher> matchers) {
        return matchers.size() == 1 ? matchers.get(0) : or(matchers);
    }

    private Matcher compilePermission(Permission permission, String path, MultiValueMode mode)
            throws RbacConfigException {
        checkKnown(permission, path);
        switch (permission.getRuleCase()) {
            case AND_RULES:
                return new AndMatcher(compilePermissions(permission.getAndRules(), path + ".and_rules", mode));
            case OR_RULES:
                return or(compilePermissions(permission.getOrRules(), path + ".or_rules", mode));
            case ANY:
                return any(permission.getAny(), path);
            case HEADER:
                requireHttp(path + ".header");
                return compileHeader(permission.getHeader(), path + ".header", mode);
            case URL_PATH:
                requireHttp(path + ".url_path");
                return compileUrlPath(permission.getUrlPath(), path + ".url_path");
            case DESTINATION_IP:
                usesDestinationIp = true;
                return new CidrMatcher(
                        "destination_ip", compileCidr(permission.getDestinationIp(), path + ".destination_ip"), true);
            case DESTINATION_PORT:
                int port = permission.getDestinationPort();
                if (port < 1 || port > 65535) {
                    throw new RbacConfigException(
                            path + ".destination_port", Integer.toUnsignedString(port) + " (expected: 1..65535)");
                }
                return DestinationPortMatcher.port(port);
            case DESTINATION_PORT_RANGE:
                return compilePortRange(permission.getDestinationPortRange(), path + ".destination_port_range");
            case NOT_RULE:
                return new NotMatcher(compilePermission(permission.getNotRule(), path + ".not_rule", mode.flip()));
            case REQUESTED_SERVER_NAME:
                usesServerName = true;
                return new ServerNameMatcher(
                        compileString(permission.getRequestedServerName(), path + ".requested_server_name"));
            case METADATA:
                throw new UnsupportedRbacException(path + ".metadata");
            case MATCHER:
                throw new UnsupportedRbacException(path + ".matcher");
            case URI_TEMPLATE:
                throw new UnsupportedRbacException(path + ".uri_template");
            case SOURCED_METADATA:
                throw new UnsupportedRbacException(path + ".sourced_metadata");
            case RULE_NOT_SET:
            default:
                throw new RbacConfigException(
                        path,
                        "no rule set (expected one of: and_rules, or_rules, any, header,"
                                + " url_path, destination_ip, destination_port, destination_port_range, not_rule,"
                                + " requested_server_name)");
        }
    }

    private List<Matcher> compilePermissions(Permission.Set set, String path, MultiValueMode mode)
            throws RbacConfigException {
        checkKnown(set, path);
        if (set.getRulesCount() == 0) {
            throw new RbacConfigException(path + ".rules", "empty (expected: at least one rule)");
        }
        List<Matcher> matchers = new ArrayList<>(set.getRulesCount());
        for (int i = 0; i < set.getRulesCount(); i++) {
            matchers.add(compilePermission(set.getRules(i), path + ".rules[" + i + "]", mode));
        }
        return matchers;
    }

    private Matcher compilePrincipal(Principal principal, String path, MultiValueMode mode) throws RbacConfigException {
        checkKnown(principal, path);
        switch (principal.getIdentifierCase()) {
            case AND_IDS:
                return new AndMatcher(compilePrincipals(principal.getAndIds(), path + ".and_ids", mode));
            case OR_IDS:
                return or(compilePrincipals(principal.getOrIds(), path + ".or_ids", mode));
            case ANY:
                return any(principal.getAny(), path);
            case AUTHENTICATED:
                return compileAuthenticated(principal.getAuthenticated(), path + ".authenticated");
            case SOURCE_IP:
                return sourceIp("source_ip", compileCidr(sourceIpOf(principal), path + ".source_ip"));
            case DIRECT_REMOTE_IP:
                return sourceIp(
                        "direct_remote_ip", compileCidr(principal.getDirectRemoteIp(), path + ".direct_remote_ip"));
            case REMOTE_IP:
                return sourceIp("remote_ip", compileCidr(principal.getRemoteIp(), path + ".remote_ip"));
            case HEADER:
                requireHttp(path + ".header");
                return compileHeader(principal.getHeader(), path + ".header", mode);
            case URL_PATH:
                requireHttp(path + ".url_path");
                return compileUrlPath(principal.getUrlPath(), path + ".url_path");
            case NOT_ID:
                return new NotMatcher(compilePrincipal(principal.getNotId(), path + ".not_id", mode.flip()));
            case METADATA:
                throw new UnsupportedRbacException(path + ".metadata");
            case FILTER_STATE:
                throw new UnsupportedRbacException(path + ".filter_state");
            case SOURCED_METADATA:
                throw new UnsupportedRbacException(path + ".sourced_metadata");
            case CUSTOM:
                throw new UnsupportedRbacException(path + ".custom");
            case IDENTIFIER_NOT_SET:
            default:
                throw new RbacConfigException(
                        path,
                        "no identifier set (expected one of: and_ids, or_ids, any,"
                                + " authenticated, direct_remote_ip, remote_ip, source_ip, header, url_path, not_id)");
        }
    }

    @SuppressWarnings("deprecation") // source_ip is deprecated in favour of direct_remote_ip, and means the same.
    private static CidrRange sourceIpOf(Principal principal) {
        return principal.getSourceIp();
    }

    private Matcher sourceIp(String field, Cidr range) {
        usesSourceIp = true;
        return new CidrMatcher(field, range, false);
    }

    private List<Matcher> compilePrincipals(Principal.Set set, String path, MultiValueMode mode)
            throws RbacConfigException {
        checkKnown(set, path);
        if (set.getIdsCount() == 0) {
            throw new RbacConfigException(path + ".ids", "empty (expected: at least one id)");
        }
        List<Matcher> matchers = new ArrayList<>(set.getIdsCount());
        for (int i = 0; i < set.getIdsCount(); i++) {
            matchers.add(compilePrincipal(set.getIds(i), path + ".ids[" + i + "]", mode));
        }
        return matchers;
    }

    private static Matcher any(boolean any, String path) throws RbacConfigException {
        if (!any) {
            throw new RbacConfigException(path + ".any", "false (expected: true)");
        }
        return AnyMatcher.INSTANCE;
    }

    private void requireHttp(String path) throws RbacConfigException {
        if (tcp) {
            throw new UnsupportedRbacException(path, "an HTTP condition in a TCP (network) RBAC filter");
        }
    }

    /** Identities are literals (the contract; Istio CVE-2026-39350): no regex but {@code .+}, no ignore_case. */
    private static Matcher compileAuthenticated(Principal.Authenticated authenticated, String path)
            throws RbacConfigException {
        checkKnown(authenticated, path);
        if (!authenticated.hasPrincipalName()) {
            return new AuthenticatedMatcher(null);
        }
        StringMatcher name = authenticated.getPrincipalName();
        String namePath = path + ".principal_name";
        if (name.getIgnoreCase()) {
            throw new UnsupportedRbacException(
                    namePath + ".ignore_case", "identities are compared exactly (SPIFFE IDs are case-sensitive)");
        }
        if (name.getMatchPatternCase() == StringMatcher.MatchPatternCase.SAFE_REGEX
                && !ANY_PRINCIPAL_REGEX.equals(name.getSafeRegex().getRegex())) {
            throw new UnsupportedRbacException(
                    namePath + ".safe_regex",
                    "identities are literals; the only regex accepted is \"" + ANY_PRINCIPAL_REGEX
                            + "\" (any authenticated peer), got \""
                            + name.getSafeRegex().getRegex() + "\"");
        }
        return new AuthenticatedMatcher(compileString(name, namePath));
    }

    private Matcher compileHeader(HeaderMatcher header, String path, MultiValueMode mode) throws RbacConfigException {
        checkKnown(header, path);
        String name = header.getName();
        if (!isHeaderName(name)) {
            throw new RbacConfigException(path + ".name", "\"" + name + "\" (expected: a header name)");
        }
        HeaderRef ref = HeaderRef.of(name.toLowerCase(Locale.ROOT));
        if (ref == null) {
            throw new UnsupportedRbacException(
                    path + ".name", "pseudo-header " + name + " (supported: :method, :authority, :path)");
        }
        if (header.getTreatMissingHeaderAsEmpty()) {
            throw new UnsupportedRbacException(path + ".treat_missing_header_as_empty");
        }
        Matcher matcher =
                switch (header.getHeaderMatchSpecifierCase()) {
                    case STRING_MATCH ->
                        new HeaderValueMatcher(
                                ref,
                                compileString(header.getStringMatch(), path + ".string_match"),
                                mode,
                                header.getInvertMatch());
                    case PRESENT_MATCH ->
                        new HeaderPresentMatcher(ref, header.getPresentMatch(), header.getInvertMatch());
                    case EXACT_MATCH -> throw deprecatedHeaderMatch(path + ".exact_match");
                    case SAFE_REGEX_MATCH -> throw deprecatedHeaderMatch(path + ".safe_regex_match");
                    case PREFIX_MATCH -> throw deprecatedHeaderMatch(path + ".prefix_match");
                    case SUFFIX_MATCH -> throw deprecatedHeaderMatch(path + ".suffix_match");
                    case CONTAINS_MATCH -> throw deprecatedHeaderMatch(path + ".contains_match");
                    case RANGE_MATCH -> throw new UnsupportedRbacException(path + ".range_match");
                    case HEADERMATCHSPECIFIER_NOT_SET ->
                        throw new RbacConfigException(
                                path, "no match specified (expected: string_match or present_match)");
                };
        if (!ref.isPseudo()) {
            headerDependent = true;
        }
        return matcher;
    }

    private static UnsupportedRbacException deprecatedHeaderMatch(String path) {
        return new UnsupportedRbacException(path, "deprecated since Envoy API v3.0 (expected: string_match)");
    }

    /** An RFC 9110 token, optionally after one {@code :} (pseudo-headers). */
    private static boolean isHeaderName(String name) {
        int start = name.startsWith(":") ? 1 : 0;
        if (name.length() <= start) {
            return false;
        }
        for (int i = start; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean token = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!token) {
                return false;
            }
        }
        return true;
    }

    private static Matcher compileUrlPath(PathMatcher pathMatcher, String path) throws RbacConfigException {
        checkKnown(pathMatcher, path);
        if (pathMatcher.getRuleCase() != PathMatcher.RuleCase.PATH) {
            throw new RbacConfigException(path, "no rule set (expected: path)");
        }
        return new UrlPathMatcher(compileString(pathMatcher.getPath(), path + ".path"));
    }

    private static Matcher compilePortRange(Int32Range range, String path) throws RbacConfigException {
        checkKnown(range, path);
        int start = range.getStart();
        int end = range.getEnd();
        if (start < 0 || end > 65536 || start >= end) {
            throw new RbacConfigException(
                    path, "[" + start + ", " + end + ") (expected: 0 <= start < end <= 65536, end exclusive)");
        }
        return DestinationPortMatcher.range(start, end);
    }

    private static Cidr compileCidr(CidrRange range, String path) throws RbacConfigException {
        checkKnown(range, path);
        // Envoy: prefix_len defaults to 0 when unset.
        int prefixLength = range.hasPrefixLen() ? range.getPrefixLen().getValue() : 0;
        try {
            return Cidr.of(range.getAddressPrefix(), prefixLength);
        } catch (IllegalArgumentException e) {
            throw new RbacConfigException(path, String.valueOf(e.getMessage()));
        }
    }

    private static StringMatch compileString(StringMatcher matcher, String path) throws RbacConfigException {
        checkKnown(matcher, path);
        boolean ignoreCase = matcher.getIgnoreCase();
        return switch (matcher.getMatchPatternCase()) {
            case EXACT -> StringMatch.literal(StringMatch.Kind.EXACT, matcher.getExact(), ignoreCase);
            case PREFIX ->
                StringMatch.literal(
                        StringMatch.Kind.PREFIX, nonEmpty(matcher.getPrefix(), path + ".prefix"), ignoreCase);
            case SUFFIX ->
                StringMatch.literal(
                        StringMatch.Kind.SUFFIX, nonEmpty(matcher.getSuffix(), path + ".suffix"), ignoreCase);
            case CONTAINS ->
                StringMatch.literal(
                        StringMatch.Kind.CONTAINS, nonEmpty(matcher.getContains(), path + ".contains"), ignoreCase);
            case SAFE_REGEX -> {
                if (ignoreCase) {
                    throw new UnsupportedRbacException(
                            path + ".ignore_case", "with safe_regex (Envoy ignores it; refused rather than ignored)");
                }
                yield StringMatch.regex(compileRegex(matcher.getSafeRegex(), path + ".safe_regex"));
            }
            case CUSTOM -> throw new UnsupportedRbacException(path + ".custom");
            case MATCHPATTERN_NOT_SET ->
                throw new RbacConfigException(
                        path, "no match pattern (expected one of: exact, prefix, suffix, contains, safe_regex)");
        };
    }

    private static String nonEmpty(String value, String path) throws RbacConfigException {
        if (value.isEmpty()) {
            throw new RbacConfigException(path, "empty (expected: at least one character)");
        }
        return value;
    }

    @SuppressWarnings("deprecation") // google_re2 and its max_program_size are deprecated, and still honoured by Envoy.
    private static Pattern compileRegex(RegexMatcher matcher, String path) throws RbacConfigException {
        checkKnown(matcher, path);
        if (matcher.hasGoogleRe2()) {
            checkKnown(matcher.getGoogleRe2(), path + ".google_re2");
            if (matcher.getGoogleRe2().hasMaxProgramSize()) {
                throw new UnsupportedRbacException(path + ".google_re2.max_program_size");
            }
        }
        String regex = matcher.getRegex();
        if (regex.isEmpty()) {
            throw new RbacConfigException(path + ".regex", "empty (expected: an RE2 regex)");
        }
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new RbacConfigException(
                    path + ".regex", "invalid RE2 regex \"" + regex + "\": " + e.getDescription());
        }
        if (pattern.programSize() > MAX_REGEX_PROGRAM_SIZE) {
            throw new RbacConfigException(
                    path + ".regex",
                    "RE2 program size " + pattern.programSize() + " of \"" + regex + "\" (expected: <= "
                            + MAX_REGEX_PROGRAM_SIZE + ")");
        }
        return pattern;
    }

    /**
     * Refuses a message carrying fields this version of the Envoy API does not know: a newer
     * control plane may use a matcher that is then invisible here, and ignoring it is not an option.
     */
    private static void checkKnown(MessageOrBuilder message, String path) throws UnsupportedRbacException {
        if (!message.getUnknownFields().asMap().isEmpty()) {
            throw new UnsupportedRbacException(
                    path,
                    "unknown field number(s) "
                            + message.getUnknownFields().asMap().keySet()
                            + " (from a newer Envoy API than this sidecar's)");
        }
    }
}
