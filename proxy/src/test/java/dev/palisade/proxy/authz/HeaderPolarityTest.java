package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.Rbac.anyPermission;
import static dev.palisade.proxy.authz.Rbac.anyPrincipal;
import static dev.palisade.proxy.authz.Rbac.exact;
import static dev.palisade.proxy.authz.Rbac.header;
import static dev.palisade.proxy.authz.Rbac.headerInverted;
import static dev.palisade.proxy.authz.Rbac.not;
import static dev.palisade.proxy.authz.Rbac.notId;
import static dev.palisade.proxy.authz.Rbac.or;
import static dev.palisade.proxy.authz.Rbac.orIds;
import static dev.palisade.proxy.authz.Rbac.policy;
import static dev.palisade.proxy.authz.Rbac.prefix;
import static dev.palisade.proxy.authz.Rbac.principalHeader;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Repeated headers and comma-joined values against DENY and ALLOW conditions, positive and under
 * negation: the class of bypass of Istio CVE-2026-26308 and CVE-2026-31838. A DENY condition
 * holds when ANY value (or element of a comma-separated value, or the joined value) matches, an
 * ALLOW condition only when EVERY value matches; each negation flips, so that no negation turns a
 * strict check into a loose one.
 */
class HeaderPolarityTest {

    private static final String TENANT = "x-tenant";

    /**
     * {@code when: [{key: request.headers[x-tenant], values: [acme, "beta-*"]}]} as the policy
     * compiler writes it: one header condition per value, under an {@code or_rules}.
     */
    private static final Permission ACME_OR_BETA = or(header(TENANT, exact("acme")), header(TENANT, prefix("beta-")));

    /** {@code values: [evil, "bad-*"]}. */
    private static final Permission EVIL_OR_BAD = or(header(TENANT, exact("evil")), header(TENANT, prefix("bad-")));

    /** Requests that must be denied: each one a way to smuggle a second tenant past the condition. */
    static Stream<Arguments> denied() {
        return Stream.of(
                // DENY x-tenant == evil: any value
                row("DENY evil", deny(header(TENANT, exact("evil"))), "evil"),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "acme", "evil"),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "evil", "acme"),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "acme,evil"),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "acme, evil"),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "acme ,\tevil ,"),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "acme", "x,evil"),
                row("DENY prefix ev", deny(header(TENANT, prefix("ev"))), "acme", "evx"),
                row("DENY acme,evil (the joined value)", deny(header(TENANT, exact("acme,evil"))), "acme", "evil"),
                // ALLOW x-tenant == acme: every value, at least one
                row("ALLOW acme", allow(header(TENANT, exact("acme"))), "acme", "evil"),
                row("ALLOW acme", allow(header(TENANT, exact("acme"))), "evil", "acme"),
                row("ALLOW acme", allow(header(TENANT, exact("acme"))), "acme,evil"),
                row("ALLOW acme", allow(header(TENANT, exact("acme"))), "acme, acme"),
                row("ALLOW acme", allow(header(TENANT, exact("acme")))),
                row("ALLOW prefix acme", allow(header(TENANT, prefix("acme"))), "acme-1", "evil"),
                // DENY not(x-tenant == acme), "deny unless acme": EVERY under the negation
                row("DENY not acme", deny(not(header(TENANT, exact("acme")))), "acme", "evil"),
                row("DENY not acme", deny(not(header(TENANT, exact("acme")))), "evil", "acme"),
                row("DENY not acme", deny(not(header(TENANT, exact("acme")))), "acme,evil"),
                row("DENY not acme", deny(not(header(TENANT, exact("acme"))))),
                // ALLOW not(x-tenant == evil), "allow unless evil": ANY under the negation
                row("ALLOW not evil", allow(not(header(TENANT, exact("evil")))), "evil"),
                row("ALLOW not evil", allow(not(header(TENANT, exact("evil")))), "acme", "evil"),
                row("ALLOW not evil", allow(not(header(TENANT, exact("evil")))), "evil", "acme"),
                row("ALLOW not evil", allow(not(header(TENANT, exact("evil")))), "acme,evil"),
                // invert_match is a negation too
                row("DENY invert acme", deny(headerInverted(TENANT, exact("acme"))), "acme", "evil"),
                row("DENY invert acme", deny(headerInverted(TENANT, exact("acme"))), "evil"),
                row("ALLOW invert evil", allow(headerInverted(TENANT, exact("evil"))), "acme", "evil"),
                row("ALLOW invert evil", allow(headerInverted(TENANT, exact("evil"))), "acme,evil"),
                row("ALLOW invert evil", allow(headerInverted(TENANT, exact("evil"))), "evil"),
                row("ALLOW invert evil, absent header never matches", allow(headerInverted(TENANT, exact("evil")))),
                // double negation is back to the filter's own mode
                row("DENY not not evil", deny(not(not(header(TENANT, exact("evil"))))), "acme", "evil"),
                row("ALLOW not not acme", allow(not(not(header(TENANT, exact("acme"))))), "acme", "evil"),
                // not under a principal: not_id flips the same way
                row("ALLOW not_id evil", allowPrincipal(notIdTenant("evil")), "acme", "evil"),
                // ALLOW values [acme, beta-*]: every value must match one of the alternatives
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "acme", "evil"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "evil", "beta-1"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "beta-1", "acme", "evil"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "evil"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "acme,beta-1"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "beta"),
                row("ALLOW acme|beta-*, absent header", allow(ACME_OR_BETA)),
                row("ALLOW or_ids acme|beta-*", allowPrincipal(acmeOrBetaIds()), "acme", "evil"),
                row("ALLOW permissions [acme, beta-*]", allowEither(), "acme", "evil"),
                row("ALLOW permissions [acme, beta-*]", allowEither()),
                row(
                        "ALLOW acme|x-team beta-*, two headers stay separate",
                        allow(or(header(TENANT, exact("acme")), header("x-team", prefix("beta-")))),
                        "acme",
                        "beta-1"),
                // DENY not(values [acme, beta-*]), "deny unless every value is acme or beta-*"
                row("DENY not acme|beta-*", deny(not(ACME_OR_BETA)), "acme", "evil"),
                row("DENY not acme|beta-*", deny(not(ACME_OR_BETA)), "beta-1", "evil"),
                row("DENY not acme|beta-*", deny(not(ACME_OR_BETA)), "evil"),
                row("DENY not acme|beta-*", deny(not(ACME_OR_BETA))),
                // DENY values [evil, bad-*]: unchanged, any value matching any alternative
                row("DENY evil|bad-*", deny(EVIL_OR_BAD), "acme", "bad-1"),
                row("DENY evil|bad-*", deny(EVIL_OR_BAD), "evil", "acme"),
                row("DENY evil|bad-*", deny(EVIL_OR_BAD), "acme, bad-1"),
                // ALLOW not(values [evil, bad-*]): ANY under the negation, unchanged
                row("ALLOW not evil|bad-*", allow(not(EVIL_OR_BAD)), "acme", "bad-1"),
                row("ALLOW not evil|bad-*", allow(not(EVIL_OR_BAD)), "evil", "beta-1"),
                row("ALLOW not evil|bad-*", allow(not(EVIL_OR_BAD)), "acme,evil"));
    }

    /** Requests that must be allowed: the conditions are strict, not paranoid. */
    static Stream<Arguments> allowed() {
        return Stream.of(
                row("DENY evil", deny(header(TENANT, exact("evil"))), "acme"),
                row("DENY evil", deny(header(TENANT, exact("evil")))),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "evil2"),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "acme,evil2"),
                row("DENY evil", deny(header(TENANT, exact("evil"))), "acme", "xevil"),
                row("ALLOW acme", allow(header(TENANT, exact("acme"))), "acme"),
                row("ALLOW acme", allow(header(TENANT, exact("acme"))), "acme", "acme"),
                row("ALLOW prefix acme", allow(header(TENANT, prefix("acme"))), "acme-1", "acme-2"),
                row("DENY not acme", deny(not(header(TENANT, exact("acme")))), "acme"),
                row("DENY not acme", deny(not(header(TENANT, exact("acme")))), "acme", "acme"),
                row("ALLOW not evil", allow(not(header(TENANT, exact("evil")))), "acme"),
                row("ALLOW not evil", allow(not(header(TENANT, exact("evil"))))),
                row("ALLOW not evil", allow(not(header(TENANT, exact("evil")))), "acme", "evil2"),
                row("DENY invert acme", deny(headerInverted(TENANT, exact("acme"))), "acme"),
                row("DENY invert acme", deny(headerInverted(TENANT, exact("acme"))), "acme", "acme"),
                row(
                        "DENY invert acme, absent header never matches (Envoy)",
                        deny(headerInverted(TENANT, exact("acme")))),
                row("ALLOW invert evil", allow(headerInverted(TENANT, exact("evil"))), "acme"),
                row("ALLOW invert evil", allow(headerInverted(TENANT, exact("evil"))), "acme", "good"),
                row("ALLOW not_id evil", allowPrincipal(notIdTenant("evil")), "acme"),
                // each value may match a different alternative
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "acme", "beta-1"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "beta-1", "acme"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "beta-1", "beta-2", "acme"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "acme"),
                row("ALLOW acme|beta-*", allow(ACME_OR_BETA), "beta-1"),
                row("ALLOW or_ids acme|beta-*", allowPrincipal(acmeOrBetaIds()), "acme", "beta-1"),
                row("ALLOW permissions [acme, beta-*]", allowEither(), "acme", "beta-1"),
                row("DENY not acme|beta-*", deny(not(ACME_OR_BETA)), "acme", "beta-1"),
                row("DENY not acme|beta-*", deny(not(ACME_OR_BETA)), "beta-1"),
                row("DENY evil|bad-*", deny(EVIL_OR_BAD), "acme", "beta-1"),
                row("DENY evil|bad-*", deny(EVIL_OR_BAD)),
                row("ALLOW not evil|bad-*", allow(not(EVIL_OR_BAD)), "acme", "beta-1"),
                row("ALLOW not evil|bad-*", allow(not(EVIL_OR_BAD))));
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("denied")
    void smuggledValuesAreDenied(String policy, AuthzEngine engine, List<String> values) {
        assertThat(engine.evaluate(request(values)).allowed()).isFalse();
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("allowed")
    void honestValuesAreAllowed(String policy, AuthzEngine engine, List<String> values) {
        assertThat(engine.evaluate(request(values)).allowed()).isTrue();
    }

    @Test
    void auditPoliciesMatchAnyValueLikeDenyPolicies() {
        AuthzEngine engine =
                Rbac.compile(Rbac.audit(policy("watch-evil", header(TENANT, exact("evil")), anyPrincipal())));

        AuthzDecision decision = engine.evaluate(request(List.of("acme", "evil")));

        assertThat(decision.allowed()).isTrue();
        assertThat(decision.audits()).extracting(PolicyRef::policy).containsExactly("watch-evil");
    }

    @Test
    void dryRunDenyMatchesAnyValueAndDryRunAllowNeedsEveryValue() {
        AuthzEngine denyEvil =
                Rbac.compile(Rbac.dryRunDeny(policy("evil", header(TENANT, exact("evil")), anyPrincipal())));
        AuthzEngine allowAcme =
                Rbac.compile(Rbac.dryRunAllow(policy("acme", header(TENANT, exact("acme")), anyPrincipal())));
        AuthzRequest mixed = request(List.of("acme", "evil"));

        assertThat(denyEvil.evaluate(mixed).dryRun().wouldDeny()).isTrue();
        assertThat(allowAcme.evaluate(mixed).dryRun().wouldDeny()).isTrue();
        assertThat(allowAcme.evaluate(request(List.of("acme"))).dryRun().wouldDeny())
                .isFalse();
        assertThat(denyEvil.evaluate(mixed).allowed())
                .as("dry run never enforces")
                .isTrue();
    }

    @Test
    void pseudoHeadersHaveOneValueSoBothModesAgree() {
        AuthzEngine denyDelete = Rbac.compile(Rbac.deny(policy("no-delete", Rbac.method("DELETE"), anyPrincipal())));
        AuthzEngine allowGet = Rbac.compile(Rbac.allow(policy("get", Rbac.method("GET"), anyPrincipal())));
        AuthzRequest delete = TestRequest.request().method("DELETE").build();

        assertThat(denyDelete.evaluate(delete).denied()).isTrue();
        assertThat(allowGet.evaluate(delete).denied()).isTrue();
        assertThat(allowGet.evaluate(TestRequest.request().build()).allowed()).isTrue();
    }

    private static AuthzEngine deny(Permission permission) {
        return Rbac.compile(Rbac.deny(policy("tenant", permission, anyPrincipal())));
    }

    private static AuthzEngine allow(Permission permission) {
        return Rbac.compile(Rbac.allow(policy("tenant", permission, anyPrincipal())));
    }

    private static AuthzEngine allowPrincipal(io.envoyproxy.envoy.config.rbac.v3.Principal principal) {
        return Rbac.compile(Rbac.allow(policy("tenant", anyPermission(), principal)));
    }

    /** ALLOW with two permissions, one per tenant pattern: a policy's permissions are alternatives too. */
    private static AuthzEngine allowEither() {
        return Rbac.compile(Rbac.allow(Map.entry(
                Rbac.name("shop", "tenant", 0),
                Rbac.policy(
                        List.of(header(TENANT, exact("acme")), header(TENANT, prefix("beta-"))),
                        List.of(anyPrincipal())))));
    }

    private static io.envoyproxy.envoy.config.rbac.v3.Principal acmeOrBetaIds() {
        return orIds(principalHeader(TENANT, exact("acme")), principalHeader(TENANT, prefix("beta-")));
    }

    private static io.envoyproxy.envoy.config.rbac.v3.Principal notIdTenant(String tenant) {
        return notId(principalHeader(TENANT, exact(tenant)));
    }

    private static AuthzRequest request(List<String> values) {
        TestRequest request = TestRequest.request();
        values.forEach(value -> request.header(TENANT, value));
        return request.build();
    }

    private static Arguments row(String policy, AuthzEngine engine, String... values) {
        return Arguments.of(policy, engine, List.of(values));
    }
}
