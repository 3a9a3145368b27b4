package dev.palisade.controlplane.uiapi;

import static dev.palisade.controlplane.uiapi.UiFixtures.API;
import static dev.palisade.controlplane.uiapi.UiFixtures.FRONTEND;
import static dev.palisade.controlplane.uiapi.UiFixtures.T0;
import static dev.palisade.controlplane.uiapi.UiFixtures.WEB;
import static dev.palisade.controlplane.uiapi.UiFixtures.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.config.DefaultAction;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.controlplane.policy.CompiledWorkloadPolicy;
import dev.palisade.controlplane.policy.PolicyCompiler;
import dev.palisade.controlplane.policy.PolicyParser;
import dev.palisade.controlplane.policy.PolicySet;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.testkit.time.FakeClock;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /api/policies} over real HTTP on 127.0.0.1: a policy set compiled by the real compiler, records ingested in
 * a real SQLite store, hits checked against counts computed from the records (window with partial minutes at both
 * ends).
 */
@Timeout(60)
class PoliciesApiIT {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    static final TrustDomain TD = TrustDomain.parse("cluster.local");
    static final Instant SINCE = T0.plusSeconds(30);
    static final Instant UNTIL = T0.plusSeconds(200);
    static final String YAML =
            """
            apiVersion: palisade.dev/v1
            kind: Workload
            metadata: {name: web, namespace: shop}
            spec:
              serviceAccount: web
              labels: {app: web}
              address: 10.0.0.1
              ports:
              - {name: http, port: 8080, protocol: HTTP}
            ---
            apiVersion: palisade.dev/v1
            kind: Workload
            metadata: {name: api, namespace: shop}
            spec:
              serviceAccount: api
              labels: {app: api}
              address: 10.0.0.2
              ports:
              - {name: http, port: 8080, protocol: HTTP}
            ---
            apiVersion: security.palisade.dev/v1
            kind: AuthorizationPolicy
            metadata: {name: web-access, namespace: shop}
            spec:
              selector: {matchLabels: {app: web}}
              action: ALLOW
              rules:
              - from: [{source: {principals: ["spiffe://cluster.local/ns/shop/sa/frontend"]}}]
                to: [{operation: {methods: ["GET"]}}]
              - from: [{source: {namespaces: ["jobs"]}}]
              - {}
              - from: [{source: {namespaces: ["nowhere"]}}]
            ---
            apiVersion: security.palisade.dev/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-batch, namespace: shop}
            spec:
              action: DENY
              rules:
              - to: [{operation: {paths: ["/admin/*"]}}]
              - to: [{operation: {methods: ["DELETE"]}}]
            ---
            apiVersion: security.palisade.dev/v1
            kind: AuthorizationPolicy
            metadata: {name: audit-all, namespace: shop}
            spec:
              selector: {matchLabels: {app: web}}
              action: AUDIT
              rules:
              - {}
            ---
            apiVersion: security.palisade.dev/v1
            kind: AuthorizationPolicy
            metadata: {name: tighten, namespace: shop}
            spec:
              selector: {matchLabels: {app: api}}
              action: DENY
              dryRun: true
              rules:
              - {}
            """;

    final FakeClock clock = new FakeClock(T0.plus(Duration.ofMinutes(10)));
    final FlowStore store = FlowStore.inMemory(clock);
    AdminServer server;
    PoliciesApi.State state;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        store.close();
    }

    @AfterAll
    static void shutdown() {
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    void start() throws Exception {
        PolicySet set = PolicyParser.parseSet("test.yaml", YAML);
        MeshConfig mesh = new MeshConfig(TD, DefaultAction.ALLOW, MtlsMode.STRICT);
        Map<SpiffeId, CompiledWorkloadPolicy> compiled = new LinkedHashMap<>();
        for (Workload w : set.workloads()) {
            compiled.put(w.spiffeId(TD), PolicyCompiler.compile(set, mesh, w));
        }
        state = new PoliciesApi.State(set, compiled);
        UiFixtures.chains(240).forEach((sidecar, chain) -> store.ingest(chain, SpiffeId.parse(sidecar)));
        server = UiFixtures.server(GROUP, new PoliciesApi(store, () -> state, clock).endpoints());
    }

    /** Records in [SINCE, UNTIL) to {@code destination} naming {@code policy} and {@code rule}. */
    static long expectedHits(String destination, String policy, int rule) {
        long n = 0;
        for (int i = 0; i < 240; i++) {
            FlowRecord r = UiFixtures.record(i);
            Instant t = UiFixtures.time(r);
            if (!t.isBefore(SINCE)
                    && t.isBefore(UNTIL)
                    && r.getDestinationId().equals(destination)
                    && r.getPolicy().equals(policy)
                    && r.getRule() == rule) {
                n++;
            }
        }
        return n;
    }

    static Map<String, JsonNode> byName(JsonNode array, String field) {
        Map<String, JsonNode> out = new HashMap<>();
        array.forEach(n -> out.put(n.path(field).asText(), n));
        return out;
    }

    @Test
    void badParametersAre400NamingTheParameter() throws Exception {
        start();
        for (String[] c : new String[][] {
            {"/api/policies?since=later", "since"},
            {"/api/policies?policy=shop/x", "policy"},
            {"/api/policies?until=" + T0.minus(Duration.ofHours(2)), "since"}
        }) {
            UiFixtures.Answer a = get(server, c[0]);
            assertThat(a.status()).as(c[0]).isEqualTo(400);
            assertThat(a.json().path("error").asText()).as(c[0]).contains(c[1]);
        }
    }

    @Test
    void eachWorkloadsPoliciesWithTheirRulesStatusesAndHits() throws Exception {
        start();
        JsonNode answer =
                get(server, "/api/policies?since=" + SINCE + "&until=" + UNTIL).json();
        Map<String, JsonNode> workloads = byName(answer.path("workloads"), "workload");
        assertThat(workloads).containsOnlyKeys("web", "api");
        JsonNode web = workloads.get("web");
        assertThat(web.path("namespace").asText()).isEqualTo("shop");
        assertThat(web.path("spiffeIds").toString()).isEqualTo("[\"" + WEB + "\"]");
        Map<String, JsonNode> webPolicies = byName(web.path("policies"), "name");
        assertThat(webPolicies).containsOnlyKeys("shop/web-access", "shop/deny-batch", "shop/audit-all");

        JsonNode access = webPolicies.get("shop/web-access");
        assertThat(access.path("action").asText()).isEqualTo("allow");
        assertThat(access.path("enforcement").asText()).isEqualTo("enforced");
        assertThat(access.path("rules")).hasSize(4);
        for (int i = 0; i < 4; i++) {
            JsonNode rule = access.path("rules").get(i);
            long expected = expectedHits(WEB, "shop/web-access", i);
            assertThat(rule.path("index").asInt()).isEqualTo(i);
            assertThat(rule.path("status").asText()).isEqualTo("enforced");
            assertThat(rule.path("hits").asLong()).as("rule " + i).isEqualTo(expected);
            assertThat(rule.path("neverMatched").asBoolean()).isEqualTo(expected == 0);
        }
        assertThat(access.path("rules").get(0).path("hits").asLong()).isPositive();
        assertThat(access.path("rules").get(3).path("neverMatched").asBoolean()).isTrue();
        assertThat(access.path("rules").get(0).path("description").asText())
                .isEqualTo("from principals [" + FRONTEND + "]; to methods [GET]");
        assertThat(access.path("rules").get(2).path("description").asText()).isEqualTo("any request");

        JsonNode denyAtWeb = webPolicies.get("shop/deny-batch");
        assertThat(denyAtWeb.path("action").asText()).isEqualTo("deny");
        for (int i = 0; i < 2; i++) {
            assertThat(denyAtWeb.path("rules").get(i).path("hits").asLong())
                    .isEqualTo(expectedHits(WEB, "shop/deny-batch", i))
                    .isPositive();
        }
        JsonNode audit = webPolicies.get("shop/audit-all");
        assertThat(audit.path("action").asText()).isEqualTo("audit");
        assertThat(audit.path("enforcement").asText()).isEqualTo("audit");
        assertThat(audit.path("rules").get(0).path("status").asText()).isEqualTo("audit");
        assertThat(audit.path("rules").get(0).path("hits").isNull()).isTrue();
        assertThat(audit.path("rules").get(0).path("neverMatched").isNull()).isTrue();

        // api: hits counted at its own SPIFFE ID only; web-access does not select it even though records to api
        // name it (the fixture's records do), so it is not listed.
        JsonNode api = workloads.get("api");
        Map<String, JsonNode> apiPolicies = byName(api.path("policies"), "name");
        assertThat(apiPolicies).containsOnlyKeys("shop/deny-batch", "shop/tighten");
        for (int i = 0; i < 2; i++) {
            assertThat(apiPolicies
                            .get("shop/deny-batch")
                            .path("rules")
                            .get(i)
                            .path("hits")
                            .asLong())
                    .isEqualTo(expectedHits(API, "shop/deny-batch", i))
                    .isNotEqualTo(expectedHits(WEB, "shop/deny-batch", i));
        }
        JsonNode tighten = apiPolicies.get("shop/tighten");
        assertThat(tighten.path("enforcement").asText()).isEqualTo("dry_run");
        assertThat(tighten.path("rules").get(0).path("status").asText()).isEqualTo("dry_run");
        assertThat(tighten.path("rules").get(0).path("hits").isNull()).isTrue();
    }

    @Test
    void beforeAnyPolicySetTheAnswerIsEmpty() throws Exception {
        start();
        state = new PoliciesApi.State(null, Map.of());
        assertThat(get(server, "/api/policies").json().path("workloads")).isEmpty();
    }
}
