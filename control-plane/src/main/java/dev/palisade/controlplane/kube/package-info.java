/**
 * Kubernetes mode: ServiceAccount-token credentials checked with the TokenReview API, and the CA kept in a Secret
 * that every control-plane replica shares. Talks to the API server through fabric8's client.
 */
@NullMarked
package dev.palisade.controlplane.kube;

import org.jspecify.annotations.NullMarked;
