package dev.palisade.controlplane.policy;

/** The {@code spec.action} of an {@link AuthorizationPolicy}. Istio's {@code CUSTOM} is not supported. */
public enum PolicyAction {
    /** A request must match a rule of some ALLOW policy selecting the workload (when there is one). */
    ALLOW,
    /** A request matching a rule is denied, whatever ALLOW policies say. */
    DENY,
    /** A request matching a rule is marked in the flow log; the decision is unchanged. */
    AUDIT
}
