package dev.palisade.proxy.capture;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link IptablesRules} to the {@code nat} tables of a network namespace through the {@code iptables} and
 * {@code ip6tables} binaries, and removes them again.
 *
 * <p><b>Idempotent.</b> Installing creates each of our chains, or flushes it when it exists, then appends its rules:
 * our chains always hold exactly the rules of the current configuration, also when it changed since the last run.
 * The two jump rules from {@code PREROUTING} and {@code OUTPUT} are checked with {@code -C} and appended only when
 * absent. Running {@link #install()} twice therefore leaves {@code iptables -t nat -S} unchanged.
 *
 * <p><b>Exact cleanup.</b> {@link #cleanup()} deletes the jump rules (every copy, if someone added one twice), then
 * flushes and deletes our chains; it touches no other rule or chain, and on a table without our rules it does
 * nothing and succeeds.
 *
 * <p>Commands run one by one, not as one {@code iptables-restore} transaction, so that a failure names the rule the
 * kernel refused; between the flush and the last append of a re-install, our chains are briefly incomplete, which
 * only matters when traffic already flows (an init container runs before the application starts). Not thread-safe:
 * one installer, one caller.
 */
public final class IptablesInstaller {

    private static final Logger logger = LoggerFactory.getLogger(IptablesInstaller.class);

    /** How long one command may take. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);

    /** Waits up to 5 s for the xtables lock (iptables-legacy) instead of failing at once; nft ignores it. */
    private static final List<String> WAIT_FOR_LOCK = List.of("-w", "5");

    /** Guards against a table that keeps reporting a jump rule as present after deleting it. */
    private static final int MAX_JUMP_COPIES = 32;

    private final IptablesRules rules;
    private final CommandRunner runner;

    /**
     * @param commandPrefix run before each command, empty for the current namespace; {@code [ip, netns, exec, NAME]}
     *     edits the tables of the namespace {@code NAME}
     * @param commandTimeout how long one command may take
     */
    public IptablesInstaller(IptablesRules rules, List<String> commandPrefix, Duration commandTimeout) {
        this(rules, new ProcessCommandRunner(commandPrefix, commandTimeout));
    }

    IptablesInstaller(IptablesRules rules, CommandRunner runner) {
        this.rules = requireNonNull(rules, "rules");
        this.runner = requireNonNull(runner, "runner");
    }

    /** An installer for the current network namespace, with {@link #DEFAULT_COMMAND_TIMEOUT}. */
    public static IptablesInstaller of(IptablesRules rules) {
        return new IptablesInstaller(rules, List.of(), DEFAULT_COMMAND_TIMEOUT);
    }

    /**
     * Installs the rules for every family of the configuration.
     *
     * @return the commands that changed something, in order, as they were run
     * @throws IptablesException naming the first command that failed; earlier commands stay applied (run {@link
     *     #cleanup()} or fix and install again)
     */
    public List<String> install() throws IptablesException {
        List<String> done = new ArrayList<>();
        for (IpFamily family : rules.config().families()) {
            Set<String> present = chainsPresent(family);
            for (String chain : IptablesRules.CHAINS) {
                change(family, List.of(present.contains(chain) ? "-F" : "-N", chain), done);
            }
            for (IptablesRule rule : rules.chainRules(family)) {
                change(family, rule.args("-A"), done);
            }
            for (IptablesRule jump : IptablesRules.JUMP_RULES) {
                if (!isPresent(family, jump)) {
                    change(family, jump.args("-A"), done);
                }
            }
        }
        return List.copyOf(done);
    }

    /**
     * Removes the jump rules and our chains for every family of the configuration; nothing else.
     *
     * @return the commands that changed something, in order; empty when nothing of ours was installed
     * @throws IptablesException naming the first command that failed
     */
    public List<String> cleanup() throws IptablesException {
        List<String> done = new ArrayList<>();
        for (IpFamily family : rules.config().families()) {
            Set<String> present = chainsPresent(family);
            for (IptablesRule jump : IptablesRules.JUMP_RULES) {
                // -C on a rule whose target chain does not exist is an error, not "absent".
                if (!present.contains(target(jump))) {
                    continue;
                }
                for (int copies = 0; isPresent(family, jump); copies++) {
                    if (copies == MAX_JUMP_COPIES) {
                        throw new IptablesException(display(family, jump.args("-D")) + ": still present after "
                                + MAX_JUMP_COPIES + " deletions");
                    }
                    change(family, jump.args("-D"), done);
                }
            }
            // Flush all before deleting any: PALISADE_OUTPUT and PALISADE_INBOUND jump to the redirect chains.
            for (String chain : IptablesRules.CHAINS) {
                if (present.contains(chain)) {
                    change(family, List.of("-F", chain), done);
                }
            }
            for (String chain : IptablesRules.CHAINS) {
                if (present.contains(chain)) {
                    change(family, List.of("-X", chain), done);
                }
            }
        }
        return List.copyOf(done);
    }

    /**
     * What {@link #install()} would put in place, for {@code --dry-run}: per family a comment naming the binary, then
     * the {@link IptablesRules#restoreScript iptables-restore file}. Runs nothing.
     */
    public List<String> installPlan() {
        List<String> lines = new ArrayList<>();
        for (IpFamily family : rules.config().families()) {
            lines.add("# " + family.binary() + " (" + family + "): our chains are created or flushed and refilled;"
                    + " the jump rules are added when absent");
            lines.addAll(rules.restoreScript(family));
        }
        return List.copyOf(lines);
    }

    /** What {@link #cleanup()} would run where everything is installed, for {@code --dry-run --cleanup}. */
    public List<String> cleanupPlan() {
        List<String> lines = new ArrayList<>();
        for (IpFamily family : rules.config().families()) {
            lines.add("# " + family.binary() + " (" + family + "): each command only for what is present");
            for (IptablesRule jump : IptablesRules.JUMP_RULES) {
                lines.add(display(family, jump.args("-D")));
            }
            for (String chain : IptablesRules.CHAINS) {
                lines.add(display(family, List.of("-F", chain)));
            }
            for (String chain : IptablesRules.CHAINS) {
                lines.add(display(family, List.of("-X", chain)));
            }
        }
        return List.copyOf(lines);
    }

    /** The user-defined chains of the family's nat table, from {@code -S}. */
    private Set<String> chainsPresent(IpFamily family) throws IptablesException {
        CommandResult result = run(family, List.of("-S"));
        if (result.exitCode() != 0) {
            throw failure(family, List.of("-S"), result);
        }
        Set<String> chains = new HashSet<>();
        for (String line : result.stdout().split("\n", -1)) {
            if (line.startsWith("-N ")) {
                chains.add(line.substring(3).strip());
            }
        }
        return chains;
    }

    /** {@code -C}: exit 0 present, 1 absent, anything else an error. */
    private boolean isPresent(IpFamily family, IptablesRule rule) throws IptablesException {
        List<String> args = rule.args("-C");
        CommandResult result = run(family, args);
        return switch (result.exitCode()) {
            case 0 -> true;
            case 1 -> false;
            default -> throw failure(family, args, result);
        };
    }

    private void change(IpFamily family, List<String> args, List<String> done) throws IptablesException {
        CommandResult result = run(family, args);
        if (result.exitCode() != 0) {
            throw failure(family, args, result);
        }
        String display = display(family, args);
        logger.debug("{}", display);
        done.add(display);
    }

    private CommandResult run(IpFamily family, List<String> args) throws IptablesException {
        return runner.run(command(family, args));
    }

    private IptablesException failure(IpFamily family, List<String> args, CommandResult result) {
        String stderr = result.stderr().strip();
        return new IptablesException(display(family, args) + ": exit " + result.exitCode()
                + (stderr.isEmpty() ? "" : ": " + stderr.replace('\n', ' ')));
    }

    private String display(IpFamily family, List<String> args) {
        return runner.display(command(family, args));
    }

    private static List<String> command(IpFamily family, List<String> args) {
        List<String> command = new ArrayList<>(args.size() + 5);
        command.add(family.binary());
        command.addAll(WAIT_FOR_LOCK);
        command.add("-t");
        command.add(IptablesRules.TABLE);
        command.addAll(args);
        return command;
    }

    private static String target(IptablesRule jump) {
        return jump.spec().get(jump.spec().size() - 1);
    }
}
