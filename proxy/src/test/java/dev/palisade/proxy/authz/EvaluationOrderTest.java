package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.Rbac.anyPermission;
import static dev.palisade.proxy.authz.Rbac.anyPrincipal;
import static dev.palisade.proxy.authz.Rbac.method;
import static dev.palisade.proxy.authz.Rbac.name;
import static dev.palisade.proxy.authz.Rbac.path;
import static dev.palisade.proxy.authz.Rbac.pathPrefix;
import static dev.palisade.proxy.authz.Rbac.policy;
import static dev.palisade.proxy.authz.Rbac.principal;
import static dev.palisade.proxy.authz.TestRequest.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.proxy.authz.AuthzDecision.Reason;
import dev.palisade.proxy.authz.DryRunResult.Verdict;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** DENY, AUDIT, ALLOW, the mesh defaults and dry run, and how a decision names what made it. */
class EvaluationOrderTest {

    private static final Map.Entry<String, Policy> DENY_ADMIN =
            policy("no-admin", pathPrefix("/admin"), anyPrincipal());
    private static final Map.Entry<String, Policy> ALLOW_PUBLIC =
            policy("public", pathPrefix("/public"), anyPrincipal());
    private static final Map.Entry<String, Policy> ALLOW_ALL = policy("all", anyPermission(), anyPrincipal());
    private static final Map.Entry<String, Policy> AUDIT_ADMIN =
            policy("watch-admin", pathPrefix("/admin"), anyPrincipal());
    private static final Map.Entry<String, Policy> AUDIT_ALL = policy("watch-all", anyPermission(), anyPrincipal());

    /** Filter lists, a path, and the decision expected: denials first. */
    static Stream<Arguments> decisions() {
        return Stream.of(
                // denied
                decision(
                        "DENY beats ALLOW",
                        List.of(Rbac.deny(DENY_ADMIN), Rbac.allow(ALLOW_ALL)),
                        "/admin",
                        false,
                        Reason.DENY_POLICY,
                        "no-admin"),
                decision(
                        "DENY alone",
                        List.of(Rbac.deny(DENY_ADMIN)),
                        "/admin/x",
                        false,
                        Reason.DENY_POLICY,
                        "no-admin"),
                decision(
                        "ALLOW filter, no policy matches",
                        List.of(Rbac.allow(ALLOW_PUBLIC)),
                        "/private",
                        false,
                        Reason.NO_MATCHING_ALLOW_POLICY,
                        "no-matching-allow-policy"),
                decision(
                        "mesh default-deny: an empty ALLOW filter",
                        List.of(Rbac.allow()),
                        "/public",
                        false,
                        Reason.MESH_DEFAULT,
                        "mesh-default"),
                decision(
                        "mesh default-deny with DENY policies",
                        List.of(Rbac.deny(DENY_ADMIN), Rbac.allow()),
                        "/x",
                        false,
                        Reason.MESH_DEFAULT,
                        "mesh-default"),
                decision(
                        "mesh default-deny beside a dry-run DENY",
                        List.of(Rbac.allow(), Rbac.dryRunDeny(DENY_ADMIN)),
                        "/x",
                        false,
                        Reason.MESH_DEFAULT,
                        "mesh-default"),
                decision(
                        "AUDIT never allows",
                        List.of(Rbac.audit(AUDIT_ALL), Rbac.allow(ALLOW_PUBLIC)),
                        "/x",
                        false,
                        Reason.NO_MATCHING_ALLOW_POLICY,
                        "no-matching-allow-policy"),
                decision(
                        "dry-run ALLOW never allows",
                        List.of(Rbac.allow(ALLOW_PUBLIC), Rbac.dryRunAllow(ALLOW_ALL)),
                        "/x",
                        false,
                        Reason.NO_MATCHING_ALLOW_POLICY,
                        "no-matching-allow-policy"),
                // allowed
                decision(
                        "no filters: the mesh default allows",
                        List.of(),
                        "/admin",
                        true,
                        Reason.MESH_DEFAULT,
                        "mesh-default"),
                decision(
                        "DENY only, no match: the mesh default allows",
                        List.of(Rbac.deny(DENY_ADMIN)),
                        "/public",
                        true,
                        Reason.MESH_DEFAULT,
                        "mesh-default"),
                decision(
                        "ALLOW matches",
                        List.of(Rbac.deny(DENY_ADMIN), Rbac.allow(ALLOW_PUBLIC)),
                        "/public/a",
                        true,
                        Reason.ALLOW_POLICY,
                        "public"),
                decision(
                        "Istio's empty rule {} allows everything",
                        List.of(Rbac.allow(ALLOW_ALL)),
                        "/anything",
                        true,
                        Reason.ALLOW_POLICY,
                        "all"),
                decision(
                        "AUDIT never denies",
                        List.of(Rbac.audit(AUDIT_ADMIN)),
                        "/admin",
                        true,
                        Reason.MESH_DEFAULT,
                        "mesh-default"),
                decision(
                        "dry-run DENY never denies",
                        List.of(Rbac.dryRunDeny(DENY_ADMIN)),
                        "/admin",
                        true,
                        Reason.MESH_DEFAULT,
                        "mesh-default"),
                decision(
                        "dry-run DENY never denies, with ALLOW",
                        List.of(Rbac.allow(ALLOW_ALL), Rbac.dryRunDeny(DENY_ADMIN)),
                        "/admin",
                        true,
                        Reason.ALLOW_POLICY,
                        "all"));
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("decisions")
    void decisionNamesThePolicyThatMadeIt(
            String what, List<RBAC> filters, String path, boolean allowed, Reason reason, String policy) {
        AuthzEngine engine = Rbac.compile(filters.toArray(RBAC[]::new));

        AuthzDecision decision = engine.evaluate(get(path).build());

        assertThat(decision.allowed()).isEqualTo(allowed);
        assertThat(decision.reason()).isEqualTo(reason);
        assertThat(decision.policy().policy()).isEqualTo(policy);
        assertThat(decision.version()).isEqualTo("v1");
    }

    @Test
    void namedPolicyIsParsedIntoNamespacePolicyAndRule() {
        AuthzEngine engine = Rbac.compile(Rbac.deny(Map.entry(
                name("shop", "no-admin", 3), Rbac.policy(List.of(pathPrefix("/admin")), List.of(anyPrincipal())))));

        PolicyRef policy = engine.evaluate(get("/admin").build()).policy();

        assertThat(policy).isEqualTo(new PolicyRef("ns[shop]-policy[no-admin]-rule[3]", "shop", "no-admin", 3));
        assertThat(policy.isNamed()).isTrue();
        assertThat(PolicyRef.MESH_DEFAULT.isNamed()).isFalse();
        assertThat(PolicyRef.MESH_DEFAULT.rule()).isEqualTo(-1);
    }

    @Test
    void firstMatchingPolicyInNameOrderDecidesEvenWhenRuleTenSortsBeforeRuleTwo() {
        Policy any = Rbac.policy(List.of(anyPermission()), List.of(anyPrincipal()));
        AuthzEngine engine = Rbac.compile(Rbac.deny(
                Map.entry(name("shop", "b", 2), any),
                Map.entry(name("shop", "b", 10), any),
                Map.entry(name("shop", "a", 5), any)));

        assertThat(engine.evaluate(get("/").build()).policy().name()).isEqualTo("ns[shop]-policy[a]-rule[5]");

        AuthzEngine withoutA =
                Rbac.compile(Rbac.allow(Map.entry(name("shop", "b", 2), any), Map.entry(name("shop", "b", 10), any)));
        assertThat(withoutA.evaluate(get("/").build()).policy().rule()).isEqualTo(10);
    }

    @Test
    void auditRecordsEveryMatchingPolicyForAllowedAndDeniedRequests() {
        AuthzEngine engine = Rbac.compile(
                Rbac.deny(DENY_ADMIN), Rbac.audit(AUDIT_ADMIN, AUDIT_ALL), Rbac.allow(ALLOW_PUBLIC, ALLOW_ALL));

        AuthzDecision denied = engine.evaluate(get("/admin").build());
        AuthzDecision allowed = engine.evaluate(get("/public").build());

        assertThat(denied.denied()).isTrue();
        assertThat(denied.audits()).extracting(PolicyRef::policy).containsExactly("watch-admin", "watch-all");
        assertThat(allowed.allowed()).isTrue();
        assertThat(allowed.policy().policy()).isEqualTo("all");
        assertThat(allowed.audits()).extracting(PolicyRef::policy).containsExactly("watch-all");
    }

    @Test
    void noAuditMatchIsAnEmptyList() {
        AuthzEngine engine = Rbac.compile(Rbac.audit(AUDIT_ADMIN));

        assertThat(engine.evaluate(get("/public").build()).audits()).isEmpty();
    }

    /** Dry-run filters, a path, and what they would do: would-deny first. */
    static Stream<Arguments> dryRuns() {
        return Stream.of(
                dryRun(
                        "dry-run DENY matches",
                        List.of(Rbac.dryRunDeny(DENY_ADMIN)),
                        "/admin",
                        Verdict.WOULD_DENY,
                        "no-admin"),
                dryRun(
                        "dry-run DENY matches, beside an enforced ALLOW",
                        List.of(Rbac.allow(ALLOW_ALL), Rbac.dryRunDeny(DENY_ADMIN)),
                        "/admin",
                        Verdict.WOULD_DENY,
                        "no-admin"),
                dryRun(
                        "dry-run DENY beats dry-run ALLOW",
                        List.of(Rbac.dryRunDeny(DENY_ADMIN), Rbac.dryRunAllow(ALLOW_ALL)),
                        "/admin",
                        Verdict.WOULD_DENY,
                        "no-admin"),
                dryRun(
                        "dry-run ALLOW matches none",
                        List.of(Rbac.dryRunAllow(ALLOW_PUBLIC)),
                        "/private",
                        Verdict.WOULD_DENY,
                        "no-matching-allow-policy"),
                dryRun(
                        "dry-run ALLOW matches none, the enforced decision allows",
                        List.of(Rbac.allow(ALLOW_ALL), Rbac.dryRunAllow(ALLOW_PUBLIC)),
                        "/private",
                        Verdict.WOULD_DENY,
                        "no-matching-allow-policy"),
                dryRun(
                        "dry-run ALLOW matches",
                        List.of(Rbac.dryRunAllow(ALLOW_PUBLIC)),
                        "/public",
                        Verdict.WOULD_ALLOW,
                        "public"),
                dryRun(
                        "dry-run DENY only, no match",
                        List.of(Rbac.dryRunDeny(DENY_ADMIN)),
                        "/public",
                        Verdict.WOULD_ALLOW,
                        null),
                dryRun("no dry-run filter", List.of(Rbac.deny(DENY_ADMIN)), "/admin", Verdict.NOT_CONFIGURED, null),
                dryRun("no filter at all", List.of(), "/admin", Verdict.NOT_CONFIGURED, null));
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("dryRuns")
    void dryRunOutcomeIsRecordedBesideTheEnforcedOne(
            String what, List<RBAC> filters, String path, Verdict verdict, @Nullable String policy) {
        AuthzEngine engine = Rbac.compile(filters.toArray(RBAC[]::new));
        AuthzEngine enforcedOnly =
                Rbac.compile(filters.stream().filter(RBAC::hasRules).toArray(RBAC[]::new));
        AuthzRequest request = get(path).build();

        AuthzDecision decision = engine.evaluate(request);

        assertThat(decision.dryRun().verdict()).isEqualTo(verdict);
        assertThat(
                        decision.dryRun().policy() == null
                                ? null
                                : decision.dryRun().policy().policy())
                .isEqualTo(policy);
        assertThat(decision.allowed())
                .as("dry run never changes the decision")
                .isEqualTo(enforcedOnly.evaluate(request).allowed());
    }

    @Test
    void tcpFiltersDecideOnPrincipalAndPort() throws RbacConfigException {
        io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC allowCheckoutOn5432 = io.envoyproxy
                .envoy
                .extensions
                .filters
                .network
                .rbac
                .v3
                .RBAC
                .newBuilder()
                .setStatPrefix("palisade_tcp")
                .setRules(Rbac.config(
                        io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.ALLOW,
                        policy("db", Rbac.port(5432), principal(TestRequest.CHECKOUT))))
                .build();
        AuthzEngine engine = RbacCompiler.compileTcp("v7", List.of(allowCheckoutOn5432));

        AuthzRequest checkout = AuthzRequest.connectionBuilder()
                .peerPrincipal(TestRequest.CHECKOUT)
                .destinationPort(5432)
                .build();
        AuthzRequest other = AuthzRequest.connectionBuilder()
                .peerPrincipal("spiffe://cluster.local/ns/shop/sa/cart")
                .destinationPort(5432)
                .build();
        AuthzRequest plaintext =
                AuthzRequest.connectionBuilder().destinationPort(5432).build();

        assertThat(engine.evaluate(other).denied()).isTrue();
        assertThat(engine.evaluate(plaintext).denied()).isTrue();
        assertThat(engine.evaluate(checkout).allowed()).isTrue();
        assertThat(engine.evaluate(checkout).version()).isEqualTo("v7");
    }

    @Test
    void httpConditionsNeverMatchATcpConnection() {
        AuthzEngine engine = Rbac.compile(
                Rbac.allow(policy("get", method("GET"), anyPrincipal()), policy("root", path("/"), anyPrincipal())));

        assertThat(engine.evaluate(AuthzRequest.connectionBuilder()
                                .destinationPort(80)
                                .build())
                        .denied())
                .isTrue();
    }

    @Test
    void engineDescribesItsPoliciesByFilter() {
        AuthzEngine engine = Rbac.compile(Rbac.deny(DENY_ADMIN), Rbac.allow());

        assertThat(engine.describe())
                .containsExactly(
                        "DENY (1 policy)",
                        "  ns[shop]-policy[no-admin]-rule[0]: permissions url_path prefix /admin, principals any",
                        "ALLOW (0 policies)");
        assertThat(engine.policyCount()).isEqualTo(1);
    }

    private static Arguments decision(
            String what, List<RBAC> filters, String path, boolean allowed, Reason reason, String policy) {
        return Arguments.of(what, filters, path, allowed, reason, policy);
    }

    private static Arguments dryRun(
            String what, List<RBAC> filters, String path, Verdict verdict, @Nullable String policy) {
        return Arguments.of(what, filters, path, verdict, policy);
    }
}
