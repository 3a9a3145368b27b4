/**
 * The sidecar's runtime configuration in its own terms (issue 5): what the xDS client builds from the control
 * plane's Listener and Clusters, and what the inbound and outbound listeners read. Nothing here depends on Netty or on
 * Envoy's protos.
 */
@NullMarked
package dev.palisade.proxy.config;

import org.jspecify.annotations.NullMarked;
