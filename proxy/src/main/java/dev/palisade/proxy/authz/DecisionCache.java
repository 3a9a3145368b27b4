package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import org.jspecify.annotations.Nullable;

/**
 * One engine and the cache of its decisions, which lives and dies with it: a new policy version
 * gets a new, empty cache, so an entry can never outlive the version it was computed by, even when
 * two versions carry the same version string. The key is therefore implicitly (version, {@link
 * DecisionKey}).
 *
 * <p>Caching is sound because a decision (including audits and dry-run outcome) is a pure function
 * of the request, and for a cacheable engine of the request's {@link DecisionKey}. Maintenance
 * runs on the calling thread (no executor): it is amortised, bounded work, and keeps the sidecar
 * free of background threads. Thread-safe.
 */
final class DecisionCache {

    private final AuthzEngine engine;
    private final @Nullable Cache<DecisionKey, AuthzDecision> cache;

    DecisionCache(AuthzEngine engine, DecisionCacheSettings settings) {
        this.engine = requireNonNull(engine, "engine");
        this.cache = settings.enabled() && engine.isCacheable()
                ? Caffeine.newBuilder()
                        .maximumSize(settings.maximumSize())
                        .executor(Runnable::run)
                        .recordStats()
                        .build()
                : null;
    }

    AuthzEngine engine() {
        return engine;
    }

    AuthzDecision evaluate(AuthzRequest request) {
        Cache<DecisionKey, AuthzDecision> decisions = cache;
        if (decisions == null) {
            return engine.evaluate(request);
        }
        DecisionKey key = engine.cacheKey(request);
        if (key == null) {
            return engine.evaluate(request);
        }
        AuthzDecision decision = decisions.getIfPresent(key);
        if (decision == null) {
            // Two threads may both evaluate a new key; both get the same decision, so no lock is needed.
            decision = engine.evaluate(request);
            decisions.put(key, decision);
        }
        return decision;
    }

    DecisionCacheStats stats() {
        Cache<DecisionKey, AuthzDecision> decisions = cache;
        if (decisions == null) {
            return DecisionCacheStats.INACTIVE;
        }
        CacheStats stats = decisions.stats();
        return new DecisionCacheStats(true, stats.hitCount(), stats.missCount(), decisions.estimatedSize());
    }
}
