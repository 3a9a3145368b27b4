/**
 * The sidecar as one process (issue 5): {@link dev.palisade.proxy.sidecar.Sidecar} assembles identity, the xDS
 * client, the inbound and outbound listeners, the flow log and the admin and health servers, in the start-up order
 * the issue gives, and drains them on shutdown.
 */
@NullMarked
package dev.palisade.proxy.sidecar;

import org.jspecify.annotations.NullMarked;
