package dev.palisade.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.pem.Pem;
import dev.palisade.testkit.pki.TestCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code palisade certs init-ca | issue | inspect}, in-process; bad input first. */
class CertsCommandTest {
    static final String ORDERS = "spiffe://demo.local/ns/shop/sa/orders";

    @TempDir
    Path dir;

    private final CommandRunner cli = new CommandRunner();

    private int run(String... args) {
        cli.reset();
        return cli.run(args);
    }

    private Path ca() {
        return dir.resolve("ca");
    }

    @BeforeEach
    void createCa() {
        assertThat(run("certs", "init-ca", "--trust-domain", "demo.local", "--out", ca().toString()))
                .as(cli.err())
                .isZero();
    }

    // --- bad input ---

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "init-ca --trust-domain Demo.Local --out X | --trust-domain | trust domain characters are limited",
                "init-ca --trust-domain demo.local --out X --key-type dsa | --key-type | 'dsa'",
                "init-ca --trust-domain demo.local --out X --lifetime forever | --lifetime | 'forever' is not a duration",
                "issue --ca X --spiffe-id spiffe://demo.local/ns/../sa/a --out Y | --spiffe-id | dot segments",
                "issue --ca X --spiffe-id spiffe://demo.local --out Y | --spiffe-id | non-empty path",
                "issue --ca X --spiffe-id spiffe://demo.local/a --ttl 0s --out Y | --ttl | is zero",
                "issue --ca X --spiffe-id spiffe://demo.local/a --ttl -5h --out Y | --ttl | not a duration",
                "issue --ca X --out Y | --spiffe-id | Missing required option",
            })
    void badFlagValuesExitWithTwoAndNameTheFlag(String args, String flag, String problem) {
        assertThat(run(("certs " + args).split(" "))).isEqualTo(2);
        assertThat(cli.err()).contains(flag).contains(problem);
    }

    @Test
    void initCaRefusesToOverwriteAnExistingCa() {
        assertThat(run("certs", "init-ca", "--trust-domain", "demo.local", "--out", ca().toString()))
                .isEqualTo(1);
        assertThat(cli.err()).contains("refusing to overwrite");
    }

    @Test
    void issueFromSomethingThatIsNotACaFails() {
        assertThat(run("certs", "issue", "--ca", dir.resolve("nope").toString(), "--spiffe-id", ORDERS, "--out", "x"))
                .isEqualTo(1);
        assertThat(cli.err()).contains("nope").contains("not a directory");
    }

    @Test
    void issueForAnotherTrustDomainFails() {
        assertThat(run(
                        "certs",
                        "issue",
                        "--ca",
                        ca().toString(),
                        "--spiffe-id",
                        "spiffe://other.local/ns/shop/sa/orders",
                        "--out",
                        dir.resolve("svid").toString()))
                .isEqualTo(1);
        assertThat(cli.err()).contains("ID_MISMATCH").contains("other.local");
    }

    @Test
    void inspectOfUnreadableInputExitsWithTwo() throws Exception {
        Files.writeString(dir.resolve("junk.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n");
        assertThat(run("certs", "inspect", dir.resolve("junk.pem").toString())).isEqualTo(2);
        assertThat(cli.err()).contains("junk.pem");
        assertThat(run("certs", "inspect", dir.resolve("missing.pem").toString()))
                .isEqualTo(2);
        assertThat(cli.err()).contains("missing.pem: no such file");
    }

    @Test
    void inspectAgainstAnotherBundleExitsWithOneNamingTheRule() {
        issue(ORDERS, dir.resolve("svid"));
        Path otherCa = dir.resolve("other-ca");
        assertThat(run("certs", "init-ca", "--trust-domain", "demo.local", "--out", otherCa.toString()))
                .isZero();

        assertThat(run(
                        "certs",
                        "inspect",
                        dir.resolve("svid/svid.crt").toString(),
                        "--bundle",
                        otherCa.resolve("bundle.pem").toString()))
                .isEqualTo(1);
        // The other root has the same subject when both CAs are made within one second (the subject carries the
        // time to the second): then the signature fails; otherwise no root of the bundle is the issuer.
        assertThat(cli.out()).containsPattern("verification FAILED: rule (BAD_SIGNATURE|UNKNOWN_ISSUER)");
    }

    @Test
    void inspectNamesTheBrokenRuleOfAHandMadeCertificate() throws Exception {
        TestCertificate root = TestCertificate.root("root");
        TestCertificate leaf = TestCertificate.builder()
                .uri(ORDERS)
                .keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign)
                .issuedBy(root)
                .build();
        Files.writeString(dir.resolve("leaf.crt"), leaf.chainPem());
        Files.writeString(dir.resolve("root.pem"), root.certificatePem());

        assertThat(run(
                        "certs",
                        "inspect",
                        dir.resolve("leaf.crt").toString(),
                        "--bundle",
                        dir.resolve("root.pem").toString()))
                .isEqualTo(1);
        assertThat(cli.out()).contains("rule LEAF_CAN_SIGN");

        TestCertificate twoSans = TestCertificate.builder()
                .uri(ORDERS)
                .uri("spiffe://demo.local/ns/shop/sa/admin")
                .issuedBy(root)
                .build();
        Files.writeString(dir.resolve("two.crt"), twoSans.chainPem());
        assertThat(run("certs", "inspect", dir.resolve("two.crt").toString())).isEqualTo(1);
        assertThat(cli.out()).contains("rule MULTIPLE_URI_SANS");
    }

    // --- the walkthrough ---

    @Test
    void issuedSvidVerifiesAgainstTheCaBundleAndItsKeyIsPrivate() throws Exception {
        Path svid = dir.resolve("svid");
        issue(ORDERS, svid);
        assertThat(cli.out()).contains("issued " + ORDERS);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(svid.resolve("svid.key"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ca().resolve("ca.key"))))
                .isEqualTo("rw-------");

        assertThat(run(
                        "certs",
                        "inspect",
                        svid.resolve("svid.crt").toString(),
                        "--bundle",
                        ca().resolve("bundle.pem").toString()))
                .as(cli.out() + cli.err())
                .isZero();
        assertThat(cli.out()).contains("spiffe id    " + ORDERS).contains("verification OK");
    }

    @Test
    void ttlIsHonouredAndCappedByTheCaLifetime() throws Exception {
        Path shortCa = dir.resolve("short-ca");
        assertThat(run(
                        "certs",
                        "init-ca",
                        "--trust-domain",
                        "demo.local",
                        "--lifetime",
                        "2h",
                        "--out",
                        shortCa.toString()))
                .isZero();
        assertThat(run(
                        "certs",
                        "issue",
                        "--ca",
                        shortCa.toString(),
                        "--spiffe-id",
                        ORDERS,
                        "--ttl",
                        "30m",
                        "--out",
                        dir.resolve("a").toString()))
                .isZero();
        X509Certificate a = Pem.readCertificates(dir.resolve("a/svid.crt")).get(0);
        assertThat(Duration.between(
                        a.getNotBefore().toInstant(), a.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofMinutes(35)); // 30 m plus the 5 m back-dating

        assertThat(run(
                        "certs",
                        "issue",
                        "--ca",
                        shortCa.toString(),
                        "--spiffe-id",
                        ORDERS,
                        "--ttl",
                        "24h",
                        "--out",
                        dir.resolve("b").toString()))
                .isZero();
        assertThat(cli.out()).contains("capped");
        X509Certificate b = Pem.readCertificates(dir.resolve("b/svid.crt")).get(0);
        List<X509Certificate> caCert = Pem.readCertificates(shortCa.resolve("ca.crt"));
        assertThat(b.getNotAfter()).isEqualTo(caCert.get(0).getNotAfter());
    }

    private void issue(String id, Path outDir) {
        assertThat(run("certs", "issue", "--ca", ca().toString(), "--spiffe-id", id, "--out", outDir.toString()))
                .as(cli.err())
                .isZero();
    }
}
