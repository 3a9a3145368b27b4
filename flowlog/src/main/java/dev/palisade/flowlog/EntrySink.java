package dev.palisade.flowlog;

import dev.palisade.flowlog.v1.Entry;

/**
 * Where chained entries go: the JSON-lines file, the shipper's {@link SpillQueue}. Called on the flow-log writer
 * thread, in chain order; an implementation must not throw for an I/O problem it can count instead.
 */
@FunctionalInterface
public interface EntrySink {
    void accept(Entry entry);
}
