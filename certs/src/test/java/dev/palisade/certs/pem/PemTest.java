package dev.palisade.certs.pem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.x509.X509Svid;
import dev.palisade.testkit.pki.KeyType;
import dev.palisade.testkit.pki.TestCertificate;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {
    static final TestCertificate root = TestCertificate.root("root");
    static final TestCertificate leaf = TestCertificate.leaf("spiffe://example.org/ns/a/sa/b", root);

    @Test
    void truncatedPemIsRefusedAsTruncated() {
        String pem = leaf.certificatePem();
        String truncated = pem.substring(0, pem.indexOf("-----END"));
        assertThatThrownBy(() -> Pem.readCertificates(truncated, "chain.pem"))
                .isInstanceOf(PemException.class)
                .hasMessageStartingWith("chain.pem: truncated PEM");
    }

    @Test
    void corruptBase64IsRefused() {
        String pem = leaf.certificatePem().replaceFirst("(?m)^(.{10}).{10}", "$1!!!!!!!!!!");
        assertThatThrownBy(() -> Pem.readCertificates(pem, "chain.pem"))
                .isInstanceOf(PemException.class)
                .hasMessageStartingWith("chain.pem:");
    }

    @Test
    void wrongBlockTypeIsNamed() {
        assertThatThrownBy(() -> Pem.readCertificates(leaf.privateKeyPem(), "svid.crt"))
                .isInstanceOf(PemException.class)
                .hasMessage("svid.crt: expected CERTIFICATE blocks, found a PRIVATE KEY (block 1)");
        assertThatThrownBy(() -> Pem.readPrivateKey(leaf.certificatePem(), "svid.key"))
                .isInstanceOf(PemException.class)
                .hasMessage("svid.key: expected a PRIVATE KEY block, found a CERTIFICATE");
    }

    @Test
    void emptyInputIsRefused() {
        assertThatThrownBy(() -> Pem.readCertificates("just text\n", "x.pem"))
                .hasMessage("x.pem: no PEM CERTIFICATE block found");
        assertThatThrownBy(() -> Pem.readPrivateKey("", "x.key")).hasMessage("x.key: no PEM PRIVATE KEY block found");
    }

    @Test
    void twoKeysInOneFileAreRefused() {
        assertThatThrownBy(() -> Pem.readPrivateKey(leaf.privateKeyPem() + root.privateKeyPem(), "x.key"))
                .hasMessageContaining("found a second block");
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        assertThatThrownBy(() -> Pem.readCertificates(dir.resolve("nope.pem")))
                .isInstanceOf(PemException.class)
                .hasMessageEndingWith("nope.pem: no such file");
    }

    @Test
    void keyThatDoesNotMatchItsCertificateIsRefused(@TempDir Path dir) throws Exception {
        TestCertificate other = TestCertificate.leaf("spiffe://example.org/ns/a/sa/b", root);
        Files.writeString(dir.resolve("svid.crt"), leaf.chainPem());
        Files.writeString(dir.resolve("svid.key"), other.privateKeyPem());
        assertThatThrownBy(() -> X509Svid.load(dir.resolve("svid.crt"), dir.resolve("svid.key")))
                .isInstanceOf(PemException.class)
                .hasMessageContaining("does not match");

        TestCertificate rsa = TestCertificate.builder()
                .keyType(KeyType.RSA_2048)
                .uri("spiffe://example.org/ns/a/sa/b")
                .issuedBy(root)
                .build();
        Files.writeString(dir.resolve("svid.key"), rsa.privateKeyPem());
        assertThatThrownBy(() -> X509Svid.load(dir.resolve("svid.crt"), dir.resolve("svid.key")))
                .isInstanceOf(PemException.class)
                .hasMessageContaining("does not match");
    }

    @Test
    void chainsAndKeysRoundTrip(@TempDir Path dir) throws Exception {
        TestCertificate intermediate =
                TestCertificate.builder().ca().issuedBy(root).build();
        TestCertificate deep = TestCertificate.leaf("spiffe://example.org/ns/a/sa/b", intermediate);
        String pem = Pem.writeCertificates(deep.chain());
        List<X509Certificate> read = Pem.readCertificates(pem, "chain");
        assertThat(read).containsExactlyElementsOf(deep.chain());

        Pem.writePrivateKey(dir.resolve("k.pem"), deep.privateKey());
        PrivateKey key = Pem.readPrivateKey(dir.resolve("k.pem"));
        assertThat(key.getEncoded()).isEqualTo(deep.privateKey().getEncoded());

        Pem.writeCertificates(dir.resolve("c.pem"), deep.chain());
        X509Svid svid = X509Svid.load(dir.resolve("c.pem"), dir.resolve("k.pem"));
        assertThat(svid.id()).hasToString("spiffe://example.org/ns/a/sa/b");
        assertThat(svid.chain()).hasSize(2);
        assertThat(svid.toString()).doesNotContain("PRIVATE").contains("spiffe://example.org/ns/a/sa/b");
    }

    @Test
    void readsTraditionalEcAndRsaKeyBlocks() throws Exception {
        // OpenSSL's traditional "RSA PRIVATE KEY" form, as older tooling writes it.
        TestCertificate rsa = TestCertificate.builder()
                .keyType(KeyType.RSA_2048)
                .uri("spiffe://example.org/ns/a/sa/b")
                .issuedBy(root)
                .build();
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(rsa.privateKey()); // traditional RSA PRIVATE KEY block
        }
        assertThat(out.toString()).contains("BEGIN RSA PRIVATE KEY");
        assertThat(Pem.readPrivateKey(out.toString(), "rsa.key").getEncoded())
                .isEqualTo(rsa.privateKey().getEncoded());
    }
}
