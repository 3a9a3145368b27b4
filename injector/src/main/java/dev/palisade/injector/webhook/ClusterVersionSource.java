package dev.palisade.injector.webhook;

import static java.util.Objects.requireNonNull;

import dev.palisade.injector.mutate.KubernetesVersion;

/**
 * The cluster's current Kubernetes version, which decides between a native sidecar and a regular container.
 *
 * <p>{@code palisade webhook} uses {@link #fixed} with {@code --kubernetes-version} (the chart passes Helm's
 * {@code .Capabilities.KubeVersion}). In cluster mode the control plane's Kubernetes client is meant to implement this
 * with the API server's {@code GET /version} ({@code major}, {@code minor}, or {@code gitVersion} through
 * {@link KubernetesVersion#parse}), refreshed periodically, so that a cluster upgraded to 1.29 starts getting native
 * sidecars without a webhook restart.
 */
@FunctionalInterface
public interface ClusterVersionSource {

    /** The version to inject for now; called once per admission request, so it must be cheap. */
    KubernetesVersion current();

    /** A version that never changes. */
    static ClusterVersionSource fixed(KubernetesVersion version) {
        requireNonNull(version, "version");
        return () -> version;
    }
}
