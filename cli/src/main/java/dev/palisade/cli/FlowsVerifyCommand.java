package dev.palisade.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.flows.FlowStore;
import dev.palisade.flowlog.FlowVerifier;
import dev.palisade.flowlog.VerifyResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code palisade flows verify}: proves a flow log whole or names its first broken place (flowlog/README.md
 * "Verification"). Input: JSON-lines files or a sidecar's log directory, a store file, or the control plane (which
 * verifies its store against its current trust bundle).
 */
@Command(
        name = "verify",
        description = {
            "Verify flow-log hash chains and signed checkpoints.",
            "FILE_OR_DIR...: JSON-lines files (in order) or log directories (flows.jsonl.N … flows.jsonl), with --bundle;",
            "--store FILE --bundle PEM: every chain in a store file; --server URL [--sidecar ID]: the control plane's store."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:whole", "1:a break, named", "2:unreadable input or bad usage"})
public final class FlowsVerifyCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "FILE_OR_DIR", arity = "0..*", description = "JSON-lines files or log directories.")
    private List<Path> inputs = new ArrayList<>();

    @Option(names = "--bundle", paramLabel = "PEM", description = "Trust bundle (root certificates) for checkpoints.")
    private @Nullable Path bundle;

    @Option(
            names = "--trust-domain",
            paramLabel = "TD",
            defaultValue = "cluster.local",
            description = "Trust domain of --bundle (default: ${DEFAULT-VALUE}).",
            converter = TrustDomainConverter.class)
    private TrustDomain trustDomain;

    @Option(names = "--store", paramLabel = "FILE", description = "Verify every chain of a store file.")
    private @Nullable Path store;

    @Option(names = "--server", paramLabel = "URL", description = "Ask the control plane to verify its store.")
    private @Nullable String server;

    @Mixin
    private AdminTokenOption token = new AdminTokenOption();

    @Option(names = "--sidecar", paramLabel = "ID", description = "Only this sidecar's chain (--store, --server).")
    private @Nullable String sidecar;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try {
            int sources = (inputs.isEmpty() ? 0 : 1) + (store == null ? 0 : 1) + (server == null ? 0 : 1);
            if (sources != 1) {
                throw new AuthzCheckCommand.BadInput("give FILE_OR_DIR..., or --store, or --server (exactly one)");
            }
            int exit;
            if (server != null) {
                exit = viaServer(out, server);
            } else {
                if (token.tokenFile != null) {
                    throw new AuthzCheckCommand.BadInput("--token-file applies to --server only");
                }
                TrustBundleSet bundles = bundles();
                exit = store != null ? ofStore(out, store, bundles) : ofFiles(out, bundles);
            }
            out.flush();
            return exit;
        } catch (AuthzCheckCommand.BadInput e) {
            spec.commandLine().getErr().println("palisade flows verify: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 2;
        } catch (IOException e) {
            spec.commandLine().getErr().println("palisade flows verify: " + FlowsSource.describe(e));
            spec.commandLine().getErr().flush();
            return 2;
        }
    }

    private TrustBundleSet bundles() throws AuthzCheckCommand.BadInput {
        if (bundle == null) {
            throw new AuthzCheckCommand.BadInput("--bundle is needed to check checkpoint signatures");
        }
        try {
            return TrustBundleSet.of(TrustBundle.read(trustDomain, bundle));
        } catch (RuntimeException e) {
            throw new AuthzCheckCommand.BadInput("--bundle: " + e.getMessage());
        }
    }

    private int ofFiles(PrintWriter out, TrustBundleSet bundles) {
        FlowVerifier verifier = FlowVerifier.of(bundles);
        VerifyResult result;
        if (inputs.size() == 1 && Files.isDirectory(inputs.get(0))) {
            result = verifier.verifyLog(inputs.get(0), "flows.jsonl");
        } else {
            result = verifier.verifyFiles(inputs);
        }
        report(out, String.join(" ", inputs.stream().map(Path::toString).toList()), result);
        return result.exitCode();
    }

    private int ofStore(PrintWriter out, Path file, TrustBundleSet bundles) throws AuthzCheckCommand.BadInput {
        if (!Files.isRegularFile(file)) {
            throw new AuthzCheckCommand.BadInput("--store: " + file + " is not a file");
        }
        int exit = 0;
        try (FlowStore flows = FlowStore.open(file, Clock.systemUTC())) {
            List<String> sidecars = sidecar == null ? flows.sidecars() : List.of(sidecar);
            for (String s : sidecars) {
                VerifyResult r = flows.verify(s, bundles);
                report(out, s, r);
                exit = Math.max(exit, r.exitCode());
            }
        }
        return exit;
    }

    private int viaServer(PrintWriter out, String url)
            throws IOException, InterruptedException, AuthzCheckCommand.BadInput {
        Map<String, String> p = new LinkedHashMap<>();
        if (sidecar != null) {
            p.put("sidecar", sidecar);
        }
        JsonNode root =
                new ObjectMapper().readTree(new FlowsSource.Remote(url, token.resolve()).get("/api/flows/verify", p));
        for (JsonNode r : root.path("results")) {
            out.println(r.path("sidecar").asText() + ": " + r.path("summary").asText());
            for (JsonNode w : r.path("warnings")) {
                out.println("  warning: " + w.asText());
            }
        }
        return root.path("exitCode").asInt(2);
    }

    private static void report(PrintWriter out, String what, VerifyResult r) {
        out.println(what + ": " + r.summary());
        for (VerifyResult.Warning w : r.warnings()) {
            out.println("  warning: " + w);
        }
    }
}
