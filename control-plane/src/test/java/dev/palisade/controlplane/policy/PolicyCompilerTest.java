package dev.palisade.controlplane.policy;

import static dev.palisade.controlplane.policy.TestYaml.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.config.DefaultAction;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.RBAC.Action;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyCompilerTest {

    private static final TrustDomain TD = TrustDomain.parse("cluster.local");
    private static final MeshConfig DEFAULT_ALLOW = new MeshConfig(TD, DefaultAction.ALLOW, MtlsMode.STRICT);
    private static final MeshConfig DEFAULT_DENY = new MeshConfig(TD, DefaultAction.DENY, MtlsMode.PERMISSIVE);

    private static final String WORKLOADS =
            """
            apiVersion: palisade.dev/v1
            kind: Workload
            metadata: {name: orders, namespace: shop}
            spec:
              serviceAccount: orders
              labels: {app: orders, tier: back}
              address: 10.0.0.1
              ports:
              - {name: http, port: 8080, protocol: HTTP}
              - {name: grpc, port: 9090, protocol: GRPC}
            ---
            apiVersion: palisade.dev/v1
            kind: Workload
            metadata: {name: db, namespace: shop}
            spec:
              serviceAccount: db
              labels: {app: db}
              address: 10.0.0.2
              ports:
              - {name: pg, port: 5432, protocol: TCP}
              - {name: metrics, port: 9102, protocol: HTTP}
            ---
            apiVersion: palisade.dev/v1
            kind: Workload
            metadata: {name: web, namespace: other}
            spec:
              serviceAccount: web
              labels: {app: web}
              address: 10.0.0.3
              ports:
              - {name: http, port: 8080, protocol: HTTP}
            """;

    // ---------------------------------------------------------------- refusals

    @Test
    void refusesAnAllowRuleWithHttpFieldsThatCouldApplyToAnOpaquePort() {
        String policies = policy("p", "ALLOW", "rules:\n- to:\n  - operation: {paths: ['/metrics']}");

        assertThatThrownBy(() -> compile(policies, "db", DEFAULT_ALLOW))
                .isInstanceOfSatisfying(PolicyCompileException.class, e -> {
                    assertThat(e.getMessage())
                            .isEqualTo("cannot compile policies for workload shop/db: AuthorizationPolicy shop/p rule 0"
                                    + " refused: to[0] uses HTTP-only fields (paths) but can apply to port 5432, which"
                                    + " workload shop/db declares TCP (opaque): no HTTP request is seen there, so the"
                                    + " rule would be silently narrowed or widened; name the HTTP ports in 'ports', or"
                                    + " split the rule");
                    assertThat(e.workload()).isEqualTo(new ObjectRef(ObjectKind.WORKLOAD, "shop", "db"));
                    assertThat(e.refusedRules()).singleElement().satisfies(r -> {
                        assertThat(r.policy().qualifiedName()).isEqualTo("shop/p");
                        assertThat(r.ruleIndex()).isZero();
                        assertThat(r.status()).isEqualTo(EnforcementStatus.REFUSED);
                        assertThat(r.rbacPolicyName()).isEqualTo("ns[shop]-policy[p]-rule[0]");
                    });
                });
    }

    @Test
    void refusesADenyRuleNamingTheOpaquePortInsteadOfWideningIt() {
        String policies =
                policy("d", "DENY", "rules:\n- {}\n- to:\n  - operation: {methods: [DELETE], ports: ['5432']}");

        assertThatThrownBy(() -> compile(policies, "db", DEFAULT_ALLOW))
                .isInstanceOf(PolicyCompileException.class)
                .hasMessageContaining("AuthorizationPolicy shop/d rule 1 refused: to[0] uses HTTP-only fields (methods)"
                        + " but can apply to port 5432");
    }

    @Test
    void refusesAHeaderConditionThatCouldApplyToAnOpaquePort() {
        String policies =
                policy("p", "ALLOW", "rules:\n- when:\n  - {key: 'request.headers[x-tenant]', values: [acme]}");

        assertThatThrownBy(() -> compile(policies, "db", DEFAULT_ALLOW))
                .hasMessageContaining("AuthorizationPolicy shop/p rule 0 refused: uses HTTP-only fields"
                        + " (when request.headers[x-tenant]) but can apply to port 5432");
    }

    @Test
    void refusesEveryBadRuleOfEveryPolicyNotOnlyTheFirst() {
        String policies = policy("a", "ALLOW", "rules:\n- to:\n  - operation: {hosts: [db.example]}")
                + "---\n"
                + policy(
                        "b",
                        "DENY",
                        "rules:\n- to:\n  - operation: {ports: ['9102']}\n  - operation: {notPaths: ['/x']}");

        assertThatThrownBy(() -> compile(policies, "db", DEFAULT_ALLOW))
                .isInstanceOfSatisfying(PolicyCompileException.class, e -> {
                    assertThat(e.refusedRules())
                            .extracting(RuleStatus::rbacPolicyName)
                            .containsExactly("ns[shop]-policy[a]-rule[0]", "ns[shop]-policy[b]-rule[0]");
                    assertThat(e.refusedRules())
                            .extracting(RuleStatus::reason)
                            .satisfiesExactly(
                                    a -> assertThat(a)
                                            .startsWith("to[0] uses HTTP-only fields (hosts) but can apply"
                                                    + " to port 5432"),
                                    b -> assertThat(b)
                                            .startsWith("to[1] uses HTTP-only fields (notPaths) but can"
                                                    + " apply to port 5432"));
                });
    }

    @Test
    void refusesTwoPeerAuthenticationsOfTheSamePrecedence() {
        String peers = peer("a", "shop", "", "STRICT") + "---\n" + peer("b", "shop", "", "PERMISSIVE");

        assertThatThrownBy(() -> compile(peers, "orders", DEFAULT_ALLOW))
                .isInstanceOfSatisfying(PolicyCompileException.class, e -> assertThat(e.problems())
                        .containsExactly("PeerAuthentications shop/a, shop/b all are namespace-wide in shop: which one"
                                + " applies is ambiguous; keep one"));
    }

    // ---------------------------------------------------------------- opaque ports, accepted

    static Stream<Arguments> httpRulesKeptOffOpaquePorts() {
        return Stream.of(
                arguments("ports", "to:\n  - operation: {paths: ['/metrics'], ports: ['9102']}"),
                arguments("notPorts", "to:\n  - operation: {paths: ['/metrics'], notPorts: ['5432']}"),
                arguments(
                        "destination.port",
                        "to:\n  - operation: {paths: ['/metrics']}\n  when:\n"
                                + "  - {key: destination.port, values: ['9102']}"),
                arguments(
                        "destination.port notValues",
                        "when:\n  - {key: 'request.headers[x-a]', values: ['*']}\n"
                                + "  - {key: destination.port, notValues: ['5432']}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("httpRulesKeptOffOpaquePorts")
    void compilesHttpRulesKeptOffOpaquePortsBy(String how, String rule) throws Exception {
        CompiledWorkloadPolicy compiled = compile(policy("p", "ALLOW", "rules:\n- " + rule), "db", DEFAULT_ALLOW);

        assertThat(compiled.ruleStatuses())
                .singleElement()
                .extracting(RuleStatus::status)
                .isEqualTo(EnforcementStatus.ENFORCED);
        assertThat(compiled.networkFilters()).hasSize(1);
    }

    @Test
    void compilesL4RulesForOpaquePortsIntoNetworkFiltersToo() throws Exception {
        String policies = policy(
                "pg",
                "ALLOW",
                "rules:\n- from:\n  - source: {principals: ['spiffe://cluster.local/ns/shop/sa/orders']}\n"
                        + "  to:\n  - operation: {ports: ['5432']}");

        CompiledWorkloadPolicy compiled = compile(policies, "db", DEFAULT_ALLOW);

        assertThat(compiled.httpFilters()).hasSize(1);
        assertThat(compiled.networkFilters()).singleElement().satisfies(network -> {
            assertThat(network.getStatPrefix()).isEqualTo("palisade_tcp");
            assertThat(network.getRules())
                    .isEqualTo(compiled.httpFilters().get(0).getRules());
            assertThat(network.hasShadowRules()).isFalse();
        });
    }

    @Test
    void projectsNetworkFiltersToL4LeavingOutHttpEntriesThatCannotMatchThere() throws Exception {
        String policies = policy(
                        "mixed",
                        "ALLOW",
                        """
                        rules:
                        - to:
                          - operation: {ports: ['5432']}
                          - operation: {ports: ['9102'], paths: ['/metrics']}
                        - to:
                          - operation: {notPorts: ['5432'], methods: [GET]}
                        """)
                + "---\n"
                + policy(
                        "headers",
                        "DENY",
                        """
                        rules:
                        - when:
                          - {key: destination.port, values: ['9102']}
                          - {key: 'request.headers[x-debug]', values: ['*']}
                        """);

        CompiledWorkloadPolicy compiled = compile(policies, "db", DEFAULT_ALLOW);

        assertThat(compiled.httpFilters()).hasSize(2);
        String mixed = "ns[shop]-policy[mixed]-rule[0]";
        Policy http = compiled.httpFilters().get(1).getRules().getPoliciesOrThrow(mixed);
        assertThat(http.getPermissionsCount()).isEqualTo(2);
        List<io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC> network = compiled.networkFilters();
        assertThat(network).hasSize(1); // the DENY filter, left without policies, is dropped
        assertThat(network.get(0).getRules().getAction()).isEqualTo(Action.ALLOW);
        assertThat(network.get(0).getRules().getPoliciesMap()).containsOnlyKeys(mixed);
        assertThat(network.get(0).getRules().getPoliciesOrThrow(mixed).getPermissionsList())
                .containsExactly(http.getPermissions(0));
        assertThat(network.toString()).doesNotContain("header").doesNotContain("url_path");
    }

    @Test
    void emitsNoNetworkFiltersForAWorkloadWithoutOpaquePorts() throws Exception {
        CompiledWorkloadPolicy compiled = compile(policy("p", "DENY", "rules:\n- {}"), "orders", DEFAULT_ALLOW);

        assertThat(compiled.httpFilters()).hasSize(1);
        assertThat(compiled.networkFilters()).isEmpty();
    }

    // ---------------------------------------------------------------- selection

    @Test
    void appliesAPolicyWithoutSelectorToEveryWorkloadOfItsNamespaceOnly() throws Exception {
        String policies = policy("p", "DENY", "rules:\n- {}");

        assertThat(compile(policies, "orders", DEFAULT_ALLOW).policies())
                .extracting(ObjectRef::name)
                .containsExactly("p");
        assertThat(compile(policies, "db", DEFAULT_ALLOW).policies())
                .extracting(ObjectRef::name)
                .containsExactly("p");
        assertThat(compile(policies, "web", DEFAULT_ALLOW).policies()).isEmpty();
        assertThat(compile(policies, "web", DEFAULT_ALLOW).httpFilters()).isEmpty();
    }

    @Test
    void appliesASelectorPolicyToWorkloadsHavingAllItsLabels() throws Exception {
        String policies = policy("both", "DENY", "selector: {matchLabels: {app: orders, tier: back}}\nrules:\n- {}")
                + "---\n"
                + policy("one", "DENY", "selector: {matchLabels: {tier: back}}\nrules:\n- {}")
                + "---\n"
                + policy("wrong-value", "DENY", "selector: {matchLabels: {app: orders, tier: front}}\nrules:\n- {}")
                + "---\n"
                + policy("missing-label", "DENY", "selector: {matchLabels: {app: orders, zone: a}}\nrules:\n- {}");

        assertThat(compile(policies, "orders", DEFAULT_ALLOW).policies())
                .extracting(ObjectRef::name)
                .containsExactly("both", "one");
        assertThat(compile(policies, "db", DEFAULT_ALLOW).policies()).isEmpty();
    }

    @Test
    void appliesARootNamespacePolicyToEveryNamespace() throws Exception {
        String policies = object(
                        "security.palisade.dev/v1",
                        "AuthorizationPolicy",
                        "palisade-system",
                        "mesh-deny",
                        "action: DENY\nrules:\n- {}")
                + "---\n"
                + object(
                        "security.palisade.dev/v1",
                        "AuthorizationPolicy",
                        "palisade-system",
                        "web-only",
                        "selector: {matchLabels: {app: web}}\naction: DENY\nrules:\n- {}");

        assertThat(compile(policies, "orders", DEFAULT_ALLOW).policies())
                .extracting(ObjectRef::qualifiedName)
                .containsExactly("palisade-system/mesh-deny");
        assertThat(compile(policies, "web", DEFAULT_ALLOW).policies())
                .extracting(ObjectRef::qualifiedName)
                .containsExactly("palisade-system/mesh-deny", "palisade-system/web-only");
    }

    // ---------------------------------------------------------------- defaults and placement

    @Test
    void underDefaultAllowAWorkloadWithoutAllowPolicyGetsNoAllowFilter() throws Exception {
        CompiledWorkloadPolicy compiled = compile(policy("d", "DENY", "rules:\n- {}"), "orders", DEFAULT_ALLOW);

        assertThat(compiled.httpFilters())
                .extracting(f -> f.getRules().getAction())
                .containsExactly(Action.DENY);
    }

    @Test
    void underDefaultDenyAWorkloadWithoutAllowPolicyGetsAnEmptyAllowFilter() throws Exception {
        CompiledWorkloadPolicy compiled = compile("", "orders", DEFAULT_DENY);

        assertThat(compiled.httpFilters()).singleElement().satisfies(f -> {
            assertThat(f.getRules().getAction()).isEqualTo(Action.ALLOW);
            assertThat(f.getRules().getPoliciesMap()).isEmpty();
            assertThat(f.hasShadowRules()).isFalse();
        });
        assertThat(compiled.ruleStatuses()).isEmpty();
    }

    @Test
    void anAllowPolicyWithoutRulesDeniesEverythingEvenUnderDefaultAllow() throws Exception {
        CompiledWorkloadPolicy compiled = compile(policy("allow-nothing", "ALLOW", "{}"), "orders", DEFAULT_ALLOW);

        assertThat(compiled.httpFilters())
                .singleElement()
                .satisfies(f -> assertThat(f.getRules().getPoliciesMap()).isEmpty());
        assertThat(compiled.policies()).extracting(ObjectRef::name).containsExactly("allow-nothing");
    }

    @Test
    void aDenyOrAuditPolicyWithoutRulesEmitsNoFilter() throws Exception {
        String policies = policy("d", "DENY", "{}") + "---\n" + policy("a", "AUDIT", "rules: []");

        assertThat(compile(policies, "orders", DEFAULT_ALLOW).httpFilters()).isEmpty();
    }

    @Test
    void placesDenyAuditAllowAndDryRunFiltersInTheContractOrder() throws Exception {
        String policies = policy("allow", "ALLOW", "rules:\n- {}\n- {}")
                + "---\n"
                + policy("deny", "DENY", "rules:\n- {}")
                + "---\n"
                + policy("audit", "AUDIT", "rules:\n- {}")
                + "---\n"
                + policy("dry-deny", "DENY", "dryRun: true\nrules:\n- {}")
                + "---\n"
                + policy("dry-allow", "ALLOW", "dryRun: true\nrules:\n- {}");

        CompiledWorkloadPolicy compiled = compile(policies, "orders", DEFAULT_ALLOW);

        List<RBAC> filters = compiled.httpFilters();
        assertThat(filters).hasSize(5);
        assertEnforced(filters.get(0), Action.DENY, "ns[shop]-policy[deny]-rule[0]");
        assertEnforced(filters.get(1), Action.LOG, "ns[shop]-policy[audit]-rule[0]");
        assertEnforced(
                filters.get(2), Action.ALLOW, "ns[shop]-policy[allow]-rule[0]", "ns[shop]-policy[allow]-rule[1]");
        assertShadow(filters.get(3), Action.DENY, "ns[shop]-policy[dry-deny]-rule[0]");
        assertShadow(filters.get(4), Action.ALLOW, "ns[shop]-policy[dry-allow]-rule[0]");
        assertThat(compiled.ruleStatuses())
                .extracting(RuleStatus::rbacPolicyName, RuleStatus::status)
                .containsExactly(
                        tuple("ns[shop]-policy[allow]-rule[0]", EnforcementStatus.ENFORCED),
                        tuple("ns[shop]-policy[allow]-rule[1]", EnforcementStatus.ENFORCED),
                        tuple("ns[shop]-policy[audit]-rule[0]", EnforcementStatus.AUDIT),
                        tuple("ns[shop]-policy[deny]-rule[0]", EnforcementStatus.ENFORCED),
                        tuple("ns[shop]-policy[dry-allow]-rule[0]", EnforcementStatus.DRY_RUN),
                        tuple("ns[shop]-policy[dry-deny]-rule[0]", EnforcementStatus.DRY_RUN));
    }

    @Test
    void aDryRunAllowPolicyNeverAddsAnEnforcedAllowFilter() throws Exception {
        CompiledWorkloadPolicy compiled =
                compile(policy("dry", "ALLOW", "dryRun: true\nrules:\n- {}"), "orders", DEFAULT_ALLOW);

        assertThat(compiled.httpFilters())
                .singleElement()
                .satisfies(f -> assertShadow(f, Action.ALLOW, "ns[shop]-policy[dry]-rule[0]"));
    }

    @Test
    void notesPortsThatTheWorkloadDoesNotDeclare() throws Exception {
        CompiledWorkloadPolicy compiled = compile(
                policy("p", "ALLOW", "rules:\n- to:\n  - operation: {ports: ['8080', '7070']}"),
                "orders",
                DEFAULT_ALLOW);

        assertThat(compiled.ruleStatuses())
                .singleElement()
                .extracting(RuleStatus::reason)
                .isEqualTo("ALLOW filter (note: the workload declares no port 7070)");
    }

    // ---------------------------------------------------------------- PeerAuthentication

    static Stream<Arguments> peerAuthentications() {
        String root = peer("mesh", "palisade-system", "", "PERMISSIVE");
        String namespace = peer("ns", "shop", "", "STRICT");
        String other = peer("other", "other", "", "STRICT");
        String workload = peer("orders", "shop", "selector: {matchLabels: {app: orders}}", "PERMISSIVE")
                .replace(
                        "mtls: {mode: PERMISSIVE}",
                        "mtls: {mode: PERMISSIVE}\n  portLevelMtls: {'9090': {mode: STRICT}}");
        String otherWorkload = peer("db", "shop", "selector: {matchLabels: {app: db}}", "PERMISSIVE");
        return Stream.of(
                arguments("none: the mesh default", other, MtlsMode.STRICT, null, Map.of(8080, MtlsMode.STRICT)),
                arguments(
                        "mesh-wide beats the mesh default",
                        root,
                        MtlsMode.PERMISSIVE,
                        "palisade-system/mesh",
                        Map.of(8080, MtlsMode.PERMISSIVE, 9090, MtlsMode.PERMISSIVE)),
                arguments(
                        "namespace-wide beats mesh-wide",
                        root + "---\n" + namespace,
                        MtlsMode.STRICT,
                        "shop/ns",
                        Map.of(8080, MtlsMode.STRICT)),
                arguments(
                        "a selector that misses falls back",
                        namespace + "---\n" + otherWorkload,
                        MtlsMode.STRICT,
                        "shop/ns",
                        Map.of(9090, MtlsMode.STRICT)),
                arguments(
                        "a selector beats namespace-wide, port-level beats both",
                        root + "---\n" + namespace + "---\n" + workload,
                        MtlsMode.PERMISSIVE,
                        "shop/orders",
                        Map.of(8080, MtlsMode.PERMISSIVE, 9090, MtlsMode.STRICT)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("peerAuthentications")
    void resolvesThePeerAuthenticationModeMostSpecificFirst(
            String how, String peers, MtlsMode mode, String source, Map<Integer, MtlsMode> ports) throws Exception {
        EffectiveMtls mtls = compile(peers, "orders", DEFAULT_ALLOW).mtls();

        assertThat(mtls.mode()).isEqualTo(mode);
        assertThat(mtls.source() == null ? null : mtls.source().qualifiedName()).isEqualTo(source);
        ports.forEach((port, portMode) ->
                assertThat(mtls.modeFor(port)).as("port %d", port).isEqualTo(portMode));
        assertThat(mtls.portModes()).containsOnlyKeys(8080, 9090);
    }

    // ---------------------------------------------------------------- helpers

    private static void assertEnforced(RBAC filter, Action action, String... policies) {
        assertThat(filter.hasRules()).isTrue();
        assertThat(filter.getRules().getAction()).isEqualTo(action);
        assertThat(filter.getRules().getPoliciesMap()).containsOnlyKeys(policies);
        assertThat(filter.hasShadowRules()).isFalse();
        assertThat(filter.getShadowRulesStatPrefix()).isEmpty();
    }

    private static void assertShadow(RBAC filter, Action action, String... policies) {
        assertThat(filter.hasRules()).isFalse();
        assertThat(filter.getShadowRules().getAction()).isEqualTo(action);
        assertThat(filter.getShadowRules().getPoliciesMap()).containsOnlyKeys(policies);
        assertThat(filter.getShadowRulesStatPrefix()).isEqualTo("palisade_dry_run_");
    }

    static String policy(String name, String action, String spec) {
        return object(
                "security.palisade.dev/v1",
                "AuthorizationPolicy",
                "shop",
                name,
                "action: " + action + "\n" + (spec.equals("{}") ? "" : spec));
    }

    static String peer(String name, String namespace, String selector, String mode) {
        return object(
                "security.palisade.dev/v1",
                "PeerAuthentication",
                namespace,
                name,
                (selector.isEmpty() ? "" : selector + "\n") + "mtls: {mode: " + mode + "}");
    }

    private static CompiledWorkloadPolicy compile(String yaml, String workload, MeshConfig mesh)
            throws PolicyLoadException, PolicyCompileException {
        PolicySet set = PolicyParser.parseSet("test.yaml", yaml + (yaml.isEmpty() ? "" : "---\n") + WORKLOADS);
        Workload w = set.workloads().stream()
                .filter(x -> x.name().equals(workload))
                .findFirst()
                .orElseThrow();
        return PolicyCompiler.compile(set, mesh, w);
    }
}
