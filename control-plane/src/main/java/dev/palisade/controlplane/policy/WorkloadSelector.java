package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * {@code spec.selector.matchLabels}: selects the workloads whose labels include every one of these
 * labels. An empty selector (or none at all in YAML) selects every workload in scope.
 */
public record WorkloadSelector(Map<String, String> matchLabels) {

    /** The selector that selects every workload in scope. */
    public static final WorkloadSelector ALL = new WorkloadSelector(Map.of());

    public WorkloadSelector {
        requireNonNull(matchLabels, "matchLabels");
        PolicyValues.requireLabels("matchLabels", matchLabels);
        matchLabels = Map.copyOf(matchLabels);
    }

    /** Whether {@code labels} include all of {@link #matchLabels()}. */
    public boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> e : matchLabels.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Whether this selector selects every workload in scope. */
    public boolean selectsAll() {
        return matchLabels.isEmpty();
    }
}
