package dev.palisade.cli;

import dev.palisade.certs.ca.CaDirectory;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.CertificateSigningRequest;
import dev.palisade.certs.ca.CsrException;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.spiffe.SpiffeId;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade certs issue}: issues an X.509-SVID from a local CA the way a sidecar gets one: a fresh key pair is
 * generated here, a CSR carrying the SPIFFE ID is built and signed with it, and the CA checks and signs the CSR.
 */
@Command(
        name = "issue",
        description = {
            "Issue an X.509-SVID from a CA directory into DIR: svid.key (owner-only), svid.crt (leaf, then"
                    + " intermediates) and bundle.pem (the roots to trust)."
        })
final class CertsIssueCommand implements Callable<Integer> {
    static final String KEY_FILE = "svid.key";
    static final String CERT_FILE = "svid.crt";
    static final String BUNDLE_FILE = "bundle.pem";

    @Spec
    private CommandSpec spec;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "A CA made by 'palisade certs init-ca'.")
    private Path caDir;

    @Option(
            names = "--spiffe-id",
            required = true,
            paramLabel = "ID",
            description = "The workload's SPIFFE ID, e.g. spiffe://cluster.local/ns/shop/sa/orders.",
            converter = SpiffeIdConverter.class)
    private SpiffeId spiffeId;

    @Option(
            names = "--ttl",
            paramLabel = "DURATION",
            defaultValue = "24h",
            description = "Requested lifetime (default: ${DEFAULT-VALUE}); capped by the CA's own remaining lifetime.",
            converter = DurationConverter.class)
    private Duration ttl;

    @Option(
            names = "--key-type",
            paramLabel = "TYPE",
            defaultValue = "ec-p256",
            description = "Key type: ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096.",
            converter = KeyAlgorithmConverter.class)
    private KeyAlgorithm keyType;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write the SVID to.")
    private Path out;

    @Override
    public Integer call() throws CsrException {
        CertificateAuthority ca = CaDirectory.load(caDir, Clock.systemUTC()).withMaxTtl(Duration.ofDays(3650));
        KeyPair keys = keyType.generate();
        CertificateSigningRequest csr = CertificateSigningRequest.create(keys, spiffeId);
        List<X509Certificate> chain = ca.sign(csr, spiffeId, ttl);
        Pem.writePrivateKey(out.resolve(KEY_FILE), keys.getPrivate());
        Pem.writeCertificates(out.resolve(CERT_FILE), chain);
        ca.trustBundle().write(out.resolve(BUNDLE_FILE));

        X509Certificate leaf = chain.get(0);
        Duration granted = Duration.between(
                        leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant())
                .minus(CertificateAuthority.BACKDATE);
        PrintWriter w = spec.commandLine().getOut();
        w.printf(Locale.ROOT, "issued %s%n", spiffeId);
        w.printf(Locale.ROOT, "  serial     %s%n", leaf.getSerialNumber().toString(16));
        w.printf(
                Locale.ROOT,
                "  valid      %s .. %s%n",
                leaf.getNotBefore().toInstant(),
                leaf.getNotAfter().toInstant());
        if (granted.compareTo(ttl) < 0) {
            w.printf(
                    Locale.ROOT,
                    "  note       --ttl %s capped to %s by the CA's remaining lifetime%n",
                    DurationConverter.format(ttl),
                    DurationConverter.format(granted));
        }
        w.printf(Locale.ROOT, "  key        %s%n", out.resolve(KEY_FILE));
        w.printf(Locale.ROOT, "  chain      %s (%d certificate(s))%n", out.resolve(CERT_FILE), chain.size());
        w.printf(Locale.ROOT, "  bundle     %s%n", out.resolve(BUNDLE_FILE));
        w.flush();
        return 0;
    }
}
