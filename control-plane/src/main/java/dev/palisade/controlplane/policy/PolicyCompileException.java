package dev.palisade.controlplane.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * The policies that apply to a workload cannot be compiled without changing their meaning: a rule
 * with HTTP-only fields that could apply to an opaque TCP port, or two {@code PeerAuthentication}s
 * of equal precedence selecting it. The whole compile for the workload fails; the caller keeps the
 * workload's last good config.
 */
public final class PolicyCompileException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ObjectRef workload;

    @SuppressWarnings("serial") // immutable List.copyOf of records
    private final List<RuleStatus> refusedRules;

    @SuppressWarnings("serial") // immutable List.copyOf of strings
    private final List<String> problems;

    /**
     * @param workload the workload whose compile failed
     * @param refusedRules the refused rules, each {@link EnforcementStatus#REFUSED} with its reason
     * @param problems the problems not about one rule (conflicting peer authentications)
     */
    public PolicyCompileException(ObjectRef workload, List<RuleStatus> refusedRules, List<String> problems) {
        super(message(workload, refusedRules, problems));
        this.workload = workload;
        this.refusedRules = List.copyOf(refusedRules);
        this.problems = List.copyOf(problems);
    }

    private static String message(ObjectRef workload, List<RuleStatus> refusedRules, List<String> problems) {
        List<String> all = new ArrayList<>();
        for (RuleStatus r : refusedRules) {
            all.add(r.policy() + " rule " + r.ruleIndex() + " refused: " + r.reason());
        }
        all.addAll(problems);
        return "cannot compile policies for workload " + workload.qualifiedName() + ": " + String.join("; ", all);
    }

    /** The workload whose compile failed. */
    public ObjectRef workload() {
        return workload;
    }

    /** The refused rules, with their reasons. */
    public List<RuleStatus> refusedRules() {
        return refusedRules;
    }

    /** The problems not about one rule. */
    public List<String> problems() {
        return problems;
    }
}
