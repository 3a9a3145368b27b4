package dev.palisade.injector.mutate;

import static java.util.Objects.requireNonNull;

/**
 * Where a pod is being created: what the injector needs to know that the pod object does not say.
 *
 * @param namespace the pod's namespace ({@code request.namespace} in an AdmissionReview: a pod made by a controller has
 *     none in its metadata yet); empty when unknown, as in a manifest without one
 * @param namespaceSelected whether the namespace is labelled {@code palisade.dev/inject=enabled}: the webhook knows it
 *     from the webhook configuration's namespaceSelector that routed the request; {@code palisade inject} treats every
 *     namespace as selected
 * @param kubernetesVersion the cluster's version, which decides native sidecar or regular container
 */
public record PodContext(String namespace, boolean namespaceSelected, KubernetesVersion kubernetesVersion) {

    public PodContext {
        requireNonNull(namespace, "namespace");
        requireNonNull(kubernetesVersion, "kubernetesVersion");
    }
}
