package dev.palisade.cli;

import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.config.DefaultAction;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import dev.palisade.controlplane.flows.FlowQuery;
import dev.palisade.controlplane.flows.FlowRow;
import dev.palisade.controlplane.policy.CompiledWorkloadPolicy;
import dev.palisade.controlplane.policy.PolicyCompileException;
import dev.palisade.controlplane.policy.PolicyCompiler;
import dev.palisade.controlplane.policy.PolicyDirectory;
import dev.palisade.controlplane.policy.PolicyLoadException;
import dev.palisade.controlplane.policy.PolicySet;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.controlplane.policy.WorkloadPort;
import dev.palisade.flowlog.v1.Decision;
import dev.palisade.flowlog.v1.Direction;
import dev.palisade.flowlog.v1.FlowRecord;
import dev.palisade.flowlog.v1.Protocol;
import dev.palisade.proxy.authz.AuthzEngine;
import dev.palisade.proxy.authz.AuthzRequest;
import dev.palisade.proxy.authz.NormalizedRequest;
import dev.palisade.proxy.authz.RbacCompiler;
import dev.palisade.proxy.authz.RbacConfigException;
import dev.palisade.proxy.authz.RequestNormalizer;
import dev.palisade.proxy.authz.RequestResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade authz replay}: runs recorded flows through a proposed policy set — compiled per workload as the
 * control plane compiles, decided by the sidecar's engine — and lists, grouped, the calls whose decision would
 * change. Each inbound record is rebuilt as a request from what the record keeps: method, authority, path (already
 * normalised), source principal, source address, destination port. What a record does not keep cannot be replayed:
 * request headers other than the authority and the query string; the output says so.
 */
@Command(
        name = "replay",
        description = {
            "Replay recorded flows against a proposed policy directory; list calls whose decision would change.",
            "Records are read from --store FILE or the control plane (--server URL, default "
                    + FlowsSource.DEFAULT_SERVER + ")."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no decision changes", "1:some decisions would change", "2:bad input"})
public final class AuthzReplayCommand implements Callable<Integer> {
    static final long MAX_RECORDS = 10_000_000;

    @Spec
    private CommandSpec spec;

    @Option(names = "--policies", required = true, paramLabel = "DIR", description = "The proposed policy directory.")
    private Path policies;

    @Option(names = "--store", paramLabel = "FILE", description = "A flow store file.")
    private @Nullable Path store;

    @Option(names = "--server", paramLabel = "URL", description = "The control plane's admin URL.")
    private @Nullable String server;

    @Mixin
    private AdminTokenOption token = new AdminTokenOption();

    @Option(
            names = "--since",
            paramLabel = "TIME",
            defaultValue = "24h",
            description = "Records since (default: ${DEFAULT-VALUE}).")
    private String since;

    @Option(
            names = "--trust-domain",
            paramLabel = "TD",
            defaultValue = "cluster.local",
            description = "Mesh trust domain (default: ${DEFAULT-VALUE}).",
            converter = TrustDomainConverter.class)
    private TrustDomain trustDomain;

    @Option(
            names = "--default-action",
            paramLabel = "ACTION",
            defaultValue = "allow",
            description = "Mesh default when no ALLOW policy selects a workload: allow or deny.")
    private String defaultAction;

    /** A compiled workload: its engines and ports. */
    private record Target(Workload workload, @Nullable AuthzEngine http, @Nullable AuthzEngine tcp) {}

    /** Grouping of changed calls. */
    private record Group(String change, String source, String destination, String method, String pathPrefix) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try {
            return replay(out);
        } catch (AuthzCheckCommand.BadInput e) {
            spec.commandLine().getErr().println("palisade authz replay: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 2;
        } catch (IOException e) {
            spec.commandLine().getErr().println("palisade authz replay: " + FlowsSource.describe(e));
            spec.commandLine().getErr().flush();
            return 2;
        }
    }

    private int replay(PrintWriter out) throws AuthzCheckCommand.BadInput, IOException, InterruptedException {
        DefaultAction action =
                switch (defaultAction.toLowerCase(Locale.ROOT)) {
                    case "allow" -> DefaultAction.ALLOW;
                    case "deny" -> DefaultAction.DENY;
                    default ->
                        throw new AuthzCheckCommand.BadInput(
                                "--default-action: '" + defaultAction + "' (expected allow or deny)");
                };
        Instant from;
        try {
            from = FlowQuery.parseTime("--since", since, Instant.now());
        } catch (IllegalArgumentException e) {
            throw new AuthzCheckCommand.BadInput(String.valueOf(e.getMessage()));
        }
        PolicySet set;
        try {
            set = new PolicyDirectory(policies).load();
        } catch (PolicyLoadException e) {
            throw new AuthzCheckCommand.BadInput("policies do not load:\n" + e.getMessage());
        }
        MeshConfig mesh = new MeshConfig(trustDomain, action, MtlsMode.STRICT);
        Map<String, Target> targets = new HashMap<>();
        for (Workload w : set.workloads()) {
            try {
                CompiledWorkloadPolicy compiled = PolicyCompiler.compile(set, mesh, w);
                targets.put(
                        w.spiffeId(trustDomain).toString(),
                        new Target(
                                w,
                                RbacCompiler.compile(set.version(), compiled.httpFilters()),
                                RbacCompiler.compileTcp(set.version(), compiled.networkFilters())));
            } catch (PolicyCompileException | RbacConfigException e) {
                throw new AuthzCheckCommand.BadInput(
                        "policies for " + w.namespace() + "/" + w.name() + " do not compile: " + e.getMessage());
            }
        }

        List<FlowRow> rows;
        try (FlowsSource source = FlowsSource.of(server, store, token)) {
            rows = source.rows(FlowQuery.all().withTime(from, null), MAX_RECORDS);
        }
        Map<Group, Long> changes = new TreeMap<>(java.util.Comparator.comparing(Group::change)
                .thenComparing(Group::source)
                .thenComparing(Group::destination)
                .thenComparing(Group::method)
                .thenComparing(Group::pathPrefix));
        Map<String, Long> skipped = new TreeMap<>();
        long replayed = 0;
        for (FlowRow row : rows) {
            FlowRecord r = row.record();
            Optional<String> skip = skipReason(r, targets);
            if (skip.isPresent()) {
                skipped.merge(skip.get(), 1L, Long::sum);
                continue;
            }
            Target target = java.util.Objects.requireNonNull(targets.get(r.getDestinationId()), "target");
            Optional<Boolean> allowed = decide(r, target);
            if (allowed.isEmpty()) {
                skipped.merge("rejected by the normaliser when rebuilt", 1L, Long::sum);
                continue;
            }
            replayed++;
            boolean was = r.getDecision() == Decision.ALLOW;
            if (was != allowed.get()) {
                changes.merge(
                        new Group(
                                was ? "newly denied" : "newly allowed",
                                r.getSourceId().isEmpty() ? "(plaintext)" : r.getSourceId(),
                                r.getDestinationId(),
                                r.getProtocol() == Protocol.TCP ? "TCP" : r.getMethod(),
                                pathPrefix(r)),
                        1L,
                        Long::sum);
            }
        }

        out.printf(
                Locale.ROOT,
                "replayed %d of %d records since %s against policy set %s%n",
                replayed,
                rows.size(),
                from,
                set.version());
        skipped.forEach((why, n) -> out.printf(Locale.ROOT, "  skipped %d: %s%n", n, why));
        out.println("not reconstructed from records: request headers other than the authority (rules with"
                + " request.headers conditions may decide differently in production), the query string.");
        if (changes.isEmpty()) {
            out.println("no decision would change");
            out.flush();
            return 0;
        }
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"CHANGE", "SOURCE", "DESTINATION", "METHOD", "PATH", "COUNT"});
        changes.forEach((g, n) -> table.add(
                new String[] {g.change(), g.source(), g.destination(), g.method(), g.pathPrefix(), Long.toString(n)}));
        FlowsCommand.Tables.print(out, table);
        out.flush();
        return 1;
    }

    private static Optional<String> skipReason(FlowRecord r, Map<String, Target> targets) {
        if (r.getDirection() == Direction.OUTBOUND) {
            return Optional.of("outbound records (the destination's inbound record is replayed)");
        }
        if (r.getDecision() == Decision.DECISION_UNSPECIFIED) {
            return Optional.of("no decision recorded (rejected before authorization)");
        }
        if (!targets.containsKey(r.getDestinationId())) {
            return Optional.of("destination is not a workload of the proposed set");
        }
        return Optional.empty();
    }

    /** The proposed decision; empty when the recorded request cannot be rebuilt. */
    private static Optional<Boolean> decide(FlowRecord r, Target target) {
        InetAddress sourceIp = literal(r.getSourceAddress());
        String principal = r.getSourceId().isEmpty() ? null : r.getSourceId();
        Optional<WorkloadPort> port = target.workload().port(r.getDestinationPort());
        boolean opaque = r.getProtocol() == Protocol.TCP
                || port.map(p -> p.protocol().isOpaque()).orElse(false);
        AuthzRequest request;
        AuthzEngine engine;
        if (opaque) {
            engine = target.tcp();
            request = AuthzRequest.connectionBuilder()
                    .peerPrincipal(principal)
                    .sourceIp(sourceIp)
                    .destinationPort(r.getDestinationPort())
                    .build();
        } else {
            engine = target.http();
            List<Map.Entry<String, String>> headers = new ArrayList<>();
            if (!r.getAuthority().isEmpty()) {
                headers.add(new AbstractMap.SimpleImmutableEntry<>("host", r.getAuthority()));
            }
            RequestResult normalized = RequestNormalizer.withDefaults()
                    .normalize("http", r.getMethod(), r.getPath().isEmpty() ? "/" : r.getPath(), null, headers);
            if (!(normalized instanceof NormalizedRequest http)) {
                return Optional.empty();
            }
            request = AuthzRequest.builder(http)
                    .peerPrincipal(principal)
                    .sourceIp(sourceIp)
                    .destinationPort(r.getDestinationPort())
                    .build();
        }
        return Optional.of(engine != null && engine.evaluate(request).allowed());
    }

    /** The first two segments of the path, then {@code *}: calls to one resource family group together. */
    static String pathPrefix(FlowRecord r) {
        if (r.getProtocol() == Protocol.TCP) {
            return "-";
        }
        String path = r.getPath();
        int slashes = 0;
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) == '/' && ++slashes == 3) {
                return path.substring(0, i + 1) + "*";
            }
        }
        return path;
    }

    private static @Nullable InetAddress literal(String address) {
        if (address.isEmpty() || !address.matches("[0-9a-fA-F:.]+")) {
            return null;
        }
        try {
            return InetAddress.getByName(address); // a literal, checked above: never a DNS lookup
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
