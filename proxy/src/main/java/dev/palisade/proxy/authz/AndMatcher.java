package dev.palisade.proxy.authz;

import java.util.List;
import java.util.stream.Collectors;

/** {@code and_rules} / {@code and_ids}: matches when every operand does; stops at the first that does not. */
final class AndMatcher implements Matcher {

    private final List<Matcher> operands;

    AndMatcher(List<Matcher> operands) {
        this.operands = List.copyOf(operands);
    }

    @Override
    public Prefilter prefilter() {
        return Prefilter.and(operands.stream().map(Matcher::prefilter).toList());
    }

    @Override
    public boolean matches(AuthzRequest request) {
        for (int i = 0; i < operands.size(); i++) {
            if (!operands.get(i).matches(request)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Trace trace(AuthzRequest request) {
        int satisfied = 0;
        int total = 0;
        String failure = "";
        boolean matched = true;
        for (Matcher operand : operands) {
            Trace trace = operand.trace(request);
            satisfied += trace.satisfied();
            total += trace.total();
            if (!trace.matched() && matched) {
                matched = false;
                failure = trace.failure();
            }
        }
        return new Trace(matched, satisfied, total, failure, null, null);
    }

    @Override
    public String describe() {
        return operands.stream().map(Matcher::describe).collect(Collectors.joining(" and ", "(", ")"));
    }
}
