package dev.palisade.perf.authz;

import dev.palisade.perf.Initializer;
import dev.palisade.perf.SuppressForbidden;
import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.AuthzEngine;
import dev.palisade.proxy.authz.AuthzPolicyHolder;
import dev.palisade.proxy.authz.AuthzRequest;
import dev.palisade.proxy.authz.DecisionCacheSettings;
import dev.palisade.proxy.authz.DecisionCacheStats;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One authorization decision, as the data path asks for it ({@link AuthzPolicyHolder#evaluate}),
 * for 10, 100 and 1,000 rules, with the decision cache ({@link DecisionCacheSettings#defaults()})
 * and without ({@link DecisionCacheSettings#disabled()}), over the request mix of {@link
 * PolicySets}: throughput, and with {@link Mode#SampleTime} the distribution of single decisions
 * (p99). Issue 4's target: p99 under 2 µs uncached at 100 rules.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class AuthzDecisionBenchmark {

    /** Requests in the mix; more than the cache holds for the larger rule sets, a power of two. */
    static final int REQUESTS = 1 << 14;

    @Param({"10", "100", "1000"})
    public int rules;

    @Param({"false", "true"})
    public boolean cached;

    private AuthzPolicyHolder policies;
    private AuthzRequest[] requests;
    private int next;

    @Setup(Level.Trial)
    @Initializer
    public void setUp() {
        AuthzEngine engine = PolicySets.engine(rules);
        policies = new AuthzPolicyHolder(
                engine, cached ? DecisionCacheSettings.defaults() : DecisionCacheSettings.disabled());
        requests = PolicySets.requests(rules, REQUESTS);
        if (cached && !engine.isCacheable()) {
            throw new IllegalStateException("the rule set must be cacheable for the cached case");
        }
    }

    @Benchmark
    public AuthzDecision decide() {
        AuthzRequest request = requests[next++ & (REQUESTS - 1)];
        return policies.evaluate(request);
    }

    /** Prints the cache's hit rate and the share of allowed requests, to read beside the numbers. */
    @TearDown(Level.Trial)
    @SuppressForbidden(reason = "JMH shows a benchmark's standard output in its report")
    public void report() {
        int allowed = 0;
        for (AuthzRequest request : requests) {
            allowed += policies.engine().evaluate(request).allowed() ? 1 : 0;
        }
        DecisionCacheStats stats = policies.cacheStats();
        long lookups = stats.hits() + stats.misses();
        System.out.printf(
                Locale.ROOT,
                "%n%d rules, cache %s: %.0f %% of the mix allowed%s%n",
                rules,
                cached ? "on" : "off",
                100.0 * allowed / requests.length,
                lookups == 0 ? "" : String.format(Locale.ROOT, ", hit rate %.1f %%", 100.0 * stats.hits() / lookups));
    }
}
