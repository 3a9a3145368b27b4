package dev.palisade.controlplane.policy;

/** How a compiled rule takes effect at a workload: shown by {@code /config} and {@code palisade authz check}. */
public enum EnforcementStatus {
    /** In an enforced ALLOW or DENY filter: it decides requests. */
    ENFORCED,
    /** In the shadow rules of a dry-run filter: evaluated and logged, never enforced. */
    DRY_RUN,
    /** In the LOG filter: marks matching requests in the flow log. */
    AUDIT,
    /** Not compiled: the whole compile for the workload failed, and the last good config stays. */
    REFUSED
}
