/** Issue 10: how the auditor's page API answers with 100 workloads and a day of flows (AuditorPageBenchmark). */
@NullMarked
package dev.palisade.perf.ui;

import org.jspecify.annotations.NullMarked;
