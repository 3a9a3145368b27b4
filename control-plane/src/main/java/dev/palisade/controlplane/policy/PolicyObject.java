package dev.palisade.controlplane.policy;

/** An object read from a policy source: an authorization policy, a peer authentication or a workload. */
public sealed interface PolicyObject permits AuthorizationPolicy, PeerAuthentication, Workload {

    /** The object's kind, namespace and name. */
    ObjectRef ref();
}
