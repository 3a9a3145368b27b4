/**
 * The sidecar's xDS client (issue 5): an ADS stream to the control plane over mTLS with the workload's SVID, and the
 * translation of the Listener and Clusters it receives into one validated {@link dev.palisade.proxy.config.ProxyConfig}.
 * Anything the sidecar does not implement is NACKed, whole, and the last good config stays in force.
 */
@NullMarked
package dev.palisade.proxy.xds;

import org.jspecify.annotations.NullMarked;
