package dev.palisade.controlplane.config;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.TrustDomain;

/**
 * The mesh-wide settings that shape how policies compile.
 *
 * @param trustDomain the mesh's SPIFFE trust domain; {@code namespaces} in policies become
 *     principal prefixes {@code spiffe://<trustDomain>/ns/<namespace>/sa/}
 * @param defaultAction what applies to a workload that no enforced ALLOW policy selects
 * @param defaultMtlsMode the mTLS mode of a workload that no {@code PeerAuthentication} covers
 */
public record MeshConfig(TrustDomain trustDomain, DefaultAction defaultAction, MtlsMode defaultMtlsMode) {

    /**
     * The root namespace: an {@code AuthorizationPolicy} or {@code PeerAuthentication} in it applies
     * to the whole mesh, as in Istio's root namespace.
     */
    public static final String ROOT_NAMESPACE = "palisade-system";

    public MeshConfig {
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(defaultAction, "defaultAction");
        requireNonNull(defaultMtlsMode, "defaultMtlsMode");
    }

    /**
     * The defaults: requests are allowed where no ALLOW policy applies (as in Istio), and mTLS is
     * {@link MtlsMode#STRICT} where no {@code PeerAuthentication} applies (unlike Istio, whose
     * PERMISSIVE default exists for migrating plaintext meshes; here plaintext is opt-in).
     */
    public static MeshConfig defaults(TrustDomain trustDomain) {
        return new MeshConfig(trustDomain, DefaultAction.ALLOW, MtlsMode.STRICT);
    }
}
