package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.Rbac.and;
import static dev.palisade.proxy.authz.Rbac.anyPermission;
import static dev.palisade.proxy.authz.Rbac.anyPrincipal;
import static dev.palisade.proxy.authz.Rbac.exact;
import static dev.palisade.proxy.authz.Rbac.header;
import static dev.palisade.proxy.authz.Rbac.method;
import static dev.palisade.proxy.authz.Rbac.name;
import static dev.palisade.proxy.authz.Rbac.not;
import static dev.palisade.proxy.authz.Rbac.or;
import static dev.palisade.proxy.authz.Rbac.path;
import static dev.palisade.proxy.authz.Rbac.pathPrefix;
import static dev.palisade.proxy.authz.Rbac.policy;
import static dev.palisade.proxy.authz.Rbac.port;
import static dev.palisade.proxy.authz.Rbac.prefix;
import static dev.palisade.proxy.authz.Rbac.principal;
import static dev.palisade.proxy.authz.TestRequest.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.rbac.v3.Policy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code palisade authz check}'s question: why was this denied, and what came closest to allowing it? */
class ExplainTest {

    private static final String PAYMENTS = name("shop", "payments", 0);

    /** {@code POST /v1/admin} from checkout on 8080: the example of DESIGN.md, narrowed. */
    private static final Map.Entry<String, Policy> ADMIN_FROM_CHECKOUT = Map.entry(
            PAYMENTS,
            Rbac.policy(
                    List.of(and(or(method("POST")), or(path("/v1/admin")), or(port(8080)))),
                    List.of(principal(TestRequest.CHECKOUT))));

    @Test
    void denialNamesTheClosestAllowPolicyAndItsFirstFailedCondition() {
        AuthzEngine engine = Rbac.compile(Rbac.allow(ADMIN_FROM_CHECKOUT));

        Explanation explanation =
                engine.explain(request().method("POST").path("/v1/charge").build());

        assertThat(explanation.decision().denied()).isTrue();
        assertThat(explanation.closestAllow()).extracting(PolicyRef::name).isEqualTo(PAYMENTS);
        assertThat(explanation.failedCondition())
                .isEqualTo(
                        "ns[shop]-policy[payments]-rule[0]: permissions: url_path /v1/charge did not match /v1/admin");
        assertThat(explanation.summary())
                .isEqualTo("denied: no ALLOW policy matched; closest: ns[shop]-policy[payments]-rule[0]:"
                        + " permissions: url_path /v1/charge did not match /v1/admin");
    }

    @Test
    void failedAlternativesOnOneSubjectAreNamedTogether() {
        AuthzEngine engine = Rbac.compile(
                Rbac.allow(policy("payments", or(path("/v1/charge"), pathPrefix("/v1/refund/")), anyPrincipal())));

        Explanation explanation = engine.explain(request().path("/v1/admin").build());

        assertThat(explanation.failedCondition())
                .endsWith("permissions: url_path /v1/admin did not match /v1/charge or prefix /v1/refund/");
    }

    @Test
    void principalFailureIsReportedWhenThePermissionsMatch() {
        AuthzEngine engine = Rbac.compile(Rbac.allow(ADMIN_FROM_CHECKOUT));

        Explanation explanation = engine.explain(request()
                .method("POST")
                .path("/v1/admin")
                .principal("spiffe://cluster.local/ns/shop/sa/cart")
                .build());

        assertThat(explanation.failedCondition())
                .endsWith("principals: principal spiffe://cluster.local/ns/shop/sa/cart did not match "
                        + TestRequest.CHECKOUT);
        assertThat(engine.explain(request()
                                .method("POST")
                                .path("/v1/admin")
                                .plaintext()
                                .build())
                        .failedCondition())
                .endsWith("principals: principal (none: plaintext peer) did not match " + TestRequest.CHECKOUT);
    }

    @Test
    void closestPolicyIsTheOneWithTheLargestShareOfConditionsSatisfied() {
        Map.Entry<String, Policy> farther = Map.entry(
                name("shop", "a-far", 0),
                Rbac.policy(
                        List.of(and(method("DELETE"), path("/x"), port(1))),
                        List.of(principal("spiffe://cluster.local/ns/other/sa/x"))));
        Map.Entry<String, Policy> closer = Map.entry(
                name("shop", "b-close", 0),
                Rbac.policy(List.of(and(method("GET"), path("/v1/other"), port(8080))), List.of(anyPrincipal())));
        AuthzEngine engine = Rbac.compile(Rbac.allow(farther, closer));

        Explanation explanation = engine.explain(request().path("/v1/items").build());

        assertThat(explanation.closestAllow()).extracting(PolicyRef::policy).isEqualTo("b-close");
        assertThat(explanation.failedCondition()).endsWith("permissions: url_path /v1/items did not match /v1/other");
    }

    @Test
    void headerAndNegationFailuresSayWhatWasSeen() {
        AuthzEngine tenant =
                Rbac.compile(Rbac.allow(policy("tenant", header("x-tenant", exact("acme")), anyPrincipal())));
        AuthzEngine notAdmin = Rbac.compile(Rbac.allow(policy("not-admin", not(pathPrefix("/admin")), anyPrincipal())));

        assertThat(tenant.explain(request().header("x-tenant", "acme", "evil").build())
                        .failedCondition())
                .endsWith("permissions: header x-tenant=[acme, evil] did not match acme (every value)");
        assertThat(tenant.explain(request().build()).failedCondition())
                .endsWith("permissions: header x-tenant (absent) did not match acme");
        assertThat(notAdmin.explain(request().path("/admin/x").build()).failedCondition())
                .endsWith("permissions: url_path prefix /admin matched, and the rule requires that it does not");
    }

    @Test
    void headerAlternativesFailureNamesEveryAlternative() {
        AuthzEngine tenant = Rbac.compile(Rbac.allow(policy(
                "tenant", or(header("x-tenant", exact("acme")), header("x-tenant", prefix("beta-"))), anyPrincipal())));

        assertThat(tenant.explain(request().header("x-tenant", "acme", "evil").build())
                        .failedCondition())
                .endsWith("permissions: header x-tenant=[acme, evil] did not match acme or prefix beta- (every value)");
        assertThat(tenant.explain(request().header("x-tenant", "acme", "beta-1").build())
                        .decision()
                        .allowed())
                .isTrue();
    }

    @Test
    void denialByADenyPolicyNamesTheAllowPolicyThatWouldHaveAllowed() {
        AuthzEngine engine = Rbac.compile(
                Rbac.deny(policy("no-admin", pathPrefix("/v1/admin"), anyPrincipal())),
                Rbac.allow(ADMIN_FROM_CHECKOUT));

        Explanation explanation =
                engine.explain(request().method("POST").path("/v1/admin").build());

        assertThat(explanation.decision().reason()).isEqualTo(AuthzDecision.Reason.DENY_POLICY);
        assertThat(explanation.closestAllow()).extracting(PolicyRef::name).isEqualTo(PAYMENTS);
        assertThat(explanation.failedCondition()).isNull();
        assertThat(explanation.summary())
                .isEqualTo("denied by DENY policy ns[shop]-policy[no-admin]-rule[0];"
                        + " ALLOW policy ns[shop]-policy[payments]-rule[0] matched");
    }

    @Test
    void meshDefaultDenialHasNoClosestPolicy() {
        Explanation explanation = Rbac.compile(Rbac.allow()).explain(request().build());

        assertThat(explanation.closestAllow()).isNull();
        assertThat(explanation.failedCondition()).isNull();
        assertThat(explanation.summary()).isEqualTo("denied by the mesh default: no ALLOW policy selects the workload");
    }

    @Test
    void allowedRequestIsExplainedByThePolicyThatAllowedIt() {
        AuthzEngine engine = Rbac.compile(Rbac.allow(policy("all", anyPermission(), anyPrincipal())));

        Explanation explanation = engine.explain(request().build());

        assertThat(explanation.closestAllow()).isNull();
        assertThat(explanation.summary()).isEqualTo("allowed by ALLOW policy ns[shop]-policy[all]-rule[0]");
        assertThat(Rbac.compile().explain(request().build()).summary())
                .isEqualTo("allowed by the mesh default: no ALLOW policy selects the workload");
    }

    @Test
    void hostileValuesAreEscapedInExplanations() {
        AuthzEngine engine =
                Rbac.compile(Rbac.allow(policy("tenant", header("x-tenant", exact("acme")), anyPrincipal())));

        String failure = engine.explain(
                        request().header("x-tenant", "\u001b[31mred\u00ff").build())
                .failedCondition();

        assertThat(failure).contains("\\x1B[31mred\\xFF").doesNotContain("\u001b");
    }
}
