package dev.palisade.proxy.authz;

import static dev.palisade.proxy.authz.Rbac.anyPermission;
import static dev.palisade.proxy.authz.Rbac.anyPrincipal;
import static dev.palisade.proxy.authz.Rbac.exact;
import static dev.palisade.proxy.authz.Rbac.header;
import static dev.palisade.proxy.authz.Rbac.ipBlock;
import static dev.palisade.proxy.authz.Rbac.pathPrefix;
import static dev.palisade.proxy.authz.Rbac.policy;
import static dev.palisade.proxy.authz.Rbac.principal;
import static dev.palisade.proxy.authz.TestRequest.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Atomic policy swaps under load, and the decision cache. */
class AuthzPolicyHolderTest {

    /** v1 allows {@code /one} and audits it as v1; v2 denies it and audits it as v2. */
    private static final AuthzEngine V1 = Rbac.compile(
            "v1",
            Rbac.audit(policy("audit-v1", anyPermission(), anyPrincipal())),
            Rbac.allow(policy("one", pathPrefix("/one"), anyPrincipal())));

    private static final AuthzEngine V2 = Rbac.compile(
            "v2",
            Rbac.audit(policy("audit-v2", anyPermission(), anyPrincipal())),
            Rbac.allow(policy("two", pathPrefix("/two"), anyPrincipal())));

    static Stream<DecisionCacheSettings> cacheSettings() {
        return Stream.of(DecisionCacheSettings.defaults(), DecisionCacheSettings.disabled());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("cacheSettings")
    @Timeout(60)
    void everyDecisionUnderConcurrentSwapsIsConsistentWithExactlyOneVersion(DecisionCacheSettings settings)
            throws Exception {
        AuthzPolicyHolder holder = new AuthzPolicyHolder(V1, settings);
        AuthzRequest request = get("/one").build();
        int evaluators = 3;
        ExecutorService threads = Executors.newFixedThreadPool(evaluators + 1);
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean swapping = new AtomicBoolean(true);
        Queue<AuthzDecision> inconsistent = new ConcurrentLinkedQueue<>();
        AtomicLong seenV1 = new AtomicLong();
        AtomicLong seenV2 = new AtomicLong();
        try {
            Future<?> swapper = threads.submit(() -> {
                start.await();
                // At least 20,000 swaps, and on until the evaluators have seen both versions often:
                // on two cores the swaps alone can finish before an evaluator is even scheduled.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                for (int i = 0; i < 20_000 || seenV1.get() < 1_000 || seenV2.get() < 1_000; i++) {
                    holder.update(i % 2 == 0 ? V2 : V1);
                    if (System.nanoTime() > deadline) {
                        break;
                    }
                }
                swapping.set(false);
                return null;
            });
            List<? extends Future<?>> checks = Stream.generate(() -> threads.submit(() -> {
                        start.await();
                        while (swapping.get()) {
                            AuthzDecision decision = holder.evaluate(request);
                            boolean v1 = decision.version().equals("v1");
                            (v1 ? seenV1 : seenV2).incrementAndGet();
                            String expectedAudit = v1 ? "audit-v1" : "audit-v2";
                            boolean consistent = decision.allowed() == v1
                                    && decision.policy().policy().equals(v1 ? "one" : "no-matching-allow-policy")
                                    && decision.audits().size() == 1
                                    && decision.audits().get(0).policy().equals(expectedAudit);
                            if (!consistent) {
                                inconsistent.add(decision);
                            }
                        }
                        return null;
                    }))
                    .limit(evaluators)
                    .toList();
            start.countDown();
            swapper.get(45, TimeUnit.SECONDS);
            for (Future<?> check : checks) {
                check.get(10, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(inconsistent).isEmpty();
        assertThat(seenV1.get()).as("decisions by v1").isGreaterThanOrEqualTo(1_000);
        assertThat(seenV2.get()).as("decisions by v2").isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void updateReplacesTheEngineAndReturnsThePreviousOne() {
        AuthzPolicyHolder holder = new AuthzPolicyHolder(V1, DecisionCacheSettings.defaults());

        AuthzEngine previous = holder.update(V2);

        assertThat(previous).isSameAs(V1);
        assertThat(holder.engine()).isSameAs(V2);
        assertThat(holder.version()).isEqualTo("v2");
        assertThat(holder.evaluate(get("/one").build()).denied()).isTrue();
        assertThat(holder.explain(get("/one").build()).closestAllow())
                .extracting(PolicyRef::policy)
                .isEqualTo("two");
    }

    @Test
    void headerDependentRulesAreNeverCached() {
        AuthzEngine tenant =
                Rbac.compile(Rbac.allow(policy("acme", header("x-tenant", exact("acme")), anyPrincipal())));
        AuthzPolicyHolder holder = new AuthzPolicyHolder(tenant, DecisionCacheSettings.defaults());

        AuthzDecision acme =
                holder.evaluate(get("/a").header("x-tenant", "acme").build());
        AuthzDecision evil =
                holder.evaluate(get("/a").header("x-tenant", "evil").build());
        AuthzDecision acmeAgain =
                holder.evaluate(get("/a").header("x-tenant", "acme").build());

        assertThat(tenant.isCacheable()).isFalse();
        assertThat(acme.allowed()).isTrue();
        assertThat(evil.allowed()).isFalse();
        assertThat(acmeAgain.allowed()).isTrue();
        assertThat(holder.cacheStats()).isEqualTo(DecisionCacheStats.INACTIVE);
    }

    @Test
    void disabledCacheIsNeverUsed() {
        AuthzPolicyHolder holder = new AuthzPolicyHolder(V1, DecisionCacheSettings.disabled());

        holder.evaluate(get("/one").build());
        holder.evaluate(get("/one").build());

        assertThat(V1.isCacheable()).isTrue();
        assertThat(holder.cacheStats()).isEqualTo(DecisionCacheStats.INACTIVE);
    }

    @Test
    void repeatedRequestIsAnsweredFromTheCache() {
        AuthzPolicyHolder holder = new AuthzPolicyHolder(V1, DecisionCacheSettings.defaults());

        AuthzDecision first = holder.evaluate(get("/one").build());
        AuthzDecision second = holder.evaluate(get("/one").build());
        holder.evaluate(get("/one/other").build());

        assertThat(second).isSameAs(first);
        assertThat(holder.cacheStats()).isEqualTo(new DecisionCacheStats(true, 1, 2, 2));
    }

    @Test
    void newVersionStartsWithAnEmptyCache() {
        AuthzPolicyHolder holder = new AuthzPolicyHolder(V1, DecisionCacheSettings.defaults());
        AuthzEngine sameVersionString =
                Rbac.compile("v1", Rbac.allow(policy("two", pathPrefix("/two"), anyPrincipal())));
        holder.evaluate(get("/one").build());

        holder.update(sameVersionString);

        assertThat(holder.cacheStats()).isEqualTo(new DecisionCacheStats(true, 0, 0, 0));
        assertThat(holder.evaluate(get("/one").build()).allowed())
                .as("no decision survives an update, even under the same version string")
                .isFalse();
    }

    @Test
    void keyHoldsThePrincipalAndThePortAlways() {
        AuthzEngine engine =
                Rbac.compile(Rbac.allow(policy("checkout", Rbac.port(8080), principal(TestRequest.CHECKOUT))));
        AuthzPolicyHolder holder = new AuthzPolicyHolder(engine, DecisionCacheSettings.defaults());

        assertThat(holder.evaluate(get("/").build()).allowed()).isTrue();
        assertThat(holder.evaluate(get("/").principal("spiffe://cluster.local/ns/shop/sa/cart")
                                .build())
                        .allowed())
                .isFalse();
        assertThat(holder.evaluate(get("/").plaintext().build()).allowed()).isFalse();
        assertThat(holder.evaluate(get("/").port(9090).build()).allowed()).isFalse();
        assertThat(holder.cacheStats().misses()).isEqualTo(4);
    }

    @Test
    void keyHoldsTheSourceAddressOnlyWhenAPolicyTestsIt() {
        AuthzPolicyHolder byPath = new AuthzPolicyHolder(V1, DecisionCacheSettings.defaults());
        AuthzEngine byAddress = Rbac.compile(Rbac.allow(policy("lan", anyPermission(), ipBlock("10.0.0.0", 8))));
        AuthzPolicyHolder byIp = new AuthzPolicyHolder(byAddress, DecisionCacheSettings.defaults());

        byPath.evaluate(get("/one").sourceIp("10.1.1.1").build());
        byPath.evaluate(get("/one").sourceIp("192.168.1.1").build());
        AuthzDecision lan = byIp.evaluate(get("/one").sourceIp("10.1.1.1").build());
        AuthzDecision other = byIp.evaluate(get("/one").sourceIp("192.168.1.1").build());

        assertThat(byPath.cacheStats()).isEqualTo(new DecisionCacheStats(true, 1, 1, 1));
        assertThat(byIp.cacheStats()).isEqualTo(new DecisionCacheStats(true, 0, 2, 2));
        assertThat(lan.allowed()).isTrue();
        assertThat(other.allowed()).isFalse();
    }

    @Test
    void veryLongPathsAreEvaluatedWithoutTheCache() {
        AuthzPolicyHolder holder = new AuthzPolicyHolder(V1, DecisionCacheSettings.defaults());
        String longPath = "/one/" + "a".repeat(AuthzEngine.MAX_CACHED_KEY_LENGTH);

        assertThat(holder.evaluate(get(longPath).build()).allowed()).isTrue();
        assertThat(holder.evaluate(get(longPath).build()).allowed()).isTrue();
        assertThat(holder.cacheStats()).isEqualTo(new DecisionCacheStats(true, 0, 0, 0));
    }

    @Test
    void cacheIsBoundedBySize() {
        AuthzPolicyHolder holder = new AuthzPolicyHolder(V1, new DecisionCacheSettings(true, 10));

        for (int i = 0; i < 1_000; i++) {
            holder.evaluate(get("/one/" + i).build());
        }

        assertThat(holder.cacheStats().size()).isLessThanOrEqualTo(10);
    }
}
