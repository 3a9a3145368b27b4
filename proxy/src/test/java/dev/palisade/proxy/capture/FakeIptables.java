package dev.palisade.proxy.capture;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code nat} tables of {@code iptables} and {@code ip6tables}, simulated with the exit codes and refusals of
 * iptables 1.8 (nf_tables): {@code -N} of an existing chain, {@code -X} of a chain that is not empty or still
 * referenced, {@code -C} of a jump to a missing chain (exit 2). Lets the installer's logic be tested without root.
 */
final class FakeIptables implements CommandRunner {

    private static final List<String> BUILT_IN = List.of("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING");
    private static final Set<String> TARGETS = Set.of("RETURN", "ACCEPT", "DROP", "REDIRECT", "DNAT", "MASQUERADE");

    private final Map<String, Map<String, List<List<String>>>> tables = new HashMap<>();
    private final List<String> log = new ArrayList<>();
    private String failOn = "\u0000";
    private CommandResult failure = new CommandResult(0, "", "");

    /** Every command run, as displayed. */
    List<String> log() {
        return log;
    }

    /** The next command whose display contains {@code fragment} ends with {@code exitCode} and {@code stderr}. */
    void failOn(String fragment, int exitCode, String stderr) {
        this.failOn = fragment;
        this.failure = new CommandResult(exitCode, "", stderr);
    }

    /** {@code BINARY -t nat -S}. */
    String save(String binary) {
        return run(List.of(binary, "-t", "nat", "-S")).stdout();
    }

    @Override
    public String display(List<String> command) {
        return String.join(" ", command);
    }

    @Override
    public CommandResult run(List<String> command) {
        String display = display(command);
        log.add(display);
        if (display.contains(failOn)) {
            failOn = "\u0000";
            return failure;
        }
        String binary = command.get(0);
        int i = 1;
        if (command.get(i).equals("-w")) {
            i += 2;
        }
        if (!command.get(i).equals("-t") || !command.get(i + 1).equals("nat")) {
            return new CommandResult(2, "", "fake: only -t nat");
        }
        i += 2;
        Map<String, List<List<String>>> table = tables.computeIfAbsent(binary, b -> newTable());
        String op = command.get(i);
        if (op.equals("-S")) {
            return new CommandResult(0, save(table), "");
        }
        String chain = command.get(i + 1);
        List<String> spec = List.copyOf(command.subList(i + 2, command.size()));
        List<List<String>> rules = table.get(chain);
        switch (op) {
            case "-N":
                if (rules != null) {
                    return new CommandResult(1, "", binary + ": Chain already exists.");
                }
                table.put(chain, new ArrayList<>());
                return ok();
            case "-F":
                if (rules == null) {
                    return new CommandResult(1, "", binary + ": No chain/target/match by that name.");
                }
                rules.clear();
                return ok();
            case "-X":
                if (rules == null || BUILT_IN.contains(chain)) {
                    return new CommandResult(1, "", binary + ": No chain/target/match by that name.");
                }
                if (!rules.isEmpty()) {
                    return new CommandResult(1, "", binary + ": Directory not empty.");
                }
                if (table.values().stream().flatMap(List::stream).anyMatch(r -> target(r)
                        .equals(chain))) {
                    return new CommandResult(1, "", binary + ": Too many links.");
                }
                table.remove(chain);
                return ok();
            case "-A":
            case "-C":
            case "-D":
                if (rules == null) {
                    return new CommandResult(1, "", binary + ": No chain/target/match by that name.");
                }
                String target = target(spec);
                if (!TARGETS.contains(target) && !table.containsKey(target)) {
                    return new CommandResult(2, "", "Chain '" + target + "' does not exist");
                }
                if (op.equals("-A")) {
                    rules.add(spec);
                    return ok();
                }
                if (!rules.contains(spec)) {
                    return new CommandResult(1, "", binary + ": Bad rule (does a matching rule exist in that chain?).");
                }
                if (op.equals("-D")) {
                    rules.remove(spec);
                }
                return ok();
            default:
                return new CommandResult(2, "", "fake: unknown operation " + op);
        }
    }

    private static CommandResult ok() {
        return new CommandResult(0, "", "");
    }

    private static String target(List<String> spec) {
        int j = spec.indexOf("-j");
        return j >= 0 && j + 1 < spec.size() ? spec.get(j + 1) : "";
    }

    private static Map<String, List<List<String>>> newTable() {
        Map<String, List<List<String>>> table = new LinkedHashMap<>();
        for (String chain : BUILT_IN) {
            table.put(chain, new ArrayList<>());
        }
        return table;
    }

    private static String save(Map<String, List<List<String>>> table) {
        StringBuilder out = new StringBuilder();
        for (String chain : BUILT_IN) {
            out.append("-P ").append(chain).append(" ACCEPT\n");
        }
        table.keySet().stream()
                .filter(c -> !BUILT_IN.contains(c))
                .forEach(c -> out.append("-N ").append(c).append('\n'));
        table.forEach((chain, rules) -> rules.forEach(r -> out.append("-A ")
                .append(chain)
                .append(' ')
                .append(String.join(" ", r))
                .append('\n')));
        return out.toString();
    }
}
