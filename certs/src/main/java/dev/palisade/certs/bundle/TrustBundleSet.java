package dev.palisade.certs.bundle;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.TrustDomain;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Trust bundles by trust domain, immutable. A peer's chain is verified only against the bundle of
 * the trust domain named in its own SPIFFE ID: a CA of another trust domain can never vouch for ours.
 */
public final class TrustBundleSet {
    private final Map<TrustDomain, TrustBundle> bundles;

    private TrustBundleSet(Map<TrustDomain, TrustBundle> bundles) {
        this.bundles = bundles;
    }

    /** A set holding {@code bundles}; two bundles for one trust domain are refused. */
    public static TrustBundleSet of(TrustBundle... bundles) {
        return of(List.of(bundles));
    }

    /** A set holding {@code bundles}; two bundles for one trust domain are refused. */
    public static TrustBundleSet of(Collection<TrustBundle> bundles) {
        Map<TrustDomain, TrustBundle> map = new LinkedHashMap<>();
        for (TrustBundle bundle : bundles) {
            requireNonNull(bundle, "bundle");
            if (map.put(bundle.trustDomain(), bundle) != null) {
                throw new IllegalArgumentException("two trust bundles for " + bundle.trustDomain());
            }
        }
        return new TrustBundleSet(Map.copyOf(map));
    }

    /** The bundle of {@code trustDomain}, if this set has one. */
    public Optional<TrustBundle> bundleFor(TrustDomain trustDomain) {
        return Optional.ofNullable(bundles.get(trustDomain));
    }

    /** Every bundle in the set. */
    public Collection<TrustBundle> bundles() {
        return bundles.values();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustBundleSet other && bundles.equals(other.bundles);
    }

    @Override
    public int hashCode() {
        return bundles.hashCode();
    }

    @Override
    public String toString() {
        return "TrustBundleSet" + bundles.keySet();
    }
}
