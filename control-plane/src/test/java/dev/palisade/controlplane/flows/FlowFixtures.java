package dev.palisade.controlplane.flows;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.flowlog.CheckpointSigner;
import dev.palisade.flowlog.FlowChain;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.testkit.pki.TestCertificate;
import dev.palisade.testkit.time.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A CA, sidecars' SVIDs under it, and chains of records they write. */
final class FlowFixtures {
    static final TrustDomain TD = TrustDomain.parse("cluster.local");
    static final String WEB = "spiffe://cluster.local/ns/shop/sa/web";
    static final String API = "spiffe://cluster.local/ns/shop/sa/api";
    static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
    static final String BATCH = "spiffe://cluster.local/ns/jobs/sa/batch";
    /** Record i starts at T0 + i seconds. */
    static final Instant T0 = Instant.parse("2025-06-15T10:00:00Z");

    final TestCertificate root = TestCertificate.root("flows test CA");
    final TrustBundleSet bundles = TrustBundleSet.of(TrustBundle.of(TD, List.of(root.certificate())));
    // Checkpoints are signed at the clock's time, and the test certificates are valid from now.
    final FakeClock clock = new FakeClock(Instant.now());

    TestCertificate leaf(String sidecar) {
        return TestCertificate.leaf(sidecar, root);
    }

    /** {@code n} records of {@code sidecar} (the destination), checkpoint every 10 and at the end. */
    List<Entry> chain(String sidecar, int n) {
        TestCertificate leaf = leaf(sidecar);
        List<Entry> out = new ArrayList<>();
        FlowChain chain = FlowChain.builder(
                        SpiffeId.parse(sidecar), CheckpointSigner.of(leaf.privateKey(), leaf.chain()))
                .clock(clock)
                .checkpointEvery(10)
                .checkpointInterval(Duration.ofHours(1))
                .build(out::add);
        for (int i = 0; i < n; i++) {
            chain.append(record(sidecar, i));
        }
        chain.checkpoint();
        return out;
    }

    /**
     * Record i: from FRONTEND (i even) or BATCH (i odd); GET /api/items/i, denied with 403 when i % 5 == 0 (policy
     * shop/deny-batch), else allowed by shop/web-access; i % 7 == 0 also matches an audit policy, i % 11 == 0 a
     * dry-run deny.
     */
    static FlowRecord record(String destination, int i) {
        boolean deny = i % 5 == 0;
        FlowRecord.Builder b = FlowRecord.newBuilder()
                .setStartUnixNanos(T0.getEpochSecond() * 1_000_000_000L + i * 1_000_000_000L)
                .setDurationNanos(2_000_000)
                .setSourceId(i % 2 == 0 ? FRONTEND : BATCH)
                .setDestinationId(destination)
                .setSourceAddress("10.0.0." + (i % 2 == 0 ? 7 : 8))
                .setSourcePort(40_000 + i)
                .setDestinationAddress("10.0.0.9")
                .setDestinationPort(8080)
                .setProtocol(Protocol.HTTP1)
                .setMethod("GET")
                .setAuthority("web.shop.svc")
                .setPath((i % 3 == 0 ? "/admin/" : "/api/items/") + i)
                .setStatus(deny ? 403 : 200)
                .setDecision(deny ? Decision.DENY : Decision.ALLOW)
                .setPolicy(deny ? "shop/deny-batch" : "shop/web-access")
                .setTlsVersion("TLSv1.3")
                .setRequestId("req-" + i);
        if (i % 7 == 0) {
            b.addAuditPolicies("shop/audit-all");
        }
        if (i % 11 == 0) {
            b.setDryRun(DryRunVerdict.DRY_RUN_WOULD_DENY).setDryRunPolicy("shop/tighten");
        }
        return b.build();
    }
}
