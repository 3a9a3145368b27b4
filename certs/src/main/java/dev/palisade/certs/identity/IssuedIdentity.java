package dev.palisade.certs.identity;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.x509.X509Svid;

/**
 * What the identity service handed a workload, verified: its SVID (with the key it made itself) and the trust
 * bundles that vouch for it and for its peers.
 */
public record IssuedIdentity(X509Svid svid, TrustBundleSet bundles) {
    public IssuedIdentity {
        requireNonNull(svid, "svid");
        requireNonNull(bundles, "bundles");
    }
}
