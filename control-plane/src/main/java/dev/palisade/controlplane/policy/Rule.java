package dev.palisade.controlplane.policy;

import java.util.List;

/**
 * One entry of {@code spec.rules}: a request matches when it matches one of {@link #from} (or
 * {@code from} is empty), one of {@link #to} (or {@code to} is empty) and every condition of
 * {@link #when}. The empty rule {@code {}} matches every request.
 *
 * @param from sources, OR-ed; empty matches any source
 * @param to operations, OR-ed; empty matches any operation
 * @param when conditions, AND-ed; empty adds none
 */
public record Rule(List<Source> from, List<Operation> to, List<Condition> when) {

    /** The rule that matches every request: {@code {}}. */
    public static final Rule ANY = new Rule(List.of(), List.of(), List.of());

    public Rule {
        from = List.copyOf(from);
        to = List.copyOf(to);
        when = List.copyOf(when);
    }
}
