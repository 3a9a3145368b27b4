/**
 * The authorization engine of the sidecar (issue 4). First, request normalisation: {@link
 * dev.palisade.proxy.authz.RequestNormalizer} and {@link dev.palisade.proxy.authz.PathNormalizer}
 * turn a request as it arrived on the wire into the one form that both the policy and the
 * application see, or reject it when it is ambiguous. Then evaluation: {@link
 * dev.palisade.proxy.authz.RbacCompiler} compiles the Envoy RBAC filter configs from the control
 * plane into an immutable {@link dev.palisade.proxy.authz.AuthzEngine}, which decides each {@link
 * dev.palisade.proxy.authz.AuthzRequest} into an {@link dev.palisade.proxy.authz.AuthzDecision} (or
 * explains it, for {@code palisade authz check}); {@link
 * dev.palisade.proxy.authz.AuthzPolicyHolder} swaps versions atomically and caches decisions.
 * Nothing in this package depends on Netty, so the same code serves the data path and the CLI, and
 * can be tested and benchmarked on its own.
 */
@NullMarked
package dev.palisade.proxy.authz;

import org.jspecify.annotations.NullMarked;
