/**
 * Kubernetes mode: ServiceAccount-token credentials checked with the TokenReview API, the CA kept in a Secret
 * that every control-plane replica shares, and its roots published to the meshed namespaces as the ConfigMap
 * {@code palisade-ca-root}. Talks to the API server through fabric8's client.
 */
@NullMarked
package dev.palisade.controlplane.kube;

import org.jspecify.annotations.NullMarked;
