package dev.palisade.injector.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.certs.pem.PemException;
import dev.palisade.testkit.pki.TestCertificate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingCertificateTest {

    private static final TestCertificate CA = TestCertificate.root("webhook-ca");

    @TempDir
    Path dir;

    @Test
    void refusesMissingFilesAndAKeyThatDoesNotMatch() {
        TestCertificate one = serving();
        TestCertificate other = serving();
        one.writeTo(dir, "one");
        other.writeTo(dir, "other");

        assertThatThrownBy(() -> ServingCertificate.load(dir.resolve("none.crt"), dir.resolve("one.key")))
                .isInstanceOf(PemException.class)
                .hasMessageContaining("none.crt");
        assertThatThrownBy(() -> ServingCertificate.load(dir.resolve("one.crt"), dir.resolve("other.key")))
                .isInstanceOf(PemException.class)
                .hasMessageContaining("does not match");
    }

    @Test
    void keepsTheLastGoodCertificateWhenARenewalIsBroken() throws Exception {
        TestCertificate first = serving();
        first.writeTo(dir, "tls");
        ServingCertificate certificate = ServingCertificate.load(dir.resolve("tls.crt"), dir.resolve("tls.key"));

        Files.writeString(dir.resolve("tls.crt"), "-----BEGIN CERTIFICATE-----\ngarbage\n", StandardCharsets.US_ASCII);
        Thread.sleep(1_100);

        assertThat(certificate.current()).isNotNull();
        assertThat(certificate.certificate()).isEqualTo(first.certificate());
    }

    @Test
    void servesARenewedCertificateToNewConnections() throws Exception {
        TestCertificate first = serving();
        first.writeTo(dir, "tls");
        ServingCertificate certificate = ServingCertificate.load(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        var before = certificate.current();

        TestCertificate renewed = serving();
        renewed.writeTo(dir, "tls");
        Thread.sleep(1_100);

        assertThat(certificate.current()).isNotSameAs(before);
        assertThat(certificate.certificate()).isEqualTo(renewed.certificate());
    }

    private static TestCertificate serving() {
        return TestCertificate.builder()
                .commonName("palisade-webhook.palisade-system.svc")
                .dnsName("palisade-webhook.palisade-system.svc")
                .issuedBy(CA)
                .build();
    }
}
