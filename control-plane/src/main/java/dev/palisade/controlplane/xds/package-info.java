/**
 * The xDS server: Aggregated Discovery Service over gRPC with Envoy v3 resources, built on java-control-plane's
 * {@code V3DiscoveryServer} and snapshot cache. Each sidecar's node id is its SPIFFE ID and must equal the identity
 * proven by its mTLS certificate, so a sidecar only ever receives its own workload's configuration.
 */
@NullMarked
package dev.palisade.controlplane.xds;

import org.jspecify.annotations.NullMarked;
