package dev.palisade.certs.bundle;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.pem.PemException;
import dev.palisade.certs.spiffe.TrustDomain;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The X.509 roots of one trust domain (SPIFFE Trust Domain and Bundle §4), immutable.
 *
 * <p>A bundle holds at least one root; each must be a CA certificate. Order is kept (oldest first by
 * convention) and duplicates are dropped, so that adding a root twice during a rotation is harmless.
 */
public final class TrustBundle {
    private final TrustDomain trustDomain;
    private final List<X509Certificate> roots;

    private TrustBundle(TrustDomain trustDomain, List<X509Certificate> roots) {
        this.trustDomain = trustDomain;
        this.roots = roots;
    }

    /**
     * A bundle of {@code roots} for {@code trustDomain}.
     *
     * @throws IllegalArgumentException when {@code roots} is empty or holds a certificate that is not a CA
     */
    public static TrustBundle of(TrustDomain trustDomain, List<X509Certificate> roots) {
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(roots, "roots");
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("trust bundle for " + trustDomain + " has no roots");
        }
        Set<X509Certificate> unique = new LinkedHashSet<>();
        for (X509Certificate root : roots) {
            requireNonNull(root, "root");
            if (root.getBasicConstraints() < 0) {
                throw new IllegalArgumentException("trust bundle for " + trustDomain + ": '"
                        + root.getSubjectX500Principal().getName() + "' is not a CA certificate");
            }
            unique.add(root);
        }
        return new TrustBundle(trustDomain, List.copyOf(unique));
    }

    /** Parses a PEM bundle (one or more CERTIFICATE blocks). */
    public static TrustBundle parsePem(TrustDomain trustDomain, String pem, String source) {
        List<X509Certificate> roots = Pem.readCertificates(pem, source);
        try {
            return of(trustDomain, roots);
        } catch (IllegalArgumentException e) {
            throw new PemException(source, String.valueOf(e.getMessage()), e);
        }
    }

    /** Reads a PEM bundle file. */
    public static TrustBundle read(TrustDomain trustDomain, Path file) {
        return parsePem(trustDomain, Pem.readFile(file), file.toString());
    }

    public TrustDomain trustDomain() {
        return trustDomain;
    }

    /** The roots, in order. */
    public List<X509Certificate> roots() {
        return roots;
    }

    /** A bundle with {@code root} appended (no-op if present). */
    public TrustBundle withRoot(X509Certificate root) {
        List<X509Certificate> next = new ArrayList<>(roots);
        next.add(root);
        return of(trustDomain, next);
    }

    /** A bundle without {@code root}; the last root cannot be removed. */
    public TrustBundle withoutRoot(X509Certificate root) {
        List<X509Certificate> next = new ArrayList<>(roots);
        next.remove(root);
        return of(trustDomain, next);
    }

    /** The roots as PEM. */
    public String toPem() {
        return Pem.writeCertificates(roots);
    }

    /** Writes the roots as PEM, atomically. */
    public void write(Path file) {
        Pem.writeCertificates(file, roots);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustBundle other && trustDomain.equals(other.trustDomain) && roots.equals(other.roots);
    }

    @Override
    public int hashCode() {
        return trustDomain.hashCode() * 31 + roots.hashCode();
    }

    @Override
    public String toString() {
        return "TrustBundle(" + trustDomain + ", " + roots.size() + " root(s))";
    }
}
