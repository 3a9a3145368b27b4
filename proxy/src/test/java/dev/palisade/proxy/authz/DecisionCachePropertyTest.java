package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.Rbac.and;
import static dev.palisade.proxy.authz.Rbac.anyPermission;
import static dev.palisade.proxy.authz.Rbac.anyPrincipal;
import static dev.palisade.proxy.authz.Rbac.exact;
import static dev.palisade.proxy.authz.Rbac.header;
import static dev.palisade.proxy.authz.Rbac.host;
import static dev.palisade.proxy.authz.Rbac.ipBlock;
import static dev.palisade.proxy.authz.Rbac.method;
import static dev.palisade.proxy.authz.Rbac.namespace;
import static dev.palisade.proxy.authz.Rbac.not;
import static dev.palisade.proxy.authz.Rbac.notId;
import static dev.palisade.proxy.authz.Rbac.or;
import static dev.palisade.proxy.authz.Rbac.path;
import static dev.palisade.proxy.authz.Rbac.pathPrefix;
import static dev.palisade.proxy.authz.Rbac.policy;
import static dev.palisade.proxy.authz.Rbac.port;
import static dev.palisade.proxy.authz.Rbac.principal;
import static dev.palisade.proxy.authz.Rbac.serverName;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * For random requests (fixed seed), the cached engine and the uncached one decide the same,
 * decision for decision, and explaining decides the same as evaluating. A stand-in for the Jazzer
 * fuzz test of issue 4.
 */
class DecisionCachePropertyTest {

    private static final long SEED = 0x5eed_4a11L;
    private static final int REQUESTS = 20_000;
    private static final int BASES = 200;

    private static final List<String> METHODS = List.of("GET", "POST", "DELETE", "PUT");
    private static final List<String> PATHS =
            List.of("/", "/public", "/public/a", "/admin", "/admin/x", "/v1/charge", "/v1/refund/1", "/x", "/X");
    private static final List<String> AUTHORITIES = List.of("payments.shop", "orders.shop", "evil.example");
    private static final List<String> PRINCIPALS = List.of(
            TestRequest.CHECKOUT,
            "spiffe://cluster.local/ns/shop/sa/cart",
            "spiffe://cluster.local/ns/other/sa/x",
            "spiffe://clusterXlocal/ns/shop/sa/checkout");
    private static final List<String> SOURCES = List.of("10.1.2.3", "10.200.0.1", "192.168.1.1", "fd00::1");
    private static final List<Integer> PORTS = List.of(8080, 9090, 5432);
    private static final List<String> SERVER_NAMES = List.of("payments.shop", "evil.example");
    private static final List<String> TENANTS = List.of("acme", "evil", "acme,evil", "");

    /** Every filter, every cacheable matcher kind. */
    private static final AuthzEngine CACHEABLE = Rbac.compile(
            Rbac.deny(
                    policy("no-admin", pathPrefix("/admin"), anyPrincipal()),
                    policy("no-foreign-delete", method("DELETE"), notId(namespace("shop")))),
            Rbac.audit(policy("watch-v1", pathPrefix("/v1/"), anyPrincipal())),
            Rbac.allow(
                    policy("public", pathPrefix("/public"), anyPrincipal()),
                    policy(
                            "charge",
                            and(method("POST"), path("/v1/charge"), port(8080)),
                            principal(TestRequest.CHECKOUT)),
                    policy("orders", host("orders.shop"), namespace("shop")),
                    policy("lan", path("/x"), ipBlock("192.168.0.0", 16)),
                    policy(
                            "sni",
                            or(not(method("GET")), serverName(exact("payments.shop"))),
                            ipBlock("10.200.0.0", 16))),
            Rbac.dryRunDeny(policy("no-9090", port(9090), anyPrincipal())),
            Rbac.dryRunAllow(policy("get-only", method("GET"), anyPrincipal())));

    private static final AuthzEngine HEADER_DEPENDENT = Rbac.compile(
            Rbac.deny(policy("evil", header("x-tenant", exact("evil")), anyPrincipal())),
            Rbac.allow(
                    policy("acme", header("x-tenant", exact("acme")), anyPrincipal()),
                    policy("public", pathPrefix("/public"), anyPrincipal())));

    @Test
    void cachedAndUncachedEnginesAgreeOnRandomRequests() {
        AuthzPolicyHolder cached = new AuthzPolicyHolder(CACHEABLE, new DecisionCacheSettings(true, 500));

        int allowed = assertAgree(CACHEABLE, cached);

        assertThat(CACHEABLE.isCacheable()).isTrue();
        assertThat(cached.cacheStats().hits()).as("the cache was used").isGreaterThan(REQUESTS / 4);
        assertThat(allowed)
                .as("both outcomes were exercised")
                .isStrictlyBetween(REQUESTS / 20, REQUESTS - REQUESTS / 20);
    }

    @Test
    void headerDependentEngineAgreesAndIsNeverCached() {
        AuthzPolicyHolder cached = new AuthzPolicyHolder(HEADER_DEPENDENT, DecisionCacheSettings.defaults());

        int allowed = assertAgree(HEADER_DEPENDENT, cached);

        assertThat(cached.cacheStats().active()).isFalse();
        assertThat(allowed).isStrictlyBetween(REQUESTS / 20, REQUESTS - REQUESTS / 20);
    }

    @Test
    void allowAllAndDenyAllAgreeToo() {
        AuthzEngine allowAll = Rbac.compile(Rbac.allow(policy("all", anyPermission(), anyPrincipal())));
        AuthzEngine denyAll = Rbac.compile(Rbac.allow());

        assertThat(assertAgree(allowAll, new AuthzPolicyHolder(allowAll, DecisionCacheSettings.defaults())))
                .isEqualTo(REQUESTS);
        assertThat(assertAgree(denyAll, new AuthzPolicyHolder(denyAll, DecisionCacheSettings.defaults())))
                .isZero();
    }

    /**
     * Evaluates {@value #REQUESTS} random requests both ways; returns how many were allowed. Most
     * requests are regenerated from one of {@value #BASES} seeds and then changed in one field,
     * so that the cache sees many near-duplicates: requests that share a key must share a
     * decision, and requests that differ where it matters must not.
     */
    private static int assertAgree(AuthzEngine engine, AuthzPolicyHolder cached) {
        SplittableRandom random = new SplittableRandom(SEED);
        long[] bases = random.longs(BASES).toArray();
        int allowed = 0;
        for (int i = 0; i < REQUESTS; i++) {
            TestRequest built = randomRequest(new SplittableRandom(bases[random.nextInt(BASES)]));
            if (random.nextBoolean()) {
                mutateOneField(random, built);
            }
            AuthzRequest request = built.build();

            AuthzDecision uncached = engine.evaluate(request);

            assertThat(cached.evaluate(request)).as("request %d: %s", i, built).isEqualTo(uncached);
            if (i % 16 == 0) {
                assertThat(engine.explain(request).decision()).isEqualTo(uncached);
            }
            allowed += uncached.allowed() ? 1 : 0;
        }
        return allowed;
    }

    private static TestRequest randomRequest(SplittableRandom random) {
        TestRequest request = TestRequest.request()
                .method(pick(random, METHODS))
                .path(pick(random, PATHS))
                .authority(pick(random, AUTHORITIES))
                .principal(random.nextInt(5) == 0 ? null : pick(random, PRINCIPALS))
                .sourceIp(pick(random, SOURCES))
                .port(pick(random, PORTS))
                .serverName(random.nextBoolean() ? null : pick(random, SERVER_NAMES));
        int tenants = random.nextInt(3);
        for (int i = 0; i < tenants; i++) {
            request.header("x-tenant", pick(random, TENANTS));
        }
        return request;
    }

    private static void mutateOneField(SplittableRandom random, TestRequest request) {
        switch (random.nextInt(9)) {
            case 0 -> request.method(pick(random, METHODS));
            case 1 -> request.path(pick(random, PATHS));
            case 2 -> request.authority(pick(random, AUTHORITIES));
            case 3 -> request.principal(pick(random, PRINCIPALS));
            case 4 -> request.sourceIp(pick(random, SOURCES));
            case 5 -> request.port(pick(random, PORTS));
            case 6 -> request.serverName(pick(random, SERVER_NAMES));
            case 7 -> request.query("q=" + random.nextInt(100));
            default -> request.header("x-tenant", pick(random, TENANTS));
        }
    }

    private static <T> T pick(SplittableRandom random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
