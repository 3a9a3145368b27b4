package dev.palisade.controlplane.policy;

import java.util.List;

/**
 * A load of a policy source failed: {@link #errors()} holds every problem found, not only the
 * first. Nothing of the failed load is used; the caller keeps its last good {@link PolicySet}.
 */
public final class PolicyLoadException extends Exception {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // an immutable List.copyOf of serializable exceptions
    private final List<PolicyException> errors;

    /**
     * @param what the source that failed to load, for the summary line ({@code directory policies})
     * @param errors the problems, at least one
     */
    public PolicyLoadException(String what, List<PolicyException> errors) {
        super(summary(what, errors));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors: must not be empty");
        }
        this.errors = List.copyOf(errors);
    }

    private static String summary(String what, List<PolicyException> errors) {
        StringBuilder sb = new StringBuilder()
                .append(what)
                .append(": ")
                .append(errors.size())
                .append(errors.size() == 1 ? " problem" : " problems");
        for (PolicyException e : errors) {
            sb.append("\n  ").append(e.getMessage());
        }
        return sb.toString();
    }

    /** Every problem found, in file and document order. */
    public List<PolicyException> errors() {
        return errors;
    }
}
