package dev.palisade.controlplane.config;

/**
 * What happens to a request at a workload that no enforced {@code ALLOW} policy selects.
 *
 * <p>{@link #ALLOW} is Istio's behaviour and lets a mesh adopt policies one workload at a time;
 * {@link #DENY} is default-deny: a workload without an ALLOW policy accepts nothing (DENY
 * policies still apply first either way).
 */
public enum DefaultAction {
    /** Requests to a workload that no ALLOW policy selects are allowed (after DENY policies). */
    ALLOW,
    /** Requests to a workload that no ALLOW policy selects are denied, reported as policy "mesh-default". */
    DENY
}
