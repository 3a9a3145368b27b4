package dev.palisade.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.config.DefaultAction;
import dev.palisade.controlplane.config.MeshConfig;
import dev.palisade.controlplane.config.MtlsMode;
import dev.palisade.controlplane.policy.CompiledWorkloadPolicy;
import dev.palisade.controlplane.policy.PolicyCompileException;
import dev.palisade.controlplane.policy.PolicyCompiler;
import dev.palisade.controlplane.policy.PolicyDirectory;
import dev.palisade.controlplane.policy.PolicyLoadException;
import dev.palisade.controlplane.policy.PolicySet;
import dev.palisade.controlplane.policy.Workload;
import dev.palisade.controlplane.policy.WorkloadPort;
import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.AuthzEngine;
import dev.palisade.proxy.authz.AuthzRequest;
import dev.palisade.proxy.authz.Explanation;
import dev.palisade.proxy.authz.NormalizedRequest;
import dev.palisade.proxy.authz.PolicyRef;
import dev.palisade.proxy.authz.RbacCompiler;
import dev.palisade.proxy.authz.RbacConfigException;
import dev.palisade.proxy.authz.Rejection;
import dev.palisade.proxy.authz.RequestNormalizer;
import dev.palisade.proxy.authz.RequestResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade authz check}: would this request be allowed? Loads a policy directory, compiles the workload's
 * policies exactly as the control plane does, normalises the raw request exactly as the sidecar does, and evaluates
 * it with the sidecar's engine. Like {@code kubectl auth can-i}: exit 0 allowed, 1 denied (or rejected as malformed
 * before any rule, as the sidecar would answer 400), 2 bad input.
 */
@Command(
        name = "check",
        description = {
            "Decide a request against a policy directory with the sidecar's normaliser and engine.",
            "--path is taken raw, as it would arrive on the wire: /%61dmin is checked as /admin."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:allowed",
            "1:denied, or rejected as malformed before authorization (the sidecar answers 400)",
            "2:bad input (unreadable policies, unknown workload, bad flag), with the reason"
        })
final class AuthzCheckCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--policies", required = true, paramLabel = "DIR", description = "Policy directory (YAML).")
    private Path policies;

    @Option(
            names = "--workload",
            required = true,
            paramLabel = "[NS/]NAME",
            description = "The destination workload, by name (or namespace/name when ambiguous).")
    private String workload;

    @Option(
            names = "--from",
            paramLabel = "SPIFFE_ID",
            description = "The caller's SPIFFE ID; omit for a plaintext (unauthenticated) caller.")
    private @Nullable String from;

    @Option(names = "--method", paramLabel = "M", defaultValue = "GET", description = "Method (default: GET).")
    private String method;

    @Option(names = "--path", required = true, paramLabel = "P", description = "Request target, raw (with query).")
    private String path;

    @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A request header; repeat for more.")
    private List<String> headers = new ArrayList<>();

    @Option(names = "--port", paramLabel = "N", description = "Destination port (default: the workload's first).")
    private @Nullable Integer port;

    @Option(names = "--host", paramLabel = "HOST", description = "Host header (default: the workload's name).")
    private @Nullable String host;

    @Option(names = "--source-ip", paramLabel = "IP", description = "The caller's address (for ipBlocks).")
    private @Nullable String sourceIp;

    @Option(
            names = "--trust-domain",
            paramLabel = "TD",
            description = "Mesh trust domain (default: that of --from, else cluster.local).",
            converter = TrustDomainConverter.class)
    private @Nullable TrustDomain trustDomain;

    @Option(
            names = "--default-action",
            paramLabel = "ACTION",
            defaultValue = "allow",
            description = "Mesh default when no ALLOW policy selects the workload: allow or deny.")
    private String defaultAction;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    private String output;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return check(out);
        } catch (BadInput e) {
            err.println("palisade authz check: " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    private int check(PrintWriter out) throws BadInput, IOException {
        if (!output.equals("text") && !output.equals("json")) {
            throw new BadInput("--output: '" + output + "' (expected text or json)");
        }
        SpiffeId caller = null;
        if (from != null) {
            try {
                caller = SpiffeId.parse(from);
            } catch (InvalidSpiffeIdException e) {
                throw new BadInput("--from: " + e.getMessage());
            }
        }
        TrustDomain td = trustDomain != null
                ? trustDomain
                : caller != null ? caller.trustDomain() : TrustDomain.parse("cluster.local");
        DefaultAction action =
                switch (defaultAction.toLowerCase(Locale.ROOT)) {
                    case "allow" -> DefaultAction.ALLOW;
                    case "deny" -> DefaultAction.DENY;
                    default -> throw new BadInput("--default-action: '" + defaultAction + "' (expected allow or deny)");
                };
        PolicySet set;
        try {
            set = new PolicyDirectory(policies).load();
        } catch (PolicyLoadException e) {
            throw new BadInput("policies do not load:\n" + e.getMessage());
        }
        Workload target = findWorkload(set);
        WorkloadPort destination = findPort(target);
        CompiledWorkloadPolicy compiled;
        try {
            compiled = PolicyCompiler.compile(set, new MeshConfig(td, action, MtlsMode.STRICT), target);
        } catch (PolicyCompileException e) {
            throw new BadInput(
                    "policies for " + target.namespace() + "/" + target.name() + " do not compile: " + e.getMessage());
        }

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("workload", target.namespace() + "/" + target.name());
        result.put("from", caller == null ? null : caller.toString());
        result.put("port", destination.port());
        InetAddress source = parseIp(sourceIp, "--source-ip");
        AuthzEngine engine;
        AuthzRequest request;
        try {
            if (destination.protocol().isOpaque()) {
                engine = RbacCompiler.compileTcp(set.version(), compiled.networkFilters());
                request = AuthzRequest.connectionBuilder()
                        .peerPrincipal(caller == null ? null : caller.toString())
                        .sourceIp(source)
                        .destinationPort(destination.port())
                        .build();
            } else {
                engine = RbacCompiler.compile(set.version(), compiled.httpFilters());
                RequestResult normalized =
                        RequestNormalizer.withDefaults().normalize("http", method, path, null, headerList(target));
                if (normalized instanceof Rejection rejection) {
                    result.put("decision", "rejected");
                    result.put("status", 400);
                    result.put("reason", rejection.reason().name());
                    result.put("detail", rejection.detail());
                    print(
                            out,
                            result,
                            "rejected before authorization (400 Bad Request): " + rejection.reason() + ": "
                                    + rejection.detail());
                    return 1;
                }
                NormalizedRequest http = (NormalizedRequest) normalized;
                result.put("method", http.method());
                result.put("normalizedPath", http.path());
                request = AuthzRequest.builder(http)
                        .peerPrincipal(caller == null ? null : caller.toString())
                        .sourceIp(source)
                        .destinationPort(destination.port())
                        .build();
            }
        } catch (RbacConfigException e) {
            throw new BadInput("the compiled policy is refused by the engine: " + e.getMessage());
        }
        Explanation explanation = engine.explain(request);
        AuthzDecision decision = explanation.decision();
        result.put("decision", decision.allowed() ? "allow" : "deny");
        result.put("reason", decision.reason().name());
        result.put("policy", describe(decision.policy()));
        result.put("audit", decision.audits().stream().map(PolicyRef::toString).toList());
        result.put("dryRun", decision.dryRun().verdict().name());
        if (decision.denied()) {
            result.put(
                    "closestAllow",
                    explanation.closestAllow() == null
                            ? null
                            : explanation.closestAllow().toString());
            result.put("failedCondition", explanation.failedCondition());
        }
        result.put("policyVersion", set.version());
        print(out, result, explanation.summary());
        return decision.allowed() ? 0 : 1;
    }

    private static String describe(PolicyRef ref) {
        return ref.toString();
    }

    private void print(PrintWriter out, Map<String, Object> result, String summary) throws IOException {
        if (output.equals("json")) {
            out.println(new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(result));
        } else {
            out.println(summary);
            for (Map.Entry<String, Object> e : result.entrySet()) {
                if (e.getValue() != null && !(e.getValue() instanceof List<?> l && l.isEmpty())) {
                    out.printf(Locale.ROOT, "  %-16s %s%n", e.getKey(), e.getValue());
                }
            }
        }
        out.flush();
    }

    private Workload findWorkload(PolicySet set) throws BadInput {
        String ns = null;
        String name = workload;
        int slash = workload.indexOf('/');
        if (slash >= 0) {
            ns = workload.substring(0, slash);
            name = workload.substring(slash + 1);
        }
        List<Workload> matches = new ArrayList<>();
        for (Workload w : set.workloads()) {
            if (w.name().equals(name) && (ns == null || w.namespace().equals(ns))) {
                matches.add(w);
            }
        }
        if (matches.isEmpty()) {
            throw new BadInput("--workload: no Workload '" + workload + "' in " + policies + " (known: "
                    + set.workloads().stream()
                            .map(w -> w.namespace() + "/" + w.name())
                            .toList() + ")");
        }
        if (matches.size() > 1) {
            throw new BadInput("--workload: '" + workload + "' is ambiguous; use namespace/name");
        }
        return matches.get(0);
    }

    private WorkloadPort findPort(Workload target) throws BadInput {
        if (target.ports().isEmpty()) {
            throw new BadInput("--workload: " + target.name() + " declares no ports");
        }
        if (port == null) {
            return target.ports().get(0);
        }
        return target.port(port)
                .orElseThrow(() -> new BadInput("--port: " + port + " is not a port of " + target.name() + " (ports: "
                        + target.ports().stream().map(WorkloadPort::port).toList() + ")"));
    }

    private List<Map.Entry<String, String>> headerList(Workload target) throws BadInput {
        List<Map.Entry<String, String>> list = new ArrayList<>();
        list.add(new AbstractMap.SimpleImmutableEntry<>("host", host != null ? host : target.name()));
        for (String h : headers) {
            int eq = h.indexOf('=');
            if (eq <= 0) {
                throw new BadInput("--header: '" + h + "' (expected NAME=VALUE)");
            }
            list.add(new AbstractMap.SimpleImmutableEntry<>(h.substring(0, eq), h.substring(eq + 1)));
        }
        return list;
    }

    private static @Nullable InetAddress parseIp(@Nullable String ip, String flag) throws BadInput {
        if (ip == null) {
            return null;
        }
        if (!ip.matches("[0-9a-fA-F:.]+")) {
            throw new BadInput(flag + ": '" + ip + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(ip); // a literal: never a DNS lookup, checked above
        } catch (UnknownHostException e) {
            throw new BadInput(flag + ": '" + ip + "' is not an IP address");
        }
    }

    /** Bad command-line input: exit 2 with the message. */
    static final class BadInput extends Exception {
        private static final long serialVersionUID = 1L;

        BadInput(String message) {
            super(message);
        }
    }
}
