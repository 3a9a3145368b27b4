package dev.palisade.controlplane.kube;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.pem.Pem;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admission webhook's serving certificate when cert-manager does not provide it (the chart's default): a small CA
 * of the webhook's own and a serving certificate for {@code <service>.<namespace>.svc}, kept in the Secret {@code
 * <service>-tls} of the control plane's namespace (keys {@code ca.crt}, {@code tls.crt}, {@code tls.key}), written to
 * the directory the webhook container reads, and the CA put into the {@code caBundle} of every webhook of the chart's
 * {@code MutatingWebhookConfiguration}.
 *
 * <p>Why a CA of its own rather than the mesh root (which Istio uses): the API server then trusts, for this webhook,
 * only certificates made for it, and a root rotation of the mesh never touches admission.
 *
 * <p>Replicas share the Secret as they share the CA Secret: the first create wins, a replica that gets 409 Conflict
 * loads the winner's. A certificate that expires within {@link #RENEW_BEFORE} is replaced (by an update with the
 * Secret's resourceVersion, so two replicas cannot both replace it).
 */
public final class WebhookCertificates {
    private static final Logger logger = LoggerFactory.getLogger(WebhookCertificates.class);

    /** Lifetime of the serving certificate; of the CA, ten times as long. */
    public static final Duration LIFETIME = Duration.ofDays(365);

    /** Replace a serving certificate that expires within this. */
    public static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private final KubernetesClient client;
    private final String namespace;
    private final String service;
    private final Clock clock;

    /**
     * @param client the API server
     * @param namespace the control plane's (and the webhook Service's) namespace
     * @param service the webhook Service's name
     * @param clock the time
     */
    public WebhookCertificates(KubernetesClient client, String namespace, String service, Clock clock) {
        this.client = requireNonNull(client, "client");
        this.namespace = requireNonNull(namespace, "namespace");
        this.service = requireNonNull(service, "service");
        this.clock = requireNonNull(clock, "clock");
    }

    /** The material: PEM texts. */
    public record Material(String caPem, String certificatePem, String keyPem) {}

    /** The Secret's name, {@code <service>-tls}. */
    public String secretName() {
        return service + "-tls";
    }

    /** The DNS names the serving certificate carries. */
    public List<String> dnsNames() {
        return List.of(service + "." + namespace + ".svc", service + "." + namespace + ".svc.cluster.local");
    }

    /**
     * Loads the material from the Secret, creating (or renewing) it when absent or about to expire.
     *
     * @throws KubernetesClientException when the API server refuses
     */
    public Material ensure() {
        Secret existing = get();
        if (existing != null) {
            Material material = parse(existing);
            Instant notAfter = notAfter(material);
            if (notAfter.isAfter(clock.instant().plus(RENEW_BEFORE))) {
                return material;
            }
            logger.info("webhook: the serving certificate expires at {}; replacing it", notAfter);
            Secret renewed = toSecret(create());
            renewed.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            try {
                return parse(client.secrets()
                        .inNamespace(namespace)
                        .resource(renewed)
                        .update());
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                return parse(requireSecret());
            }
        }
        Material created = create();
        try {
            client.secrets().inNamespace(namespace).resource(toSecret(created)).create();
            logger.info(
                    "webhook: created the serving certificate for {} in Secret {}/{}",
                    dnsNames(),
                    namespace,
                    secretName());
            return created;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            logger.info("webhook: another replica created Secret {}/{} first; using it", namespace, secretName());
            return parse(requireSecret());
        }
    }

    /**
     * Writes {@code tls.crt}, {@code tls.key} and {@code ca.crt} into {@code dir}, each atomically (the webhook
     * container polls for them), the key readable by the owner only.
     */
    public static void write(Material material, Path dir) throws IOException {
        Files.createDirectories(dir);
        writeAtomically(dir, "ca.crt", material.caPem());
        writeAtomically(dir, "tls.key", material.keyPem());
        writeAtomically(dir, "tls.crt", material.certificatePem());
    }

    /**
     * Sets {@code caBundle} on every webhook of the {@code MutatingWebhookConfiguration} {@code name}.
     *
     * @return the number of webhooks whose caBundle changed
     * @throws IllegalStateException when the configuration does not exist (the chart makes it)
     */
    public int patchCaBundle(String name, Material material) {
        String bundle = Base64.getEncoder().encodeToString(material.caPem().getBytes(StandardCharsets.UTF_8));
        MutatingWebhookConfiguration current = client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName(name)
                .get();
        if (current == null) {
            throw new IllegalStateException("MutatingWebhookConfiguration " + name
                    + " not found: the chart creates it (is --webhook-configuration the chart's name?)");
        }
        int changed = 0;
        for (MutatingWebhook webhook : current.getWebhooks()) {
            if (!bundle.equals(webhook.getClientConfig().getCaBundle())) {
                changed++;
            }
        }
        if (changed == 0) {
            return 0;
        }
        client.admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName(name)
                .edit(c -> {
                    for (MutatingWebhook webhook : c.getWebhooks()) {
                        webhook.getClientConfig().setCaBundle(bundle);
                    }
                    return c;
                });
        logger.info("webhook: set the caBundle of {} webhook(s) of MutatingWebhookConfiguration {}", changed, name);
        return changed;
    }

    private @Nullable Secret get() {
        return client.secrets().inNamespace(namespace).withName(secretName()).get();
    }

    private Secret requireSecret() {
        Secret secret = get();
        if (secret == null) {
            throw new IllegalStateException(
                    "Secret " + namespace + "/" + secretName() + " conflicted on write but is gone");
        }
        return secret;
    }

    private Material parse(Secret secret) {
        String where = "Secret " + namespace + "/" + secretName();
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        Material material =
                new Material(text(data, "ca.crt", where), text(data, "tls.crt", where), text(data, "tls.key", where));
        // Fail here, naming the Secret, rather than in the webhook container.
        Pem.readCertificates(material.caPem(), where + " ca.crt");
        Pem.readCertificates(material.certificatePem(), where + " tls.crt");
        Pem.readPrivateKey(material.keyPem(), where + " tls.key");
        return material;
    }

    private static String text(Map<String, String> data, String key, String where) {
        String value = data.get(key);
        if (value == null) {
            throw new IllegalStateException(where + ": key " + key + " is missing");
        }
        return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }

    private static Instant notAfter(Material material) {
        return Pem.readCertificates(material.certificatePem(), "tls.crt")
                .get(0)
                .getNotAfter()
                .toInstant();
    }

    private Secret toSecret(Material material) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("ca.crt", base64(material.caPem()));
        data.put("tls.crt", base64(material.certificatePem()));
        data.put("tls.key", base64(material.keyPem()));
        return new SecretBuilder()
                .withNewMetadata()
                .withName(secretName())
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/part-of", "palisade")
                .endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A new CA and serving certificate, ECDSA P-256. */
    Material create() {
        try {
            Instant now = clock.instant();
            Instant notBefore = now.minus(Duration.ofMinutes(5)); // clock skew between replicas and the API server
            KeyPair caKeys = newKeyPair();
            X500Name caName = new X500Name("CN=" + service + "." + namespace + " webhook CA, O=palisade");
            X509Certificate ca = sign(
                    new JcaX509v3CertificateBuilder(
                                    caName,
                                    serial(),
                                    Date.from(notBefore),
                                    Date.from(now.plus(LIFETIME.multipliedBy(10))),
                                    caName,
                                    caKeys.getPublic())
                            .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                            .addExtension(
                                    Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)),
                    caKeys.getPrivate());
            KeyPair keys = newKeyPair();
            List<GeneralName> names = new ArrayList<>();
            for (String dns : dnsNames()) {
                names.add(new GeneralName(GeneralName.dNSName, dns));
            }
            X509Certificate leaf = sign(
                    new JcaX509v3CertificateBuilder(
                                    caName,
                                    serial(),
                                    Date.from(notBefore),
                                    Date.from(now.plus(LIFETIME)),
                                    new X500Name("CN=" + dnsNames().get(0)),
                                    keys.getPublic())
                            .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                            .addExtension(
                                    Extension.extendedKeyUsage,
                                    false,
                                    new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                            .addExtension(
                                    Extension.subjectAlternativeName,
                                    false,
                                    new GeneralNames(names.toArray(GeneralName[]::new))),
                    caKeys.getPrivate());
            return new Material(
                    Pem.writeCertificates(List.of(ca)),
                    Pem.writeCertificates(List.of(leaf)),
                    Pem.writePrivateKey(keys.getPrivate()));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("webhook: cannot make the serving certificate: " + e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private static void writeAtomically(Path dir, String name, String text) throws IOException {
        Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
