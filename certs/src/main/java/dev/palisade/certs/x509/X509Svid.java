package dev.palisade.certs.x509;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.pem.PemException;
import dev.palisade.certs.spiffe.SpiffeId;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A workload's own X.509-SVID: its SPIFFE ID, its certificate chain (leaf first, then the
 * intermediates up to but excluding the root) and its private key.
 *
 * <p>Construction checks that the leaf carries exactly {@code id} as its one URI SAN and that the key
 * belongs to the leaf; it does not verify the chain against a bundle (the issuer did, and peers will).
 *
 * @param id the SPIFFE ID in the leaf's URI SAN
 * @param chain the leaf followed by intermediates, never empty
 * @param privateKey the leaf's private key; it never leaves the process
 */
public record X509Svid(SpiffeId id, List<X509Certificate> chain, PrivateKey privateKey) {

    public X509Svid {
        requireNonNull(id, "id");
        requireNonNull(privateKey, "privateKey");
        chain = List.copyOf(requireNonNull(chain, "chain"));
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: the leaf, then intermediates)");
        }
        SpiffeId inLeaf;
        try {
            inLeaf = SvidVerifier.spiffeIdOf(chain.get(0));
        } catch (SvidVerificationException e) {
            throw new IllegalArgumentException(
                    "chain: the leaf is not an X.509-SVID: " + String.valueOf(e.getMessage()), e);
        }
        if (!inLeaf.equals(id)) {
            throw new IllegalArgumentException("id: " + id + " (the leaf certificate says " + inLeaf + ")");
        }
        Pem.verifyKeyMatches(privateKey, chain.get(0).getPublicKey(), "privateKey");
    }

    /** An SVID from a chain and key, reading the ID from the leaf. */
    public static X509Svid of(List<X509Certificate> chain, PrivateKey privateKey) {
        requireNonNull(chain, "chain");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: the leaf, then intermediates)");
        }
        try {
            return new X509Svid(SvidVerifier.spiffeIdOf(chain.get(0)), chain, privateKey);
        } catch (SvidVerificationException e) {
            throw new IllegalArgumentException(
                    "chain: the leaf is not an X.509-SVID: " + String.valueOf(e.getMessage()), e);
        }
    }

    /**
     * Loads an SVID from a PEM chain file and a PEM key file.
     *
     * @throws PemException naming the file and the problem (unreadable, wrong block, key mismatch, not an SVID)
     */
    public static X509Svid load(Path chainFile, Path keyFile) {
        List<X509Certificate> chain = Pem.readCertificates(chainFile);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        Pem.verifyKeyMatches(key, chain.get(0).getPublicKey(), keyFile + " (for " + chainFile + ")");
        try {
            return of(chain, key);
        } catch (IllegalArgumentException e) {
            throw new PemException(chainFile.toString(), String.valueOf(e.getMessage()), e);
        }
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    public Instant notBefore() {
        return leaf().getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /** Hides the key: records print their components. */
    @Override
    public String toString() {
        return "X509Svid(" + id + ", serial " + leaf().getSerialNumber().toString(16) + ", until " + notAfter() + ")";
    }
}
