package dev.palisade.injector.mutate;

/** Why a pod is left as it is; each is an expected outcome, not an error. */
public enum SkipReason {
    /** The pod already carries the proxy (container {@code palisade-proxy} or annotation {@code palisade.dev/status}). */
    ALREADY_INJECTED("already injected"),
    /** {@code palisade.dev/inject: "false"}. */
    OPTED_OUT("opted out with palisade.dev/inject=false"),
    /** kube-system, kube-public, kube-node-lease or the mesh's own namespace. */
    SYSTEM_NAMESPACE("system namespace"),
    /** {@code hostNetwork: true}: iptables rules would capture the node's traffic, not the pod's. */
    HOST_NETWORK("host-network pod"),
    /** The namespace is not labelled {@code palisade.dev/inject=enabled} and the pod did not opt in. */
    NAMESPACE_NOT_ENABLED("namespace not enabled and the pod did not opt in");

    private final String description;

    SkipReason(String description) {
        this.description = description;
    }

    /** A short phrase for logs, warnings and {@code palisade inject}'s summary. */
    public String description() {
        return description;
    }
}
