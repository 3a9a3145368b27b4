package dev.palisade.controlplane.kube;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.bundle.TrustBundle;
import dev.palisade.certs.bundle.TrustBundleSet;
import dev.palisade.certs.pem.Pem;
import dev.palisade.certs.spiffe.TrustDomain;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the mesh's trust anchors to the namespaces where sidecars run, as istiod publishes
 * {@code istio-ca-root-cert}: a ConfigMap {@value #NAME} with keys {@value #BUNDLE_KEY} (every root of the current
 * trust bundles, PEM) and {@value #TRUST_DOMAIN_KEY}, labelled {@code app.kubernetes.io/part-of: palisade}. The
 * injector mounts it into every proxy, which needs it to verify the control plane before it has an SVID of its own
 * (the SVID response carries the bundle from then on).
 *
 * <p>Namespaces written: the control plane's own, every namespace labelled {@code palisade.dev/inject=enabled}
 * (pods created there from now on get a sidecar), and every namespace holding a pod labelled
 * {@code palisade.dev/proxy=enabled} (the injector's mark: it covers pods opted in with {@code palisade.dev/inject:
 * "true"} in unlabelled namespaces, and pods injected before their namespace lost its label). Both are found with
 * label selectors. ConfigMaps are never deleted: one left in a namespace that no longer qualifies is harmless, and
 * a namespace's deletion takes it along.
 *
 * <p>Per namespace: a missing ConfigMap is created (409 Conflict: another replica was first — fine, its content is
 * checked next round); one whose data differs is replaced with the read {@code resourceVersion} (409: someone wrote
 * in between — retried next round); a ConfigMap of that name without the part-of label belongs to someone else and
 * is left alone, with a warning. A namespace that fails (say, one being deleted) does not stop the others.
 *
 * <p>Thread-safe: {@link #sync} is serialised, so the periodic run and a rotation's run never interleave.
 */
public final class TrustBundleConfigMaps {
    private static final Logger logger = LoggerFactory.getLogger(TrustBundleConfigMaps.class);

    /** The ConfigMap's name in every namespace. */
    public static final String NAME = "palisade-ca-root";

    /** Every root of the current trust bundles, PEM. */
    public static final String BUNDLE_KEY = "bundle.pem";

    /** The mesh's trust domain, for {@code PALISADE_TRUST_DOMAIN}. */
    public static final String TRUST_DOMAIN_KEY = "trust-domain";

    /** How often the control plane checks every namespace (istiod relies on informers; this is a plain period). */
    public static final Duration PERIOD = Duration.ofSeconds(30);

    static final String PART_OF_LABEL = "app.kubernetes.io/part-of";
    static final String PART_OF_VALUE = "palisade";
    static final String INJECT_LABEL = "palisade.dev/inject";
    static final String INJECT_ENABLED = "enabled";
    static final String PROXY_LABEL = "palisade.dev/proxy";
    static final String PROXY_ENABLED = "enabled";

    /** What one round did in one namespace. */
    public enum Outcome {
        /** The ConfigMap was missing and is now there. */
        CREATED,
        /** The ConfigMap was missing, and another writer created it between the read and the create. */
        CREATED_BY_ANOTHER,
        /** The ConfigMap's data differed and was replaced. */
        UPDATED,
        /** The ConfigMap already held the current content. */
        UNCHANGED,
        /** The ConfigMap changed between the read and the update: retried next round. */
        CONFLICT,
        /** A ConfigMap of that name without the part-of label: someone else's, left alone. */
        FOREIGN,
        /** The API server refused (logged); retried next round. */
        FAILED
    }

    private final KubernetesClient client;
    private final String ownNamespace;
    private final TrustDomain trustDomain;

    // Guarded by this: warn once per namespace and problem, not every round.
    private final Set<String> foreignWarned = new HashSet<>();
    private final Map<String, String> failureWarned = new HashMap<>();

    /**
     * @param client the API server
     * @param ownNamespace the control plane's namespace, which always gets the ConfigMap
     * @param trustDomain the mesh's trust domain, written as {@value #TRUST_DOMAIN_KEY}
     */
    public TrustBundleConfigMaps(KubernetesClient client, String ownNamespace, TrustDomain trustDomain) {
        this.client = requireNonNull(client, "client");
        this.ownNamespace = requireNonNull(ownNamespace, "ownNamespace");
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
    }

    /**
     * Brings the ConfigMap of every target namespace to {@code bundles}.
     *
     * @return what happened, by namespace (sorted)
     * @throws KubernetesClientException when the namespaces or pods cannot be listed: nothing was written
     */
    public synchronized Map<String, Outcome> sync(TrustBundleSet bundles) {
        requireNonNull(bundles, "bundles");
        Map<String, String> data = data(bundles);
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        for (String namespace : namespaces()) {
            outcomes.put(namespace, syncOne(namespace, data));
        }
        return outcomes;
    }

    /**
     * {@link #sync}, for the scheduler and rotation listeners: a failure is logged, never thrown (the next round
     * retries).
     */
    public void syncLogged(TrustBundleSet bundles) {
        try {
            Map<String, Outcome> outcomes = sync(bundles);
            if (outcomes.values().stream().anyMatch(o -> o == Outcome.CREATED || o == Outcome.UPDATED)) {
                logger.info("ConfigMap {}: {}", NAME, outcomes);
            }
        } catch (RuntimeException e) {
            logger.warn("ConfigMap {}: cannot list the namespaces to write it to; retrying in {}", NAME, PERIOD, e);
        }
    }

    /** The control plane's namespace, labelled namespaces and namespaces with an injected pod, sorted. */
    SortedSet<String> namespaces() {
        SortedSet<String> out = new TreeSet<>();
        out.add(ownNamespace);
        for (Namespace ns : client.namespaces()
                .withLabel(INJECT_LABEL, INJECT_ENABLED)
                .list()
                .getItems()) {
            out.add(ns.getMetadata().getName());
        }
        for (Pod pod : client.pods()
                .inAnyNamespace()
                .withLabel(PROXY_LABEL, PROXY_ENABLED)
                .list()
                .getItems()) {
            String namespace = pod.getMetadata().getNamespace();
            if (namespace != null) {
                out.add(namespace);
            }
        }
        return out;
    }

    /** The ConfigMap's data for {@code bundles}: the mesh's own roots first, then other trust domains' by name. */
    Map<String, String> data(TrustBundleSet bundles) {
        List<TrustBundle> ordered = new ArrayList<>(bundles.bundles());
        ordered.sort(Comparator.comparing((TrustBundle b) -> !b.trustDomain().equals(trustDomain))
                .thenComparing(b -> b.trustDomain().name()));
        Set<X509Certificate> roots = new LinkedHashSet<>();
        for (TrustBundle bundle : ordered) {
            roots.addAll(bundle.roots());
        }
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("bundles: " + bundles + " (expected: at least one root)");
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put(BUNDLE_KEY, Pem.writeCertificates(List.copyOf(roots)));
        data.put(TRUST_DOMAIN_KEY, trustDomain.name());
        return data;
    }

    private Outcome syncOne(String namespace, Map<String, String> data) {
        try {
            Outcome outcome = write(namespace, data);
            failureWarned.remove(namespace);
            if (outcome != Outcome.FOREIGN) {
                foreignWarned.remove(namespace);
            }
            return outcome;
        } catch (KubernetesClientException e) {
            String problem = e.getCode() + " " + e.getMessage();
            if (!problem.equals(failureWarned.put(namespace, problem))) {
                logger.warn(
                        "ConfigMap {}/{}: the API server refused ({}); retrying every {}",
                        namespace,
                        NAME,
                        e.getMessage(),
                        PERIOD);
            }
            return Outcome.FAILED;
        }
    }

    private Outcome write(String namespace, Map<String, String> data) {
        ConfigMap existing =
                client.configMaps().inNamespace(namespace).withName(NAME).get();
        if (existing == null) {
            return create(namespace, data);
        }
        if (!isOurs(existing)) {
            if (foreignWarned.add(namespace)) {
                logger.warn(
                        "ConfigMap {}/{} exists without the label {}={}: it is someone else's, so Palisade leaves it"
                                + " alone; sidecars in {} may not be able to verify the control plane",
                        namespace,
                        NAME,
                        PART_OF_LABEL,
                        PART_OF_VALUE,
                        namespace);
            }
            return Outcome.FOREIGN;
        }
        if (data.equals(existing.getData())
                && (existing.getBinaryData() == null || existing.getBinaryData().isEmpty())) {
            return Outcome.UNCHANGED;
        }
        ConfigMap replacement = new ConfigMapBuilder(existing)
                .withData(data)
                .withBinaryData(null)
                .build();
        // The read resourceVersion stays: the API server answers 409 if anyone wrote since.
        try {
            client.configMaps().inNamespace(namespace).resource(replacement).update();
            logger.info("ConfigMap {}/{}: updated the trust bundle", namespace, NAME);
            return Outcome.UPDATED;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                logger.debug("ConfigMap {}/{} changed while being updated; retrying next round", namespace, NAME);
                return Outcome.CONFLICT;
            }
            throw e;
        }
    }

    private Outcome create(String namespace, Map<String, String> data) {
        ConfigMap created = new ConfigMapBuilder()
                .withNewMetadata()
                .withName(NAME)
                .withNamespace(namespace)
                .addToLabels(PART_OF_LABEL, PART_OF_VALUE)
                .endMetadata()
                .withData(data)
                .build();
        try {
            client.configMaps().inNamespace(namespace).resource(created).create();
            logger.info("ConfigMap {}/{}: created with the trust bundle of {}", namespace, NAME, trustDomain);
            return Outcome.CREATED;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return Outcome.CREATED_BY_ANOTHER;
            }
            throw e;
        }
    }

    private static boolean isOurs(ConfigMap configMap) {
        @Nullable Map<String, String> labels = configMap.getMetadata().getLabels();
        return labels != null && PART_OF_VALUE.equals(labels.get(PART_OF_LABEL));
    }
}
