package dev.palisade.cli;

import dev.palisade.certs.ca.CaDirectory;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.spiffe.TrustDomain;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade certs init-ca}: creates a local CA directory, either a new self-signed root or an imported
 * operator-supplied root or intermediate. Never overwrites an existing CA.
 */
@Command(
        name = "init-ca",
        description = {
            "Create a CA for a trust domain in a directory (ca.key, ca.crt, bundle.pem, trust-domain).",
            "Without --import-*, a new self-signed root is made; with them, an operator-supplied root or"
                    + " intermediate is checked and copied in."
        })
final class CertsInitCaCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--trust-domain",
            required = true,
            paramLabel = "TD",
            description = "Trust domain, e.g. cluster.local.",
            converter = TrustDomainConverter.class)
    private TrustDomain trustDomain;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to create the CA in.")
    private Path out;

    @Option(
            names = "--key-type",
            paramLabel = "TYPE",
            defaultValue = "ec-p256",
            description = "Key of a new root: ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096.",
            converter = KeyAlgorithmConverter.class)
    private KeyAlgorithm keyType;

    @Option(
            names = "--lifetime",
            paramLabel = "DURATION",
            defaultValue = "365d",
            description = "Lifetime of a new root (default: ${DEFAULT-VALUE}).",
            converter = DurationConverter.class)
    private Duration lifetime;

    @ArgGroup(exclusive = false, heading = "%nImport an operator-supplied CA (all three together):%n")
    private ImportOptions importOptions;

    static final class ImportOptions {
        @Option(
                names = "--import-key",
                required = true,
                paramLabel = "FILE",
                description = "The CA's private key (PEM).")
        Path key;

        @Option(
                names = "--import-chain",
                required = true,
                paramLabel = "FILE",
                description = "The CA certificate, then its issuers (PEM).")
        Path chain;

        @Option(
                names = "--import-bundle",
                required = true,
                paramLabel = "FILE",
                description = "The root(s) peers will trust (PEM).")
        Path bundle;
    }

    @Override
    public Integer call() {
        CertificateAuthority ca = importOptions == null
                ? CaDirectory.init(out, trustDomain, keyType, lifetime, Clock.systemUTC())
                : CaDirectory.importCa(
                        out,
                        trustDomain,
                        importOptions.key,
                        importOptions.chain,
                        importOptions.bundle,
                        Clock.systemUTC());
        PrintWriter w = spec.commandLine().getOut();
        w.printf(Locale.ROOT, "CA for trust domain %s written to %s%n", ca.trustDomain(), out);
        w.printf(
                Locale.ROOT,
                "  subject    %s%n",
                ca.certificate().getSubjectX500Principal().getName());
        w.printf(
                Locale.ROOT,
                "  valid      %s .. %s%n",
                ca.certificate().getNotBefore().toInstant(),
                ca.certificate().getNotAfter().toInstant());
        w.printf(
                Locale.ROOT,
                "  key        %s (%s, readable by its owner only)%n",
                out.resolve(CaDirectory.KEY_FILE),
                keyDescription(ca));
        w.printf(
                Locale.ROOT,
                "  bundle     %s (%d root(s))%n",
                out.resolve(CaDirectory.BUNDLE_FILE),
                ca.trustBundle().roots().size());
        w.flush();
        return 0;
    }

    private static String keyDescription(CertificateAuthority ca) {
        return KeyAlgorithm.of(ca.certificate().getPublicKey())
                .map(KeyAlgorithm::cliName)
                .orElse("other");
    }
}
