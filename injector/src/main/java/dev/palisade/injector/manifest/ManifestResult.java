package dev.palisade.injector.manifest;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The rewritten manifest and what happened to each workload in it.
 *
 * @param yaml the output: injected documents re-serialised, every other document as it was
 * @param workloads one entry per Pod or pod template found, in input order
 */
public record ManifestResult(String yaml, List<Workload> workloads) {

    public ManifestResult {
        requireNonNull(yaml, "yaml");
        workloads = List.copyOf(workloads);
    }

    /** The workloads that were refused (a bad annotation): their documents are left as they were. */
    public List<Workload> refused() {
        return workloads.stream().filter(w -> w.outcome() == Outcome.REFUSED).toList();
    }

    /** What happened to one workload. */
    public enum Outcome {
        INJECTED,
        SKIPPED,
        REFUSED
    }

    /**
     * One workload.
     *
     * @param document the document's 1-based position in the input
     * @param kind {@code Deployment}, {@code Pod}, ...
     * @param name {@code namespace/name}, or just the name when the manifest gives no namespace
     * @param outcome injected, skipped or refused
     * @param detail for SKIPPED the reason, for REFUSED the problems, for INJECTED the notes
     */
    public record Workload(int document, String kind, String name, Outcome outcome, String detail) {
        public Workload {
            requireNonNull(kind, "kind");
            requireNonNull(name, "name");
            requireNonNull(outcome, "outcome");
            requireNonNull(detail, "detail");
        }

        @Override
        public String toString() {
            return kind + " " + name + ": " + outcome.name().toLowerCase(java.util.Locale.ROOT)
                    + (detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }
}
