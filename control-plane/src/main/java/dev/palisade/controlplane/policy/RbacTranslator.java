package dev.palisade.controlplane.policy;

import com.google.protobuf.UInt32Value;
import dev.palisade.certs.spiffe.TrustDomain;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Translates one {@link Rule} into one Envoy RBAC {@link Policy}, with the field mapping of the
 * contract with the authorization engine (README, "Compile output"):
 *
 * <ul>
 *   <li>{@code permissions}: one {@code and_rules} per {@code to} entry (or one for the request
 *       conditions alone), holding one {@code or_rules} per field and one per request condition;
 *       {@code [{any: true}]} when the rule says nothing about the request;
 *   <li>{@code principals}: likewise from {@code from} entries and source conditions, with {@code
 *       and_ids}/{@code or_ids}; {@code [{any: true}]} when the rule says nothing about the source;
 *   <li>{@code not*} fields and {@code notValues}: {@code not_rule}/{@code not_id} around an {@code
 *       or_rules}/{@code or_ids} of the values.
 * </ul>
 *
 * <p>Identity values become literal string matchers; the only regular expression ever emitted is
 * {@code .+}, for the {@code *} path and principal.
 */
final class RbacTranslator {

    private static final String ANY_NON_EMPTY = ".+";

    private final TrustDomain trustDomain;

    RbacTranslator(TrustDomain trustDomain) {
        this.trustDomain = trustDomain;
    }

    Policy policy(Rule rule) {
        List<Condition> requestConditions = new ArrayList<>();
        List<Condition> sourceConditions = new ArrayList<>();
        for (Condition c : rule.when()) {
            (c.attribute().aboutSource() ? sourceConditions : requestConditions).add(c);
        }
        Policy.Builder policy = Policy.newBuilder();

        List<Permission> conditionPermissions = new ArrayList<>();
        for (Condition c : requestConditions) {
            conditionPermissions.addAll(conditionPermissions(c));
        }
        if (!rule.to().isEmpty()) {
            for (Operation op : rule.to()) {
                List<Permission> fields = operationPermissions(op);
                fields.addAll(conditionPermissions);
                policy.addPermissions(andRules(fields));
            }
        } else if (!conditionPermissions.isEmpty()) {
            policy.addPermissions(andRules(conditionPermissions));
        } else {
            policy.addPermissions(Permission.newBuilder().setAny(true));
        }

        List<Principal> conditionPrincipals = new ArrayList<>();
        for (Condition c : sourceConditions) {
            conditionPrincipals.addAll(conditionPrincipals(c));
        }
        if (!rule.from().isEmpty()) {
            for (Source source : rule.from()) {
                List<Principal> fields = sourcePrincipals(source);
                fields.addAll(conditionPrincipals);
                policy.addPrincipals(andIds(fields));
            }
        } else if (!conditionPrincipals.isEmpty()) {
            policy.addPrincipals(andIds(conditionPrincipals));
        } else {
            policy.addPrincipals(Principal.newBuilder().setAny(true));
        }
        return policy.build();
    }

    // ---------------------------------------------------------------- permissions

    private static List<Permission> operationPermissions(Operation op) {
        List<Permission> fields = new ArrayList<>();
        addPermissionField(fields, op.methods(), false, RbacTranslator::method);
        addPermissionField(fields, op.notMethods(), true, RbacTranslator::method);
        addPermissionField(fields, op.paths(), false, RbacTranslator::path);
        addPermissionField(fields, op.notPaths(), true, RbacTranslator::path);
        addPermissionField(fields, op.ports(), false, RbacTranslator::port);
        addPermissionField(fields, op.notPorts(), true, RbacTranslator::port);
        addPermissionField(fields, op.hosts(), false, RbacTranslator::host);
        addPermissionField(fields, op.notHosts(), true, RbacTranslator::host);
        return fields;
    }

    private static List<Permission> conditionPermissions(Condition c) {
        List<Permission> fields = new ArrayList<>();
        Function<String, Permission> matcher =
                switch (c.attribute()) {
                    case REQUEST_HEADER -> {
                        String name = c.headerName();
                        yield v -> header(name, v);
                    }
                    case DESTINATION_PORT -> RbacTranslator::port;
                    default -> throw new IllegalArgumentException(c.key() + " is about the source");
                };
        addPermissionField(fields, c.values(), false, matcher);
        addPermissionField(fields, c.notValues(), true, matcher);
        return fields;
    }

    private static void addPermissionField(
            List<Permission> fields, List<String> values, boolean negated, Function<String, Permission> matcher) {
        if (values.isEmpty()) {
            return;
        }
        Permission.Set.Builder or = Permission.Set.newBuilder();
        for (String v : values) {
            or.addRules(matcher.apply(v));
        }
        Permission field = Permission.newBuilder().setOrRules(or).build();
        fields.add(negated ? Permission.newBuilder().setNotRule(field).build() : field);
    }

    private static Permission andRules(List<Permission> rules) {
        return Permission.newBuilder()
                .setAndRules(Permission.Set.newBuilder().addAllRules(rules))
                .build();
    }

    private static Permission method(String method) {
        return Permission.newBuilder()
                .setHeader(HeaderMatcher.newBuilder()
                        .setName(":method")
                        .setStringMatch(StringMatcher.newBuilder().setExact(method)))
                .build();
    }

    private static Permission path(String pattern) {
        return Permission.newBuilder()
                .setUrlPath(PathMatcher.newBuilder().setPath(pattern(pattern)))
                .build();
    }

    private static Permission port(String port) {
        return Permission.newBuilder()
                .setDestinationPort(Integer.parseInt(port))
                .build();
    }

    private static Permission host(String host) {
        StringMatcher.Builder m = StringMatcher.newBuilder().setIgnoreCase(true);
        if (host.startsWith("*")) {
            m.setSuffix(host.substring(1)); // "*.example" -> suffix ".example"
        } else {
            m.setExact(host);
        }
        return Permission.newBuilder()
                .setHeader(HeaderMatcher.newBuilder().setName(":authority").setStringMatch(m))
                .build();
    }

    private static Permission header(String name, String pattern) {
        HeaderMatcher.Builder m = HeaderMatcher.newBuilder().setName(name);
        if (pattern.equals("*")) {
            m.setPresentMatch(true);
        } else {
            m.setStringMatch(pattern(pattern));
        }
        return Permission.newBuilder().setHeader(m).build();
    }

    /** {@code exact}, {@code prefix*}, {@code *suffix}, or {@code *} (any non-empty value). */
    private static StringMatcher pattern(String pattern) {
        StringMatcher.Builder m = StringMatcher.newBuilder();
        if (pattern.equals("*")) {
            m.setSafeRegex(RegexMatcher.newBuilder().setRegex(ANY_NON_EMPTY));
        } else if (pattern.startsWith("*")) {
            m.setSuffix(pattern.substring(1));
        } else if (pattern.endsWith("*")) {
            m.setPrefix(pattern.substring(0, pattern.length() - 1));
        } else {
            m.setExact(pattern);
        }
        return m.build();
    }

    // ---------------------------------------------------------------- principals

    private List<Principal> sourcePrincipals(Source s) {
        List<Principal> fields = new ArrayList<>();
        addPrincipalField(fields, s.principals(), false, RbacTranslator::principal);
        addPrincipalField(fields, s.notPrincipals(), true, RbacTranslator::principal);
        addPrincipalField(fields, s.namespaces(), false, this::namespace);
        addPrincipalField(fields, s.notNamespaces(), true, this::namespace);
        addPrincipalField(fields, s.ipBlocks(), false, RbacTranslator::ipBlock);
        addPrincipalField(fields, s.notIpBlocks(), true, RbacTranslator::ipBlock);
        return fields;
    }

    private List<Principal> conditionPrincipals(Condition c) {
        List<Principal> fields = new ArrayList<>();
        Function<String, Principal> matcher =
                switch (c.attribute()) {
                    case SOURCE_PRINCIPAL -> RbacTranslator::principal;
                    case SOURCE_NAMESPACE -> this::namespace;
                    case SOURCE_IP -> RbacTranslator::ipBlock;
                    default -> throw new IllegalArgumentException(c.key() + " is about the request");
                };
        addPrincipalField(fields, c.values(), false, matcher);
        addPrincipalField(fields, c.notValues(), true, matcher);
        return fields;
    }

    private static void addPrincipalField(
            List<Principal> fields, List<String> values, boolean negated, Function<String, Principal> matcher) {
        if (values.isEmpty()) {
            return;
        }
        Principal.Set.Builder or = Principal.Set.newBuilder();
        for (String v : values) {
            or.addIds(matcher.apply(v));
        }
        Principal field = Principal.newBuilder().setOrIds(or).build();
        fields.add(negated ? Principal.newBuilder().setNotId(field).build() : field);
    }

    private static Principal andIds(List<Principal> ids) {
        return Principal.newBuilder()
                .setAndIds(Principal.Set.newBuilder().addAllIds(ids))
                .build();
    }

    /** {@code spiffe://...} exact, {@code spiffe://.../prefix*} prefix, or {@code *}: any authenticated peer. */
    private static Principal principal(String value) {
        StringMatcher.Builder m = StringMatcher.newBuilder();
        if (value.equals("*")) {
            m.setSafeRegex(RegexMatcher.newBuilder().setRegex(ANY_NON_EMPTY));
        } else if (value.endsWith("*")) {
            m.setPrefix(value.substring(0, value.length() - 1));
        } else {
            m.setExact(value);
        }
        return authenticated(m.build());
    }

    /** A namespace: the principal prefix {@code spiffe://<td>/ns/<namespace>/sa/}. */
    private Principal namespace(String namespace) {
        return authenticated(StringMatcher.newBuilder()
                .setPrefix("spiffe://" + trustDomain.name() + "/ns/" + namespace + "/sa/")
                .build());
    }

    private static Principal authenticated(StringMatcher name) {
        return Principal.newBuilder()
                .setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(name))
                .build();
    }

    private static Principal ipBlock(String block) {
        PolicyValues.IpBlock cidr = PolicyValues.parseIpBlock(block);
        return Principal.newBuilder()
                .setDirectRemoteIp(CidrRange.newBuilder()
                        .setAddressPrefix(cidr.address())
                        .setPrefixLen(UInt32Value.of(cidr.prefixLength())))
                .build();
    }
}
