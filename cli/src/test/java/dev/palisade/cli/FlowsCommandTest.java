package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.flowlog.CheckpointSigner;
import dev.palisade.flowlog.FlowChain;
import dev.palisade.flowlog.FlowEntries;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.Entry;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.testkit.pki.TestCertificate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code palisade flows}, {@code flows verify} and {@code authz replay} in-process, on a store and logs made here.
 * The integrator registers the commands in {@link Palisade}; until then the test adds them to the tree.
 */
class FlowsCommandTest {
    static final String FRONTEND = "spiffe://demo.local/ns/shop/sa/frontend";
    static final String ORDERS = "spiffe://demo.local/ns/shop/sa/orders";
    static final String PAYMENTS = "spiffe://demo.local/ns/shop/sa/payments";

    @TempDir
    Path dir;

    private final CommandRunner cli = new CommandRunner();
    final TestCertificate root = TestCertificate.root("flows cli CA");
    Path storeFile;

    static FlowRecord record(String from, String method, String path, Decision decision, int minutesAgo) {
        return FlowRecord.newBuilder()
                .setStartUnixNanos(FlowEntriesTime.nanos(Instant.now().minusSeconds(60L * minutesAgo)))
                .setDirection(Direction.INBOUND)
                .setSourceId(from)
                .setDestinationId(ORDERS)
                .setSourceAddress("127.0.0.10")
                .setDestinationAddress("127.0.0.12")
                .setDestinationPort(8080)
                .setProtocol(Protocol.HTTP1)
                .setMethod(method)
                .setAuthority("orders")
                .setPath(path)
                .setStatus(decision == Decision.ALLOW ? 200 : 403)
                .setDecision(decision)
                .setPolicy(decision == Decision.ALLOW ? "shop/orders" : "shop/deny-admin")
                .build();
    }

    /** Minimal nanos helper (Instant → epoch nanos). */
    static final class FlowEntriesTime {
        static long nanos(Instant t) {
            return t.getEpochSecond() * 1_000_000_000L + t.getNano();
        }
    }

    @BeforeEach
    void store() {
        storeFile = dir.resolve("flows.db");
        List<Entry> entries = new ArrayList<>();
        List<FlowRecord> records = List.of(
                record(FRONTEND, "GET", "/orders/1", Decision.ALLOW, 5),
                record(FRONTEND, "GET", "/orders/2", Decision.ALLOW, 4),
                record(FRONTEND, "GET", "/admin/users", Decision.DENY, 3),
                // Recorded under older policies: the example set decides these differently.
                record(FRONTEND, "POST", "/orders/3", Decision.ALLOW, 2),
                record(PAYMENTS, "GET", "/orders/4", Decision.ALLOW, 2),
                record(FRONTEND, "GET", "/orders/5", Decision.DENY, 1),
                record(FRONTEND, "GET", "/orders/6", Decision.ALLOW, 90));
        for (int i = 0; i < records.size(); i++) {
            entries.add(Entry.newBuilder()
                    .setSidecar(ORDERS)
                    .setSeq(i)
                    .setPrevHash(ByteString.copyFrom(new byte[32]))
                    .setRecord(records.get(i))
                    .build());
        }
        try (FlowStore s = FlowStore.open(storeFile, Clock.systemUTC())) {
            s.ingest(entries, SpiffeId.parse(ORDERS));
        }
    }

    @Test
    void badInputExitsTwoNamingTheFlag() {
        assertThat(cli.run("flows", "--store", storeFile.toString(), "--decision", "maybe"))
                .isEqualTo(2);
        assertThat(cli.err()).contains("decision: 'maybe'");
        assertThat(cli.run("flows", "--store", dir.resolve("none.db").toString()))
                .isEqualTo(2);
        assertThat(cli.run("flows", "--store", storeFile.toString(), "-o", "xml"))
                .isEqualTo(2);
        assertThat(cli.run("flows", "verify")).isEqualTo(2);
    }

    @Test
    void tableIsAlignedAndFiltersApply() {
        assertThat(cli.run("flows", "--store", storeFile.toString(), "--to", "spiffe://demo.local/ns/shop/*"))
                .as(cli.err())
                .isEqualTo(0);
        List<String> lines = cli.out().lines().toList();
        assertThat(lines).hasSize(1 + 6); // the 90-minute-old record is outside the default --since 1h
        int pathColumn = lines.get(0).indexOf("PATH");
        assertThat(lines.get(1).substring(pathColumn)).startsWith("/orders/1");
        assertThat(lines.get(3)).contains("/admin/users").contains("deny").contains("shop/deny-admin");

        cli.reset();
        assertThat(cli.run(
                        "flows",
                        "--store",
                        storeFile.toString(),
                        "--decision",
                        "deny",
                        "--path-prefix",
                        "/admin",
                        "-o",
                        "csv"))
                .isEqualTo(0);
        assertThat(cli.out().lines().toList()).hasSize(2).last().asString().contains("/admin/users");

        cli.reset();
        assertThat(cli.run("flows", "--store", storeFile.toString(), "--since", "2h", "-o", "json"))
                .isEqualTo(0);
        assertThat(cli.out()).contains("\"flows\":[").contains("/orders/6");
    }

    @Test
    void summaryGroupsBySourceDestinationAndDecision() {
        assertThat(cli.run("flows", "--store", storeFile.toString(), "--summary"))
                .isEqualTo(0);
        List<String> lines = cli.out().lines().toList();
        assertThat(lines.get(0)).startsWith("SOURCE").contains("COUNT");
        assertThat(lines.get(1))
                .contains(FRONTEND)
                .contains(ORDERS)
                .contains("allow")
                .endsWith("3");
        assertThat(lines).hasSize(1 + 3);
    }

    @Test
    void verifyNamesABreakInAJsonLinesLogAndPassesAWholeOne() throws Exception {
        TestCertificate leaf = TestCertificate.leaf(ORDERS, root);
        List<Entry> chain = new ArrayList<>();
        FlowChain flow = FlowChain.builder(SpiffeId.parse(ORDERS), CheckpointSigner.of(leaf.privateKey(), leaf.chain()))
                .checkpointEvery(4)
                .build(chain::add);
        for (int i = 0; i < 10; i++) {
            flow.append(record(FRONTEND, "GET", "/orders/" + i, Decision.ALLOW, 1));
        }
        flow.checkpoint();
        Path bundle = dir.resolve("bundle.pem");
        Files.writeString(bundle, root.certificatePem(), StandardCharsets.US_ASCII);
        Path whole = write("whole.jsonl", chain);
        List<Entry> tampered = new ArrayList<>(chain);
        tampered.remove(3);
        Path broken = write("broken.jsonl", tampered);
        Path garbage = dir.resolve("garbage.jsonl");
        Files.writeString(garbage, "not json\n", StandardCharsets.UTF_8);

        assertThat(cli.run(
                        "flows",
                        "verify",
                        broken.toString(),
                        "--bundle",
                        bundle.toString(),
                        "--trust-domain",
                        "demo.local"))
                .isEqualTo(1);
        assertThat(cli.out()).contains("DELETED at seq 3");
        assertThat(cli.run(
                        "flows",
                        "verify",
                        garbage.toString(),
                        "--bundle",
                        bundle.toString(),
                        "--trust-domain",
                        "demo.local"))
                .isEqualTo(2);
        cli.reset();
        assertThat(cli.run(
                        "flows",
                        "verify",
                        whole.toString(),
                        "--bundle",
                        bundle.toString(),
                        "--trust-domain",
                        "demo.local"))
                .as(cli.out() + cli.err())
                .isEqualTo(0);
        assertThat(cli.out()).contains("whole: 13 entries, 10 records, 3 checkpoints");
    }

    private Path write(String name, List<Entry> entries) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            sb.append(FlowEntries.toJson(e)).append('\n');
        }
        Path p = dir.resolve(name);
        Files.writeString(p, sb, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void replayListsCallsWhoseDecisionWouldChange() {
        int exit = cli.run(
                "authz",
                "replay",
                "--policies",
                "../examples/policies",
                "--store",
                storeFile.toString(),
                "--trust-domain",
                "demo.local");
        assertThat(exit).as(cli.out() + cli.err()).isEqualTo(1);
        String text = cli.out();
        assertThat(text).contains("replayed 7 of 7 records");
        assertThat(text).contains("not reconstructed from records: request headers");
        List<String> changed = text.lines().filter(l -> l.startsWith("newly")).toList();
        assertThat(changed)
                .containsExactlyInAnyOrder(
                        changed.stream()
                                .filter(l ->
                                        l.startsWith("newly allowed") && l.contains("GET") && l.contains("/orders/5"))
                                .findFirst()
                                .orElse("missing newly allowed GET /orders/5"),
                        changed.stream()
                                .filter(l -> l.startsWith("newly denied") && l.contains(FRONTEND) && l.contains("POST"))
                                .findFirst()
                                .orElse("missing newly denied POST"),
                        changed.stream()
                                .filter(l -> l.startsWith("newly denied") && l.contains(PAYMENTS) && l.contains("GET"))
                                .findFirst()
                                .orElse("missing newly denied from payments"));
    }

    @Test
    void refusalsSayWhatToDo() {
        String server = "http://10.0.0.5:15014";
        assertThat(FlowsSource.Remote.refusal(server, 403, null).getMessage())
                .startsWith(server + " refused this client (HTTP 403)")
                .contains("--admin-token-file", "--token-file", "PALISADE_UI_TOKEN", "port-forward");
        assertThat(FlowsSource.Remote.refusal(server, 401, null).getMessage())
                .contains("requires the admin token", "--token-file");
    }
}
