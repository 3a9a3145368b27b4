package dev.palisade.controlplane.uiapi;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.flowlog.VerifyResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/integrity}: each sidecar's stored chain, verified with {@link FlowStore#verify} against the current
 * trust bundles. A verification reads the whole chain (~100,000 entries/s), so it is cached per sidecar and redone
 * only when the chain changed (its last seq or its conflicts) or the trust bundles did, and then at most once per
 * {@link #MIN_INTERVAL}; and it runs on the given executor, never in the request: a request answers from the cache at
 * once and queues what is due. A sidecar not verified yet is answered {@code "pending":true} with
 * {@code "checkedAt":null}; {@code pending} is also true while a newer verification is queued or running.
 */
public final class IntegrityApi {
    /** The least time between two full verifications of one sidecar's chain. */
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(30);

    private static final Logger logger = LoggerFactory.getLogger(IntegrityApi.class);

    private final FlowStore store;
    private final Supplier<TrustBundleSet> bundles;
    private final Clock clock;
    private final Executor executor;
    private final Map<String, Checked> cache = new ConcurrentHashMap<>();
    private final Set<String> queued = ConcurrentHashMap.newKeySet();

    /** One verification: of which chain state, against which bundles, when, with what result. */
    private record Checked(long lastSeq, long conflicts, TrustBundleSet bundles, Instant at, VerifyResult result) {}

    /**
     * @param executor runs the verifications (one thread is enough: they queue); {@code Runnable::run} verifies in
     *     the request
     */
    public IntegrityApi(FlowStore store, Supplier<TrustBundleSet> bundles, Clock clock, Executor executor) {
        this.store = requireNonNull(store, "store");
        this.bundles = requireNonNull(bundles, "bundles");
        this.clock = requireNonNull(clock, "clock");
        this.executor = requireNonNull(executor, "executor");
    }

    /** The endpoint, by path, for {@link AdminServer#start}. */
    public Map<String, AdminServer.Endpoint> endpoints() {
        return Map.of(
                "/api/integrity", new AdminServer.Endpoint(Json.CONTENT_TYPE, p -> Json.answer(() -> integrity(p))));
    }

    ObjectNode integrity(Map<String, List<String>> parameters) {
        if (!parameters.isEmpty()) {
            throw new IllegalArgumentException(
                    "unknown parameter '" + parameters.keySet().iterator().next() + "' (/api/integrity takes none)");
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode sidecars = root.putArray("sidecars");
        TrustBundleSet trust = bundles.get();
        List<String> present = store.sidecars();
        cache.keySet().retainAll(present);
        for (String sidecar : present) {
            FlowStore.ChainHead head = store.head(sidecar);
            Checked checked = check(sidecar, head, trust);
            ObjectNode n = sidecars.addObject();
            n.put("sidecar", sidecar);
            if (checked == null) {
                n.put("state", "unverified");
                n.putNull("break");
                n.put("entries", 0);
                n.put("records", 0);
                putTime(n, "lastEntry", head.lastEntry());
                putTime(n, "lastCheckpoint", head.lastCheckpoint());
                n.putNull("checkedAt");
                n.put("pending", true);
                continue;
            }
            VerifyResult r = checked.result();
            VerifyResult.Break b = r.firstBreak();
            n.put("state", b != null ? "broken" : r.checkpoints() == 0 ? "unverified" : "whole");
            if (b == null) {
                n.putNull("break");
            } else {
                ObjectNode bn = n.putObject("break");
                bn.put("kind", b.kind().name());
                bn.put("seq", b.seq());
                bn.put("detail", b.detail());
            }
            n.put("entries", r.entries());
            n.put("records", r.records());
            putTime(n, "lastEntry", head.lastEntry());
            putTime(n, "lastCheckpoint", head.lastCheckpoint());
            n.put("checkedAt", checked.at().toString());
            n.put("pending", queued.contains(sidecar));
        }
        return root;
    }

    /**
     * The cached verification (null when there is none yet), after queueing a new one when there is none, or the
     * chain or the bundles changed and the last is {@link #MIN_INTERVAL} old.
     */
    private @Nullable Checked check(String sidecar, FlowStore.ChainHead head, TrustBundleSet trust) {
        Checked last = cache.get(sidecar);
        Instant now = clock.instant();
        boolean due = last == null
                || (last.lastSeq() != head.lastSeq()
                                || last.conflicts() != head.conflicts()
                                || !last.bundles().equals(trust))
                        && Duration.between(last.at(), now).compareTo(MIN_INTERVAL) >= 0;
        if (due && queued.add(sidecar)) {
            try {
                executor.execute(() -> verify(sidecar, trust));
            } catch (RejectedExecutionException e) {
                queued.remove(sidecar);
            }
        }
        return cache.get(sidecar);
    }

    private void verify(String sidecar, TrustBundleSet trust) {
        try {
            // The head before the read: a chain that grows meanwhile is seen as changed next time.
            FlowStore.ChainHead before = store.head(sidecar);
            Instant at = clock.instant();
            VerifyResult result = store.verify(sidecar, trust);
            cache.put(sidecar, new Checked(before.lastSeq(), before.conflicts(), trust, at, result));
        } catch (RuntimeException e) {
            logger.warn("verifying the chain of {} failed", sidecar, e);
        } finally {
            queued.remove(sidecar);
        }
    }

    private static void putTime(ObjectNode n, String name, @Nullable Instant t) {
        if (t == null) {
            n.putNull(name);
        } else {
            n.put(name, t.toString());
        }
    }
}
