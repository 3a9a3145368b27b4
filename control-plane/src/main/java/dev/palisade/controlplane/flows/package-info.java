/**
 * Flow logs on the control plane (issue 6): {@link dev.palisade.controlplane.flows.FlowCollector} receives each
 * sidecar's chain over Envoy's AccessLogService, {@link dev.palisade.controlplane.flows.FlowStore} keeps it in an
 * embedded SQLite database and answers filtered queries and summaries, {@link
 * dev.palisade.controlplane.flows.FlowApi} serves them as JSON on the admin port. The chain itself (format, hashes,
 * verification) is the {@code flowlog} module's.
 */
@NullMarked
package dev.palisade.controlplane.flows;

import org.jspecify.annotations.NullMarked;
