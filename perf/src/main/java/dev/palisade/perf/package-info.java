/**
 * Performance measurement of Palisade (issue 9): the JMH benchmarks of the hot paths, run by
 * {@code perf/jmh} through {@link dev.palisade.perf.JmhMain}, which also writes a markdown summary
 * with the machine's description. The side-by-side load harness ({@code perf/run}) will join it.
 */
@NullMarked
package dev.palisade.perf;

import org.jspecify.annotations.NullMarked;
