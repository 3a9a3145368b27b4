package dev.palisade.proxy.authz;

/**
 * Counters of the decision cache for the current policy version, for {@code /metrics}.
 *
 * @param active whether decisions of the current version are cached: the cache is enabled and
 *     the engine is cacheable
 * @param hits lookups answered from the cache since the version became current
 * @param misses lookups that evaluated the request
 * @param size decisions held (an estimate)
 */
public record DecisionCacheStats(boolean active, long hits, long misses, long size) {

    /** The counters of an inactive cache. */
    public static final DecisionCacheStats INACTIVE = new DecisionCacheStats(false, 0, 0, 0);
}
