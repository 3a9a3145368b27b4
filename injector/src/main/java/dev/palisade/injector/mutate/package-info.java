/**
 * Sidecar injection as a pure function: {@link dev.palisade.injector.mutate.SidecarInjector} takes a fabric8
 * {@code Pod}, where it is created ({@link dev.palisade.injector.mutate.PodContext}: namespace, whether the namespace
 * is selected, the cluster's Kubernetes version) and an {@link dev.palisade.injector.mutate.InjectionConfig}, and
 * answers with an {@link dev.palisade.injector.mutate.InjectionResult}: the mutated pod and why, a skip and why, or a
 * refusal naming every bad annotation — never a half-injected pod. {@link dev.palisade.injector.mutate.JsonPatches}
 * turns the difference into an RFC 6902 patch, which both the admission webhook and {@code palisade inject} apply.
 */
@NullMarked
package dev.palisade.injector.mutate;

import org.jspecify.annotations.NullMarked;
