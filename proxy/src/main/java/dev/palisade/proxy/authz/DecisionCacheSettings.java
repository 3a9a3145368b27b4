package dev.palisade.proxy.authz;

/**
 * Settings of the decision cache of an {@link AuthzPolicyHolder}.
 *
 * <p>The cache is only ever used for an engine whose decisions depend on nothing but {@code
 * :method}, {@code :authority}, {@code :path} and connection facts ({@link
 * AuthzEngine#isCacheable()}); with conditions on other headers every request is evaluated.
 *
 * @param enabled whether to cache at all; off, every request is evaluated
 * @param maximumSize the most decisions kept per policy version (Caffeine's W-TinyLFU evicts
 *     beyond it)
 */
public record DecisionCacheSettings(boolean enabled, long maximumSize) {

    private static final DecisionCacheSettings DEFAULTS = new DecisionCacheSettings(true, 10_000);
    private static final DecisionCacheSettings DISABLED = new DecisionCacheSettings(false, 1);

    public DecisionCacheSettings {
        if (maximumSize < 1) {
            throw new IllegalArgumentException("maximumSize: " + maximumSize + " (expected: > 0)");
        }
    }

    /** Enabled, 10,000 decisions. */
    public static DecisionCacheSettings defaults() {
        return DEFAULTS;
    }

    /** No cache: every request is evaluated. */
    public static DecisionCacheSettings disabled() {
        return DISABLED;
    }
}
