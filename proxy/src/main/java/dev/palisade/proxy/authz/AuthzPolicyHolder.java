package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current authorization policies of a sidecar listener: an {@link AuthzEngine} that a policy
 * update replaces atomically, with its decision cache.
 *
 * <p>Each {@link #evaluate} reads the current engine once and uses only it, so a request is
 * evaluated against exactly one version, whatever updates happen meanwhile, and the decision names
 * that version. An update never blocks evaluation: readers do one volatile read, and the old
 * engine (with its cache) is garbage once the requests using it finish. The xDS client calls
 * {@link #update} only with an engine that compiled; a config that did not compile is NACKed and
 * the last good engine stays (DESIGN.md, "Configuration").
 *
 * <p>Thread-safe.
 */
public final class AuthzPolicyHolder {

    private static final Logger logger = LoggerFactory.getLogger(AuthzPolicyHolder.class);

    private final DecisionCacheSettings cacheSettings;
    private final AtomicReference<DecisionCache> current;

    /**
     * @param initial the policies to start with (for example, compiled from an empty list: the mesh
     *     default allows)
     * @param cacheSettings whether and how much to cache decisions
     */
    public AuthzPolicyHolder(AuthzEngine initial, DecisionCacheSettings cacheSettings) {
        this.cacheSettings = requireNonNull(cacheSettings, "cacheSettings");
        this.current = new AtomicReference<>(new DecisionCache(requireNonNull(initial, "initial"), cacheSettings));
    }

    /** The current engine. */
    public AuthzEngine engine() {
        return active().engine();
    }

    /** The version of the current engine. */
    public String version() {
        return engine().version();
    }

    /** Decides one request against the current version, from the cache when it can. */
    public AuthzDecision evaluate(AuthzRequest request) {
        return active().evaluate(requireNonNull(request, "request"));
    }

    /** Explains one request against the current version (never cached; not for the data path). */
    public Explanation explain(AuthzRequest request) {
        return engine().explain(request);
    }

    /**
     * Makes {@code next} the current engine, with a new, empty decision cache.
     *
     * @return the engine it replaced
     */
    public AuthzEngine update(AuthzEngine next) {
        DecisionCache replaced =
                requireNonNull(current.getAndSet(new DecisionCache(requireNonNull(next, "next"), cacheSettings)));
        logger.info(
                "authorization policies {} replaced by {}: {} policies, decision cache {}",
                replaced.engine().version(),
                next.version(),
                next.policyCount(),
                cacheSettings.enabled() && next.isCacheable() ? "on" : "off");
        return replaced.engine();
    }

    /** Decision cache counters of the current version. */
    public DecisionCacheStats cacheStats() {
        return active().stats();
    }

    /** The current engine and its cache: one volatile read, never null (set in the constructor). */
    private DecisionCache active() {
        return requireNonNull(current.get());
    }

    @Override
    public String toString() {
        return "AuthzPolicyHolder{" + engine() + ", cache=" + cacheSettings + '}';
    }
}
