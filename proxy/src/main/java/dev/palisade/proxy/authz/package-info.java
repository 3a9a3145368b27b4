/**
 * The authorization engine of the sidecar, starting with what runs before any rule: request
 * normalisation. {@link dev.palisade.proxy.authz.RequestNormalizer} and
 * {@link dev.palisade.proxy.authz.PathNormalizer} turn a request as it arrived on the wire into
 * the one form that both the policy and the application see, or reject it when it is ambiguous.
 * Nothing in this package depends on Netty, so the same code serves the data path and
 * {@code palisade authz check}, and can be tested and benchmarked on its own (issue 4).
 */
@NullMarked
package dev.palisade.proxy.authz;

import org.jspecify.annotations.NullMarked;
