package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

/**
 * An Envoy RBAC filter config that {@link RbacCompiler} cannot turn into an {@link AuthzEngine}:
 * the xDS client answers it with a NACK and keeps the last good engine (DESIGN.md, "Configuration").
 *
 * <p>The message names where the problem is and what it is, for example {@code
 * ns[shop]-policy[p]-rule[0].permissions[1].url_path.path.safe_regex: invalid RE2 regex "a(": missing
 * closing )}. Paths inside a policy start with the policy's name (its key in {@code
 * RBAC.policies}); paths outside any policy start with {@code filters[<index>]}, the position of
 * the filter config in the list that was compiled. Field names are the proto's.
 *
 * @see UnsupportedRbacException for a well-formed config that uses what the engine does not implement
 */
public class RbacConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String fieldPath;
    private final String problem;

    /**
     * @param fieldPath where the problem is, such as {@code ns[a]-policy[b]-rule[0].permissions[1]}
     * @param problem what is wrong there, naming the bad value
     */
    public RbacConfigException(String fieldPath, String problem) {
        super(requireNonNull(fieldPath, "fieldPath") + ": " + requireNonNull(problem, "problem"));
        this.fieldPath = fieldPath;
        this.problem = problem;
    }

    /** Where the problem is: a policy name or {@code filters[<index>]}, then proto field names. */
    public String fieldPath() {
        return fieldPath;
    }

    /** What is wrong at {@link #fieldPath()}. */
    public String problem() {
        return problem;
    }
}
