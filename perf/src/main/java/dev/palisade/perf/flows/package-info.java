/**
 * Flow-log measurements: the store's ingest and summary (issue 6; {@code FlowStoreBenchmark}, a plain main, not JMH:
 * minutes of data per run), and the sidecar writer's per-record encoding (issue 9; {@code FlowLogEncodingBenchmark},
 * JMH).
 */
@NullMarked
package dev.palisade.perf.flows;

import org.jspecify.annotations.NullMarked;
