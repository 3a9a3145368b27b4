package dev.palisade.proxy.capture;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * One rule of the {@code nat} table: the chain it belongs to and its rule specification, as {@code iptables -S}
 * prints it after {@code -A CHAIN}. The same specification is used to append ({@code -A}), check ({@code -C}) and
 * delete ({@code -D}) it, which is what makes installing twice a no-op for the jump rules.
 *
 * @param chain the chain, such as {@code PALISADE_OUTPUT} or the built-in {@code OUTPUT}
 * @param spec the matches and target, one argument per element: {@code [-p, tcp, --dport, 15021, -j, RETURN]}
 */
public record IptablesRule(String chain, List<String> spec) {

    public IptablesRule {
        requireNonNull(chain, "chain");
        spec = List.copyOf(spec);
        if (spec.isEmpty()) {
            throw new IllegalArgumentException("spec: empty (expected: at least a target)");
        }
        for (String arg : spec) {
            if (arg.isEmpty() || arg.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("spec: '" + arg + "' (expected: one argument, no whitespace)");
            }
        }
    }

    static IptablesRule of(String chain, String... spec) {
        return new IptablesRule(chain, List.of(spec));
    }

    /** The arguments for {@code iptables -t nat}: {@code [operation, chain, spec...]}. */
    public List<String> args(String operation) {
        List<String> args = new ArrayList<>(spec.size() + 2);
        args.add(operation);
        args.add(chain);
        args.addAll(spec);
        return args;
    }

    /** The line for {@code iptables-restore}: {@code -A CHAIN spec...}. */
    @Override
    public String toString() {
        return String.join(" ", args("-A"));
    }
}
