package dev.palisade.flowlog;

import com.google.protobuf.ByteString;
import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.DecisionReason;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.testkit.pki.TestCertificate;
import dev.palisade.testkit.time.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A CA, a sidecar's SVID under it, records, and chains written with them. */
final class Fixtures {
    static final String SIDECAR = "spiffe://cluster.local/ns/shop/sa/web";
    static final SpiffeId SIDECAR_ID = SpiffeId.parse(SIDECAR);

    final TestCertificate root = TestCertificate.root("flowlog test CA");
    final TestCertificate leaf = TestCertificate.leaf(SIDECAR, root);
    final TrustBundleSet bundles =
            TrustBundleSet.of(TrustBundle.of(TrustDomain.parse("cluster.local"), List.of(root.certificate())));
    final FakeClock clock = new FakeClock(Instant.now());

    CheckpointSigner signer() {
        return CheckpointSigner.of(leaf.privateKey(), leaf.chain());
    }

    FlowChain.Builder chain(int checkpointEvery) {
        return FlowChain.builder(SIDECAR_ID, signer())
                .clock(clock)
                .checkpointEvery(checkpointEvery)
                .checkpointInterval(Duration.ofHours(1));
    }

    /** {@code records} records chained with a checkpoint every {@code every} entries and one at the end. */
    List<Entry> entries(int records, int every) {
        return entries(chain(every), records);
    }

    List<Entry> entries(FlowChain.Builder builder, int records) {
        List<Entry> out = new ArrayList<>();
        FlowChain chain = builder.build(out::add);
        for (int i = 0; i < records; i++) {
            clock.advance(Duration.ofMillis(3));
            chain.append(record(i));
        }
        chain.checkpoint();
        return out;
    }

    FlowVerifier verifier() {
        return FlowVerifier.of(bundles);
    }

    static FlowRecord record(int i) {
        return FlowRecord.newBuilder()
                .setStartUnixNanos(1_750_000_000_000_000_000L + i * 1_000_000L)
                .setDurationNanos(2_500_000)
                .setDirection(Direction.INBOUND)
                .setSourceId("spiffe://cluster.local/ns/shop/sa/frontend")
                .setDestinationId(SIDECAR)
                .setSourceAddress("10.0.0.7")
                .setSourcePort(40_000 + i)
                .setDestinationAddress("10.0.0.9")
                .setDestinationPort(8080)
                .setProtocol(Protocol.HTTP2)
                .setMethod("GET")
                .setAuthority("web.shop.svc")
                .setPath("/api/items/" + i)
                .setStatus(i % 5 == 0 ? 403 : 200)
                .setBytesIn(0)
                .setBytesOut(1234 + i)
                .setDecision(i % 5 == 0 ? Decision.DENY : Decision.ALLOW)
                .setDecisionReason(i % 5 == 0 ? DecisionReason.DENY_POLICY : DecisionReason.ALLOW_POLICY)
                .setPolicy("shop/web-access")
                .setRule(0)
                .addAuditPolicies("shop/audit-all")
                .setPolicyVersion("v7")
                .setTlsVersion("TLSv1.3")
                .setTlsCipher("TLS_AES_128_GCM_SHA256")
                .setRequestId("req-" + i)
                .build();
    }

    /** Re-chains nothing: returns {@code e} with another seq, keeping its (now stale) prev_hash. */
    static Entry withSeq(Entry e, long seq) {
        return e.toBuilder().setSeq(seq).build();
    }

    static int indexOfFirstCheckpoint(List<Entry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).hasCheckpoint()) {
                return i;
            }
        }
        throw new AssertionError("no checkpoint");
    }

    static ByteString flipped(ByteString bytes, int index) {
        byte[] b = bytes.toByteArray();
        b[index] ^= 0x01;
        return ByteString.copyFrom(b);
    }
}
