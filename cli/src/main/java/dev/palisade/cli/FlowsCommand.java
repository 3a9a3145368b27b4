package dev.palisade.cli;

import dev.palisade.controlplane.flows.FlowApi;
import dev.palisade.controlplane.flows.FlowCsv;
import dev.palisade.controlplane.flows.FlowPage;
import dev.palisade.controlplane.flows.FlowQuery;
import dev.palisade.controlplane.flows.FlowRow;
import dev.palisade.controlplane.flows.SummaryGroup;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade flows}: who called whom, when, and was it allowed — from the control plane's flows API or a store
 * file. Filters are AND-ed; times are durations back from now ({@code 1h}) or RFC 3339.
 */
@Command(
        name = "flows",
        description = {
            "Query flow records: from the control plane's HTTP API (--server) or a store file (--store).",
            "The API needs the control plane's admin token (--token-file, or $PALISADE_UI_TOKEN) unless it runs"
                    + " without one, then it answers loopback clients only.",
            "--from/--to take a SPIFFE ID or a prefix ending in * or /; times: 1h, 30m, 7d (back from now) or RFC 3339."
        },
        subcommands = {FlowsVerifyCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:the server or store failed (also: it refused the token)", "2:bad input"})
public final class FlowsCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--server",
            paramLabel = "URL",
            description = "Control plane admin URL (default: " + FlowsSource.DEFAULT_SERVER + ").")
    private @Nullable String server;

    @Option(names = "--store", paramLabel = "FILE", description = "Read a flow store file instead of a server.")
    private @Nullable Path store;

    @Mixin
    private AdminTokenOption token = new AdminTokenOption();

    @Option(
            names = "--since",
            paramLabel = "TIME",
            defaultValue = "1h",
            description = "Records since (default: ${DEFAULT-VALUE}).")
    private String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Records before.")
    private @Nullable String until;

    @Option(names = "--from", paramLabel = "ID", description = "Caller: SPIFFE ID or prefix ending in * or /.")
    private @Nullable String from;

    @Option(names = "--to", paramLabel = "ID", description = "Server: SPIFFE ID or prefix ending in * or /.")
    private @Nullable String to;

    @Option(names = "--decision", paramLabel = "D", description = "allow, deny, none, audit or dry-run-deny.")
    private @Nullable String decision;

    @Option(names = "--policy", paramLabel = "NAME", description = "The deciding policy (namespace/name).")
    private @Nullable String policy;

    @Option(names = "--status", paramLabel = "N", description = "HTTP status.")
    private @Nullable Integer status;

    @Option(names = "--path-prefix", paramLabel = "/P", description = "Path starts with this.")
    private @Nullable String pathPrefix;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            defaultValue = "table",
            description = "table, json or csv (default: ${DEFAULT-VALUE}).")
    private String output;

    @Option(names = "--summary", description = "Counts grouped by source, destination and decision.")
    private boolean summary;

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "100",
            description = "At most N records (default: ${DEFAULT-VALUE}).")
    private long limit;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try {
            if (!List.of("table", "json", "csv").contains(output)) {
                throw new AuthzCheckCommand.BadInput("--output: '" + output + "' (expected table, json or csv)");
            }
            if (limit < 1) {
                throw new AuthzCheckCommand.BadInput("--limit: " + limit + " (expected: > 0)");
            }
            FlowQuery query = query();
            try (FlowsSource source = FlowsSource.of(server, store, token)) {
                if (summary) {
                    printSummary(out, source.summary(query));
                } else {
                    printRows(out, source.rows(query, limit));
                }
            }
        } catch (AuthzCheckCommand.BadInput e) {
            return fail(e.getMessage(), 2);
        } catch (IOException e) {
            return fail(FlowsSource.describe(e), 1);
        }
        out.flush();
        return 0;
    }

    private int fail(@Nullable String message, int code) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("palisade flows: " + message);
        err.flush();
        return code;
    }

    private FlowQuery query() throws AuthzCheckCommand.BadInput {
        try {
            Instant now = Instant.now();
            return FlowQuery.all()
                    .withTime(
                            FlowQuery.parseTime("--since", since, now),
                            until == null ? null : FlowQuery.parseTime("--until", until, now))
                    .withPeers(from, to)
                    .withDecision(decision)
                    .withPolicy(policy)
                    .withStatus(status)
                    .withPathPrefix(pathPrefix);
        } catch (IllegalArgumentException e) {
            throw new AuthzCheckCommand.BadInput(String.valueOf(e.getMessage()));
        }
    }

    private void printRows(PrintWriter out, List<FlowRow> rows) {
        if (output.equals("json")) {
            out.print(FlowApi.renderPage(new FlowPage(rows, null)));
            return;
        }
        if (output.equals("csv")) {
            // The same rows as the control plane's /api/flows/export?format=csv.
            out.println(FlowCsv.HEADER);
            for (FlowRow r : rows) {
                out.println(FlowCsv.row(r));
            }
            return;
        }
        List<String[]> table = new ArrayList<>();
        table.add(
                new String[] {"TIME", "SOURCE", "DESTINATION", "PROTO", "METHOD", "PATH", "STATUS", "DECISION", "POLICY"
                });
        for (FlowRow r : rows) {
            table.add(new String[] {
                DateTimeFormatter.ISO_INSTANT.format(r.time().truncatedTo(ChronoUnit.MILLIS)),
                orDash(r.record().getSourceId()),
                orDash(r.record().getDestinationId()),
                r.record().getProtocol().name(),
                orDash(r.record().getMethod()),
                orDash(r.record().getPath()),
                r.record().getStatus() == 0 ? "-" : Integer.toString(r.record().getStatus()),
                r.decisionDetail(),
                orDash(r.record().getPolicy())
            });
        }
        print(out, table);
    }

    private void printSummary(PrintWriter out, List<SummaryGroup> groups) {
        if (output.equals("json")) {
            out.print(FlowApi.renderSummary(groups));
            return;
        }
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"SOURCE", "DESTINATION", "DECISION", "COUNT"});
        for (SummaryGroup g : groups) {
            table.add(
                    new String[] {orDash(g.source()), orDash(g.destination()), g.decision(), Long.toString(g.count())});
        }
        print(out, table);
    }

    private void print(PrintWriter out, List<String[]> table) {
        if (output.equals("csv")) {
            for (String[] row : table) {
                List<String> cells = new ArrayList<>();
                for (String c : row) {
                    cells.add(FlowCsv.cell(c.equals("-") ? "" : c));
                }
                out.println(String.join(",", cells));
            }
            return;
        }
        Tables.print(out, table);
    }

    static String orDash(String s) {
        return s.isEmpty() ? "-" : s;
    }

    /** Aligned columns for a terminal: two spaces between, the last column unpadded. */
    static final class Tables {
        private Tables() {}

        static void print(PrintWriter out, List<String[]> table) {
            int columns = table.get(0).length;
            int[] widths = new int[columns];
            for (String[] row : table) {
                for (int i = 0; i < columns; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (String[] row : table) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < columns; i++) {
                    line.append(
                            i == columns - 1 ? row[i] : String.format(Locale.ROOT, "%-" + widths[i] + "s  ", row[i]));
                }
                out.println(line.toString().stripTrailing());
            }
        }
    }
}
