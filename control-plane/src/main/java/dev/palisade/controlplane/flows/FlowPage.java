package dev.palisade.controlplane.flows;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of a flow query.
 *
 * @param flows the records, oldest first
 * @param nextCursor pass as {@link FlowQuery#cursor()} for the next page; {@code null} on the last page
 */
public record FlowPage(List<FlowRow> flows, @Nullable String nextCursor) {
    public FlowPage {
        flows = List.copyOf(flows);
    }
}
