package dev.palisade.controlplane.flows;

import static java.util.Objects.requireNonNull;

/**
 * One line of a flow summary: how many records went from {@code source} to {@code destination} with
 * {@code decision}.
 *
 * @param source the caller's SPIFFE ID, {@code ""} for a plaintext caller
 * @param destination the server's SPIFFE ID, {@code ""} when unknown
 * @param decision {@code allow}, {@code deny}, or {@code none} (rejected before any policy, or outbound)
 * @param count records
 */
public record SummaryGroup(String source, String destination, String decision, long count) {
    public SummaryGroup {
        requireNonNull(source, "source");
        requireNonNull(destination, "destination");
        requireNonNull(decision, "decision");
    }
}
