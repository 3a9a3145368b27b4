package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A complete, consistent set of policy-source objects: what one load of a source produced, as a
 * whole. Sources replace their set atomically; a failed load never produces a partial set.
 *
 * <p>Each list is sorted by namespace and name, whatever the order of the files, and no two
 * objects of the same kind share a namespace and name.
 *
 * @param version identifies the content, for xDS versions and logs; for a {@link PolicyDirectory}
 *     a prefix of the SHA-256 of its files
 * @param authorizationPolicies the {@code AuthorizationPolicy} objects
 * @param peerAuthentications the {@code PeerAuthentication} objects
 * @param workloads the {@code Workload} objects
 */
public record PolicySet(
        String version,
        List<AuthorizationPolicy> authorizationPolicies,
        List<PeerAuthentication> peerAuthentications,
        List<Workload> workloads) {

    private static final Comparator<PolicyObject> BY_REF = Comparator.comparing(PolicyObject::ref);

    public PolicySet {
        requireNonNull(version, "version");
        if (version.isEmpty()) {
            throw new IllegalArgumentException("version: must not be empty");
        }
        authorizationPolicies = sorted(authorizationPolicies);
        peerAuthentications = sorted(peerAuthentications);
        workloads = sorted(workloads);
    }

    /** A set of the given objects, each sorted into its list. */
    public static PolicySet of(String version, Collection<? extends PolicyObject> objects) {
        List<AuthorizationPolicy> policies = new ArrayList<>();
        List<PeerAuthentication> peers = new ArrayList<>();
        List<Workload> workloads = new ArrayList<>();
        for (PolicyObject o : objects) {
            if (o instanceof AuthorizationPolicy p) {
                policies.add(p);
            } else if (o instanceof PeerAuthentication p) {
                peers.add(p);
            } else {
                workloads.add((Workload) o);
            }
        }
        return new PolicySet(version, policies, peers, workloads);
    }

    /** The empty set: no policies, no workloads. */
    public static PolicySet empty(String version) {
        return new PolicySet(version, List.of(), List.of(), List.of());
    }

    /** The workload with this namespace and name. */
    public Optional<Workload> workload(String namespace, String name) {
        return workloads.stream()
                .filter(w -> w.namespace().equals(namespace) && w.name().equals(name))
                .findFirst();
    }

    /** Every object of the set: policies, then peer authentications, then workloads. */
    public List<PolicyObject> objects() {
        List<PolicyObject> all = new ArrayList<>(authorizationPolicies);
        all.addAll(peerAuthentications);
        all.addAll(workloads);
        return List.copyOf(all);
    }

    private static <T extends PolicyObject> List<T> sorted(List<T> objects) {
        List<T> copy = new ArrayList<>(objects);
        copy.sort(BY_REF);
        Set<ObjectRef> seen = new HashSet<>();
        for (T o : copy) {
            if (!seen.add(o.ref())) {
                throw new IllegalArgumentException("duplicate " + o.ref());
            }
        }
        return List.copyOf(copy);
    }
}
