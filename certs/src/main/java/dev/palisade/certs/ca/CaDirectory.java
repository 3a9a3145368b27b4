package dev.palisade.certs.ca;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.pem.PemException;
import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.TrustDomain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * A CA kept in a directory (local mode):
 *
 * <pre>
 *   trust-domain   the trust domain's name, one line
 *   ca.key         the CA's private key, PKCS#8 PEM, mode 0600
 *   ca.crt         the CA certificate, then its issuers (PEM)
 *   bundle.pem     the roots peers trust (PEM)
 * </pre>
 *
 * <p>{@link #init} never overwrites an existing CA: losing a CA key silently would strand every
 * workload that trusts it.
 */
public final class CaDirectory {
    public static final String TRUST_DOMAIN_FILE = "trust-domain";
    public static final String KEY_FILE = "ca.key";
    public static final String CERT_FILE = "ca.crt";
    public static final String BUNDLE_FILE = "bundle.pem";

    private CaDirectory() {}

    /**
     * Creates a new self-signed root CA in {@code dir}.
     *
     * @throws IllegalStateException when {@code dir} already holds a CA
     */
    public static CertificateAuthority init(
            Path dir, TrustDomain trustDomain, KeyAlgorithm algorithm, Duration lifetime, Clock clock) {
        requireNonNull(dir, "dir");
        refuseExisting(dir);
        CertificateAuthority ca = CertificateAuthority.createRoot(trustDomain, algorithm, lifetime, clock);
        write(dir, ca);
        return ca;
    }

    /**
     * Imports an operator-supplied root or intermediate into {@code dir}.
     *
     * @throws IllegalStateException when {@code dir} already holds a CA
     * @throws PemException or {@link IllegalArgumentException} naming the file or field that is wrong
     */
    public static CertificateAuthority importCa(
            Path dir, TrustDomain trustDomain, Path keyFile, Path chainFile, Path bundleFile, Clock clock) {
        refuseExisting(dir);
        PrivateKey key = Pem.readPrivateKey(keyFile);
        List<X509Certificate> chain = Pem.readCertificates(chainFile);
        TrustBundle bundle = TrustBundle.read(trustDomain, bundleFile);
        CertificateAuthority ca = CertificateAuthority.load(trustDomain, key, chain, bundle, clock);
        write(dir, ca);
        return ca;
    }

    /** Loads the CA of {@code dir}. */
    public static CertificateAuthority load(Path dir, Clock clock) {
        requireNonNull(dir, "dir");
        Path tdFile = dir.resolve(TRUST_DOMAIN_FILE);
        if (!Files.isDirectory(dir)) {
            throw new PemException(dir.toString(), "not a directory (expected a CA made by 'palisade certs init-ca')");
        }
        TrustDomain trustDomain;
        try {
            trustDomain = TrustDomain.parse(Pem.readFile(tdFile).trim());
        } catch (InvalidSpiffeIdException e) {
            throw new PemException(tdFile.toString(), String.valueOf(e.getMessage()), e);
        }
        PrivateKey key = Pem.readPrivateKey(dir.resolve(KEY_FILE));
        List<X509Certificate> chain = Pem.readCertificates(dir.resolve(CERT_FILE));
        TrustBundle bundle = TrustBundle.read(trustDomain, dir.resolve(BUNDLE_FILE));
        try {
            return CertificateAuthority.load(trustDomain, key, chain, bundle, clock);
        } catch (IllegalArgumentException e) {
            throw new PemException(dir.toString(), String.valueOf(e.getMessage()), e);
        }
    }

    private static void refuseExisting(Path dir) {
        if (Files.exists(dir.resolve(KEY_FILE))) {
            throw new IllegalStateException(dir.resolve(KEY_FILE) + " exists: refusing to overwrite a CA");
        }
    }

    private static void write(Path dir, CertificateAuthority ca) {
        try {
            Files.createDirectories(dir);
            Pem.writePrivateKey(dir.resolve(KEY_FILE), ca.privateKey());
            Pem.writeCertificates(dir.resolve(CERT_FILE), ca.chain());
            ca.trustBundle().write(dir.resolve(BUNDLE_FILE));
            Files.writeString(
                    dir.resolve(TRUST_DOMAIN_FILE), ca.trustDomain().name() + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the CA to " + dir + ": " + String.valueOf(e.getMessage()), e);
        }
    }
}
