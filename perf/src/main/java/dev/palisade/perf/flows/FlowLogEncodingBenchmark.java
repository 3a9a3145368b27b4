package dev.palisade.perf.flows;

import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.flowlog.CheckpointSigner;
import dev.palisade.flowlog.FlowChain;
import dev.palisade.flowlog.FlowEntries;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.DecisionReason;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.DryRunVerdict;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.perf.Initializer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

/**
 * What the sidecar's flow-log writer spends per record (issue 9), each step on its own, in one run so that the
 * ratios hold on a noisy machine:
 *
 * <ul>
 *   <li>{@code protoEncode}: the deterministic protobuf encoding of a chained entry (the hash's input);
 *   <li>{@code chainAppend}: {@link FlowChain#append}: seq, prev_hash, encoding and SHA-256, with a P-256 signed checkpoint
 *       every 1000 entries (the default) amortised in;
 *   <li>{@code jsonFormat}: the JSON line by protobuf's {@code JsonFormat} printer, as the writer did before;
 *   <li>{@code jsonWriter}: the same line by {@code FlowJsonWriter}, as the writer does now (the same text: tested);
 *   <li>{@code jsonFormatLineBytes} / {@code jsonWriterLineBytes}: either, plus the UTF-8 bytes the file gets.
 * </ul>
 *
 * <p>{@code record=typical} is a request as the sidecar records it (ASCII, one audit policy); {@code escaped} has
 * text JsonFormat escapes ({@code =}, {@code '}, {@code <}, a control character) and non-ASCII.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FlowLogEncodingBenchmark {
    private static final int RECORDS = 64; // a power of two: the index is masked

    @Param({"typical", "escaped"})
    public String record = "typical";

    private FlowRecord[] records;
    private Entry[] entries;
    private FlowChain chain;
    private int next;

    @Setup(Level.Trial)
    @Initializer
    public void setUp() throws Exception {
        SpiffeId sidecar = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/web");
        CertificateAuthority ca = CertificateAuthority.createRoot(
                TrustDomain.parse("cluster.local"), KeyAlgorithm.EC_P256, Duration.ofDays(1), Clock.systemUTC());
        KeyPair keys = KeyAlgorithm.EC_P256.generate();
        List<X509Certificate> svid = ca.issue(sidecar, keys.getPublic(), Duration.ofHours(1));
        CheckpointSigner signer = CheckpointSigner.of(keys.getPrivate(), svid);

        records = new FlowRecord[RECORDS];
        for (int i = 0; i < RECORDS; i++) {
            records[i] = record(i, record.equals("escaped"));
        }
        List<Entry> chained = new ArrayList<>();
        FlowChain setUpChain = FlowChain.builder(sidecar, signer).build(chained::add);
        for (FlowRecord r : records) {
            setUpChain.append(r);
        }
        entries = chained.stream().filter(Entry::hasRecord).toArray(Entry[]::new);
        chain = FlowChain.builder(sidecar, signer).checkpointEvery(1000).build(entry -> {});
    }

    @Benchmark
    public byte[] protoEncode() {
        return FlowEntries.canonicalBytes(entries[next++ & (RECORDS - 1)]);
    }

    @Benchmark
    public Entry chainAppend() {
        return chain.append(records[next++ & (RECORDS - 1)]);
    }

    @Benchmark
    public String jsonFormat() {
        return FlowEntries.toJsonWithJsonFormat(entries[next++ & (RECORDS - 1)]);
    }

    @Benchmark
    public String jsonWriter() {
        return FlowEntries.toJson(entries[next++ & (RECORDS - 1)]);
    }

    @Benchmark
    public byte[] jsonFormatLineBytes() {
        return FlowEntries.toJsonWithJsonFormat(entries[next++ & (RECORDS - 1)]).getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public byte[] jsonWriterLineBytes() {
        return FlowEntries.toJson(entries[next++ & (RECORDS - 1)]).getBytes(StandardCharsets.UTF_8);
    }

    private static FlowRecord record(int i, boolean escaped) {
        FlowRecord.Builder r = FlowRecord.newBuilder()
                .setStartUnixNanos(1_750_000_000_000_000_000L + i * 1_000_003L)
                .setDurationNanos(2_500_000L + i * 17L)
                .setDirection(Direction.INBOUND)
                .setSourceId("spiffe://cluster.local/ns/shop/sa/frontend-" + (i % 8))
                .setDestinationId("spiffe://cluster.local/ns/shop/sa/web")
                .setSourceAddress("10.0.3." + (i % 250))
                .setSourcePort(40_000 + i)
                .setDestinationAddress("10.0.0.9")
                .setDestinationPort(8080)
                .setProtocol(Protocol.HTTP2)
                .setMethod(i % 4 == 0 ? "POST" : "GET")
                .setAuthority("web.shop.svc.cluster.local")
                .setPath("/api/items/" + (4711 + i))
                .setStatus(i % 10 == 0 ? 403 : 200)
                .setBytesIn(i % 4 == 0 ? 512 : 0)
                .setBytesOut(1234 + i)
                .setDecision(i % 10 == 0 ? Decision.DENY : Decision.ALLOW)
                .setDecisionReason(i % 10 == 0 ? DecisionReason.DENY_POLICY : DecisionReason.ALLOW_POLICY)
                .setPolicy("shop/web-access")
                .setRule(i % 3)
                .addAuditPolicies("shop/audit-all")
                .setDryRun(DryRunVerdict.DRY_RUN_WOULD_ALLOW)
                .setPolicyVersion("v7")
                .setTlsVersion("TLSv1.3")
                .setTlsCipher("TLS_AES_128_GCM_SHA256")
                .setRequestId("5f1e8c0a-3b2d-4e6f-9a7b-" + String.format(Locale.ROOT, "%012d", i));
        if (escaped) {
            r.setPath("/api/search/café=\"<b>\"/l'été/" + i)
                    .setAuthority("web.shop.svc.cluster.local\u0001")
                    .addAuditPolicies("shop/audit-ü");
        }
        return r.build();
    }
}
