/** The flow store's ingest and summary measurements (issue 6): a plain main, not JMH (minutes of data per run). */
@NullMarked
package dev.palisade.perf.flows;

import org.jspecify.annotations.NullMarked;
