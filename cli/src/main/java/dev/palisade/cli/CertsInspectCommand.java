package dev.palisade.cli;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.pem.PemException;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.x509.SvidVerificationException;
import dev.palisade.certs.x509.SvidVerifier;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code palisade certs inspect}: prints a certificate chain (SPIFFE ID, validity, each certificate) and, with
 * {@code --bundle}, the verdict of the same X.509-SVID verification a sidecar applies, naming the rule that failed.
 *
 * <p>Exit codes follow {@code kubectl auth can-i}: 0 the chain verifies, 1 it does not, 2 the input is unreadable.
 * Without {@code --bundle} only the leaf's SVID profile (one valid URI SAN) decides between 0 and 1.
 */
@Command(
        name = "inspect",
        description = "Print a certificate chain and verify it as an X.509-SVID against a trust bundle.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the chain verifies (or, without --bundle, the leaf carries a valid SPIFFE ID)",
            "1:it does not; the rule that failed is printed",
            "2:unreadable input or invalid usage"
        })
final class CertsInspectCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "A PEM certificate chain, leaf first.")
    private Path file;

    @Option(names = "--bundle", paramLabel = "FILE", description = "PEM roots to verify against.")
    private @Nullable Path bundleFile;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<X509Certificate> chain;
        try {
            chain = Pem.readCertificates(file);
        } catch (PemException e) {
            err.println("palisade certs inspect: " + e.getMessage());
            err.flush();
            return 2;
        }
        SpiffeId id = null;
        SvidVerificationException failure = null;
        try {
            id = SvidVerifier.spiffeIdOf(chain.get(0));
        } catch (SvidVerificationException e) {
            failure = e;
        }
        w.printf(Locale.ROOT, "file         %s%n", file);
        w.printf(Locale.ROOT, "spiffe id    %s%n", id != null ? id : "(none)");
        X509Certificate leaf = chain.get(0);
        w.printf(
                Locale.ROOT,
                "valid        %s .. %s (%s)%n",
                leaf.getNotBefore().toInstant(),
                leaf.getNotAfter().toInstant(),
                remaining(leaf));
        w.printf(Locale.ROOT, "chain        %d certificate(s)%n", chain.size());
        for (int i = 0; i < chain.size(); i++) {
            describe(w, i, chain.get(i));
        }

        if (failure == null && bundleFile != null && id != null) {
            TrustBundle bundle;
            try {
                bundle = TrustBundle.read(id.trustDomain(), bundleFile);
            } catch (PemException e) {
                w.flush();
                err.println("palisade certs inspect: " + e.getMessage());
                err.flush();
                return 2;
            }
            try {
                SvidVerifier.of(TrustBundleSet.of(bundle)).verify(chain);
            } catch (SvidVerificationException e) {
                failure = e;
            }
        }
        if (failure != null) {
            w.printf(Locale.ROOT, "verification FAILED: rule %s%n  %s%n", failure.rule(), failure.getMessage());
            w.flush();
            return 1;
        }
        if (bundleFile == null) {
            w.printf(Locale.ROOT, "verification skipped: no --bundle given (the leaf carries a valid SPIFFE ID)%n");
        } else {
            w.printf(Locale.ROOT, "verification OK against %s%n", bundleFile);
        }
        w.flush();
        return 0;
    }

    private static void describe(PrintWriter w, int index, X509Certificate c) {
        w.printf(
                Locale.ROOT,
                "  [%d] subject  %s%n",
                index,
                c.getSubjectX500Principal().getName());
        w.printf(Locale.ROOT, "      issuer   %s%n", c.getIssuerX500Principal().getName());
        w.printf(Locale.ROOT, "      serial   %s%n", c.getSerialNumber().toString(16));
        w.printf(
                Locale.ROOT,
                "      valid    %s .. %s%n",
                c.getNotBefore().toInstant(),
                c.getNotAfter().toInstant());
        w.printf(Locale.ROOT, "      ca       %s%n", c.getBasicConstraints() >= 0 ? "yes" : "no");
        w.printf(Locale.ROOT, "      key      %s%n", c.getPublicKey().getAlgorithm());
        List<String> sans = new ArrayList<>();
        try {
            Collection<List<?>> names = c.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    sans.add((Integer.valueOf(6).equals(name.get(0)) ? "URI:" : "type" + name.get(0) + ":")
                            + name.get(1));
                }
            }
        } catch (CertificateParsingException e) {
            sans.add("(unparseable)");
        }
        if (!sans.isEmpty()) {
            w.printf(Locale.ROOT, "      sans     %s%n", String.join(", ", sans));
        }
    }

    private static String remaining(X509Certificate leaf) {
        Duration left = Duration.between(Instant.now(), leaf.getNotAfter().toInstant());
        if (left.isNegative()) {
            return "expired "
                    + DurationConverter.format(left.negated().withNanos(0).plusSeconds(1)) + " ago";
        }
        return DurationConverter.format(left.withNanos(0).plusSeconds(1)) + " left";
    }
}
