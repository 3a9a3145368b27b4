package dev.palisade.controlplane.kube;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.ca.CertificateAuthority;
import dev.palisade.certs.ca.KeyAlgorithm;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.pem.PemException;
import dev.palisade.certs.spiffe.TrustDomain;
import dev.palisade.controlplane.identity.RootRotation;
import dev.palisade.controlplane.identity.RotationStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA in a Kubernetes Secret ({@code palisade-ca} in the control plane's namespace, type {@code Opaque}, keys
 * {@code ca.key}, {@code ca.crt}, {@code bundle.pem}, {@code trust-domain}), created on first start and shared by
 * every replica.
 *
 * <p>Two replicas that start at once both find no Secret and both make a CA; the API server accepts only the first
 * create, the other gets 409 Conflict, discards its CA and loads the winner's. So the cluster always ends up with
 * one CA.
 */
public final class CaSecretStore implements RotationStore {
    private static final Logger logger = LoggerFactory.getLogger(CaSecretStore.class);
    public static final String DEFAULT_NAME = "palisade-ca";

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final Clock clock;

    public CaSecretStore(KubernetesClient client, String namespace, String name, Clock clock) {
        this.client = requireNonNull(client, "client");
        this.namespace = requireNonNull(namespace, "namespace");
        this.name = requireNonNull(name, "name");
        this.clock = requireNonNull(clock, "clock");
    }

    /** Loads the CA from the Secret, creating Secret and CA when there is none. */
    public CertificateAuthority loadOrCreate(TrustDomain trustDomain, KeyAlgorithm algorithm, Duration lifetime) {
        Secret existing = get();
        if (existing != null) {
            return parse(existing, trustDomain);
        }
        CertificateAuthority created = CertificateAuthority.createRoot(trustDomain, algorithm, lifetime, clock);
        try {
            client.secrets().inNamespace(namespace).resource(toSecret(created)).create();
            logger.info(
                    "CA: created {} in Secret {}/{}", created.certificate().getSubjectX500Principal(), namespace, name);
            return created;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            Secret winner = get();
            if (winner == null) {
                throw new IllegalStateException(
                        "Secret " + namespace + "/" + name + " conflicted on create but is gone", e);
            }
            logger.info("CA: another replica created Secret {}/{} first; using its CA", namespace, name);
            return parse(winner, trustDomain);
        }
    }

    /**
     * The rotation state kept beside the CA: {@code rotation.phase}, {@code rotation.since}, and the next root's key
     * and certificate ({@code next.key}, {@code next.crt}) while PREPARED, or the previous root
     * ({@code previous.crt}) while SWITCHED. {@code ca.key}/{@code ca.crt} always hold the signing CA and
     * {@code bundle.pem} every root to trust, so a replica that knows nothing of rotations still serves correctly.
     */
    @Override
    public Optional<Persisted> load() {
        Secret secret = get();
        if (secret == null) {
            return Optional.empty();
        }
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        String where = "Secret " + namespace + "/" + name;
        TrustDomain td = TrustDomain.parse(text(data, "trust-domain", where).trim());
        CertificateAuthority issuer = parse(secret, td);
        RootRotation.Phase phase = data.containsKey("rotation.phase")
                ? RootRotation.Phase.valueOf(text(data, "rotation.phase", where).trim())
                : RootRotation.Phase.STABLE;
        Instant since = data.containsKey("rotation.since")
                ? Instant.parse(text(data, "rotation.since", where).trim())
                : issuer.certificate().getNotBefore().toInstant();
        CertificateAuthority next = null;
        X509Certificate previous = null;
        if (phase == RootRotation.Phase.PREPARED) {
            List<X509Certificate> nextChain = Pem.readCertificates(text(data, "next.crt", where), where + " next.crt");
            next = CertificateAuthority.load(
                    td,
                    Pem.readPrivateKey(text(data, "next.key", where), where + " next.key"),
                    nextChain,
                    TrustBundle.of(td, nextChain),
                    clock);
        } else if (phase == RootRotation.Phase.SWITCHED) {
            previous = Pem.readCertificates(text(data, "previous.crt", where), where + " previous.crt")
                    .get(0);
        }
        String version = secret.getMetadata().getResourceVersion();
        return Optional.of(new Persisted(phase, since, issuer, next, previous, version == null ? "" : version));
    }

    @Override
    public Optional<String> compareAndSet(String expectedVersion, Persisted state) {
        Secret current = get();
        if (current == null) {
            throw new IllegalStateException("Secret " + namespace + "/" + name + " is gone");
        }
        String currentVersion = current.getMetadata().getResourceVersion();
        if (!expectedVersion.isEmpty() && !expectedVersion.equals(currentVersion)) {
            return Optional.empty();
        }
        List<X509Certificate> roots = new ArrayList<>();
        if (state.previousRoot() != null) {
            roots.add(state.previousRoot());
        }
        List<X509Certificate> issuerChain = state.issuer().chain();
        roots.add(issuerChain.get(issuerChain.size() - 1));
        if (state.next() != null) {
            roots.add(state.next().certificate());
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("ca.key", b64(Pem.writePrivateKey(state.issuer().privateKey())));
        data.put("ca.crt", b64(Pem.writeCertificates(state.issuer().chain())));
        data.put("bundle.pem", b64(Pem.writeCertificates(roots)));
        data.put("trust-domain", b64(state.issuer().trustDomain().name()));
        data.put("rotation.phase", b64(state.phase().name()));
        data.put("rotation.since", b64(state.since().toString()));
        if (state.next() != null) {
            data.put("next.key", b64(Pem.writePrivateKey(state.next().privateKey())));
            data.put("next.crt", b64(Pem.writeCertificates(state.next().chain())));
        }
        if (state.previousRoot() != null) {
            data.put("previous.crt", b64(Pem.writeCertificates(List.of(state.previousRoot()))));
        }
        Secret updated = new SecretBuilder(current).withData(data).build();
        updated.getMetadata().setResourceVersion(currentVersion); // optimistic lock: 409 if someone wrote since
        try {
            Secret written =
                    client.secrets().inNamespace(namespace).resource(updated).update();
            return Optional.of(String.valueOf(written.getMetadata().getResourceVersion()));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private @Nullable Secret get() {
        return client.secrets().inNamespace(namespace).withName(name).get();
    }

    private Secret toSecret(CertificateAuthority ca) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/part-of", "palisade")
                .endMetadata()
                .withType("Opaque")
                .addToData("ca.key", b64(Pem.writePrivateKey(ca.privateKey())))
                .addToData("ca.crt", b64(Pem.writeCertificates(ca.chain())))
                .addToData("bundle.pem", b64(ca.trustBundle().toPem()))
                .addToData("trust-domain", b64(ca.trustDomain().name()))
                .build();
    }

    private CertificateAuthority parse(Secret secret, TrustDomain expected) {
        String where = "Secret " + namespace + "/" + name;
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        String td = text(data, "trust-domain", where).trim();
        if (!td.equals(expected.name())) {
            throw new IllegalStateException(where + " holds a CA for trust domain '" + td + "', not '" + expected
                    + "': refusing to start with a mismatched trust domain");
        }
        try {
            List<X509Certificate> chain = Pem.readCertificates(text(data, "ca.crt", where), where + " ca.crt");
            TrustBundle bundle = TrustBundle.parsePem(expected, text(data, "bundle.pem", where), where + " bundle.pem");
            return CertificateAuthority.load(
                    expected, Pem.readPrivateKey(text(data, "ca.key", where), where + " ca.key"), chain, bundle, clock);
        } catch (IllegalArgumentException e) {
            throw new PemException(where, String.valueOf(e.getMessage()), e);
        }
    }

    private static String text(Map<String, String> data, String key, String where) {
        String value = data.get(key);
        if (value == null) {
            throw new PemException(where, "has no key '" + key + "'");
        }
        return new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
