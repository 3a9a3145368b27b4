package dev.palisade.proxy.authz;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * {@code or_rules} / {@code or_ids}, and the list of permissions or principals of a policy:
 * matches when any operand does; stops at the first that does.
 */
final class OrMatcher implements Matcher {

    private final List<Matcher> operands;

    OrMatcher(List<Matcher> operands) {
        this.operands = List.copyOf(operands);
    }

    @Override
    public Prefilter prefilter() {
        return Prefilter.or(operands.stream().map(Matcher::prefilter).toList());
    }

    @Override
    public boolean matches(AuthzRequest request) {
        for (int i = 0; i < operands.size(); i++) {
            if (operands.get(i).matches(request)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Matched: the first operand that matched. Not matched: the operand that came closest counts;
     * when every operand is a leaf about the same subject (several paths, several principals), the
     * failure names them all: {@code url_path /a did not match /b or prefix /c/}.
     */
    @Override
    public Trace trace(AuthzRequest request) {
        List<Trace> traces = new ArrayList<>(operands.size());
        for (Matcher operand : operands) {
            Trace trace = operand.trace(request);
            if (trace.matched()) {
                return trace;
            }
            traces.add(trace);
        }
        Trace best = traces.get(0);
        for (Trace trace : traces) {
            if (trace.score() > best.score()) {
                best = trace;
            }
        }
        if (traces.size() == 1) {
            return best;
        }
        String subject = traces.get(0).subject();
        boolean sameSubject =
                subject != null && traces.stream().allMatch(t -> subject.equals(t.subject()) && t.expected() != null);
        String failure = sameSubject
                ? subject + " did not match "
                        + traces.stream()
                                .map(t -> Objects.requireNonNull(t.expected()))
                                .collect(Collectors.joining(" or "))
                : "none of " + traces.size() + " alternatives matched; closest: " + best.failure();
        return new Trace(false, best.satisfied(), best.total(), failure, sameSubject ? subject : null, null);
    }

    @Override
    public String describe() {
        return operands.stream().map(Matcher::describe).collect(Collectors.joining(" or ", "(", ")"));
    }
}
