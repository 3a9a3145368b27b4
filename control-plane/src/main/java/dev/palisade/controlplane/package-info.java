/**
 * Palisade's control plane: the identity service that signs workload CSRs ({@code identity}), policy sources and
 * the compiler to Envoy RBAC ({@code policy}), and the xDS server ({@code xds}).
 */
@NullMarked
package dev.palisade.controlplane;

import org.jspecify.annotations.NullMarked;
