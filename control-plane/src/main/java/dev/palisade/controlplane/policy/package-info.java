/**
 * Authorization and peer-authentication policies: the model ({@link
 * dev.palisade.controlplane.policy.AuthorizationPolicy}, {@link
 * dev.palisade.controlplane.policy.PeerAuthentication}, {@link
 * dev.palisade.controlplane.policy.Workload}), the strict YAML reader ({@link
 * dev.palisade.controlplane.policy.PolicyParser}), the local-mode source ({@link
 * dev.palisade.controlplane.policy.PolicyDirectory} and its watcher), and the compiler to Envoy RBAC
 * ({@link dev.palisade.controlplane.policy.PolicyCompiler}).
 *
 * <p>External formats are parsed at the edge: everything past {@code PolicyParser} is a validated,
 * immutable record, and the compiler never sees YAML.
 */
@NullMarked
package dev.palisade.controlplane.policy;

import org.jspecify.annotations.NullMarked;
