package dev.palisade.injector.mutate;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether a pod gets the Palisade proxy and, if so, returns it with the proxy: a pure function of the pod, its
 * {@link PodContext} and the {@link InjectionConfig}, shared by the admission webhook and {@code palisade inject}.
 *
 * <p>The checks, in order: a pod that already has the proxy is skipped (so injection is idempotent); a bad
 * {@code palisade.dev/inject} value refuses; an opted-out pod, a pod in a system namespace, a host-network pod and —
 * unless it opted in — a pod in a namespace that is not selected are skipped. Then every annotation is validated and
 * the pod is refused, whole, if any is bad or if one of the injected names is already taken.
 *
 * <p>What is injected (the README's table says why for each field): the init container {@value #INIT_CONTAINER}, the
 * proxy {@value #PROXY_CONTAINER} — a native sidecar right after it in {@code initContainers} on Kubernetes 1.29 and
 * later, else the first regular container — the volumes {@value #TOKEN_VOLUME}, {@value #CA_VOLUME} (the trust
 * bundle from the control plane's ConfigMap {@code palisade-ca-root}), {@value #DATA_VOLUME} and {@value #TMP_VOLUME},
 * the annotation {@code palisade.dev/status: injected} and the label
 * {@code palisade.dev/proxy: enabled}.
 *
 * <p>Thread-safe and stateless; the input pod is never modified.
 */
public final class SidecarInjector {

    public static final String INIT_CONTAINER = "palisade-init";
    public static final String PROXY_CONTAINER = "palisade-proxy";
    public static final String TOKEN_VOLUME = "palisade-token";
    public static final String CA_VOLUME = "palisade-ca-root";
    public static final String DATA_VOLUME = "palisade-data";
    public static final String TMP_VOLUME = "palisade-tmp";

    private static final Set<String> INJECTED_VOLUMES = Set.of(TOKEN_VOLUME, CA_VOLUME, DATA_VOLUME, TMP_VOLUME);

    private final InjectionConfig config;
    private final ProxyContainers containers;

    public SidecarInjector(InjectionConfig config) {
        this.config = requireNonNull(config, "config");
        this.containers = new ProxyContainers(config);
    }

    public InjectionConfig config() {
        return config;
    }

    /** Injects the proxy into a copy of {@code pod}, or says why not. */
    public InjectionResult inject(Pod pod, PodContext context) {
        requireNonNull(pod, "pod");
        requireNonNull(context, "context");
        PodSpec spec = pod.getSpec();
        if (spec == null) {
            return new InjectionResult.Refused(List.of("the pod has no spec"));
        }
        ObjectMeta metadata = pod.getMetadata();
        Map<String, String> annotations = orEmpty(metadata == null ? null : metadata.getAnnotations());
        Map<String, String> labels = orEmpty(metadata == null ? null : metadata.getLabels());

        if (isInjected(annotations, spec)) {
            return new InjectionResult.Skipped(SkipReason.ALREADY_INJECTED);
        }
        List<String> problems = new ArrayList<>();
        Optional<Boolean> choice = injectChoice(annotations, labels, problems);
        if (!problems.isEmpty()) {
            return new InjectionResult.Refused(problems);
        }
        if (choice.equals(Optional.of(false))) {
            return new InjectionResult.Skipped(SkipReason.OPTED_OUT);
        }
        if (config.systemNamespaces().contains(context.namespace())) {
            return new InjectionResult.Skipped(SkipReason.SYSTEM_NAMESPACE);
        }
        if (Boolean.TRUE.equals(spec.getHostNetwork())) {
            return new InjectionResult.Skipped(SkipReason.HOST_NETWORK);
        }
        boolean optedIn = choice.equals(Optional.of(true));
        if (!context.namespaceSelected() && !optedIn) {
            return new InjectionResult.Skipped(SkipReason.NAMESPACE_NOT_ENABLED);
        }

        PodOptions options = PodOptions.read(annotations, config, problems);
        verifyNoConflicts(spec, problems);
        if (!problems.isEmpty()) {
            return new InjectionResult.Refused(problems);
        }

        List<String> notes = new ArrayList<>();
        notes.add(
                optedIn
                        ? "selected: the pod opted in with " + PodAnnotations.INJECT + "=true"
                        : "selected: the namespace is selected for injection");
        return new InjectionResult.Injected(mutate(pod, options, context.kubernetesVersion(), notes), notes);
    }

    private Pod mutate(Pod original, PodOptions options, KubernetesVersion version, List<String> notes) {
        Pod pod = PodJson.copy(original);
        ObjectMeta metadata = pod.getMetadata() != null ? pod.getMetadata() : new ObjectMeta();
        pod.setMetadata(metadata);
        Map<String, String> annotations = new LinkedHashMap<>(orEmpty(metadata.getAnnotations()));
        Map<String, String> labels = new LinkedHashMap<>(orEmpty(metadata.getLabels()));
        PodSpec spec = pod.getSpec();
        List<Container> appContainers = orEmptyList(spec.getContainers());
        List<Container> appInitContainers = orEmptyList(spec.getInitContainers());

        SortedSet<Integer> probePorts = AppProbePorts.collect(spec, notes);
        SortedSet<Integer> excludeInbound = new TreeSet<>(List.of(config.adminPort(), config.healthPort()));
        excludeInbound.addAll(options.excludeInboundPorts());
        excludeInbound.addAll(probePorts);
        if (!probePorts.isEmpty()) {
            notes.add("app probe ports bypass inbound capture: " + PortList.format(probePorts));
        }
        SortedSet<Integer> excludeOutbound = new TreeSet<>(options.excludeOutboundPorts());

        boolean nativeSidecar = version.supportsNativeSidecars();
        Container proxy = containers.proxy(options, nativeSidecar);
        List<Container> initContainers = new ArrayList<>();
        initContainers.add(containers.init(excludeInbound, List.copyOf(excludeOutbound)));
        List<Container> regularContainers = new ArrayList<>();
        if (nativeSidecar) {
            initContainers.add(proxy);
            notes.add("native sidecar: Kubernetes " + version + " >= " + KubernetesVersion.NATIVE_SIDECARS);
        } else {
            regularContainers.add(proxy);
            notes.add("regular first container: Kubernetes " + version + " < " + KubernetesVersion.NATIVE_SIDECARS
                    + "; the app starts after the proxy's postStart hook sees /ready");
            if (!appContainers.isEmpty() && !annotations.containsKey(PodAnnotations.DEFAULT_CONTAINER)) {
                annotations.put(
                        PodAnnotations.DEFAULT_CONTAINER, appContainers.get(0).getName());
            }
        }
        initContainers.addAll(appInitContainers);
        regularContainers.addAll(appContainers);
        spec.setInitContainers(initContainers);
        spec.setContainers(regularContainers);

        List<Volume> volumes = new ArrayList<>(orEmptyList(spec.getVolumes()));
        volumes.addAll(containers.volumes());
        spec.setVolumes(volumes);

        annotations.put(PodAnnotations.STATUS, PodAnnotations.STATUS_INJECTED);
        labels.put(PodAnnotations.PROXY_LABEL, PodAnnotations.PROXY_LABEL_ENABLED);
        metadata.setAnnotations(annotations);
        metadata.setLabels(labels);
        return pod;
    }

    private static boolean isInjected(Map<String, String> annotations, PodSpec spec) {
        if (annotations.containsKey(PodAnnotations.STATUS)) {
            return true;
        }
        return names(spec.getContainers()).contains(PROXY_CONTAINER)
                || names(spec.getInitContainers()).contains(PROXY_CONTAINER);
    }

    /** The pod's choice: the annotation, else the label (which a webhook objectSelector can see), else none. */
    private static Optional<Boolean> injectChoice(
            Map<String, String> annotations, Map<String, String> labels, List<String> problems) {
        String where = "annotation";
        String value = annotations.get(PodAnnotations.INJECT);
        if (value == null) {
            where = "label";
            value = labels.get(PodAnnotations.INJECT);
        }
        if (value == null) {
            return Optional.empty();
        }
        switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true", "enabled" -> {
                return Optional.of(true);
            }
            case "false", "disabled" -> {
                return Optional.of(false);
            }
            default -> {
                problems.add(
                        where + " " + PodAnnotations.INJECT + ": '" + value + "' (expected: \"true\" or \"false\")");
                return Optional.empty();
            }
        }
    }

    private void verifyNoConflicts(PodSpec spec, List<String> problems) {
        List<String> containerNames = new ArrayList<>(names(spec.getInitContainers()));
        containerNames.addAll(names(spec.getContainers()));
        if (containerNames.contains(INIT_CONTAINER)) {
            problems.add("the pod already has a container named " + INIT_CONTAINER + " (reserved for Palisade)");
        }
        for (Volume v : orEmptyList(spec.getVolumes())) {
            if (INJECTED_VOLUMES.contains(v.getName())) {
                problems.add("the pod already has a volume named " + v.getName() + " (reserved for Palisade)");
            }
        }
        // Traffic of the proxy's UID is never captured: an app running as that UID would bypass the proxy entirely.
        PodSecurityContext podContext = spec.getSecurityContext();
        Long podUid = podContext == null ? null : podContext.getRunAsUser();
        List<Container> all = new ArrayList<>(orEmptyList(spec.getInitContainers()));
        all.addAll(orEmptyList(spec.getContainers()));
        for (Container c : all) {
            SecurityContext sc = c.getSecurityContext();
            Long uid = sc != null && sc.getRunAsUser() != null ? sc.getRunAsUser() : podUid;
            if (uid != null && uid == config.proxyUid()) {
                problems.add("container " + c.getName() + " runs as UID " + uid
                        + ", the proxy's UID: its traffic would bypass the proxy");
            }
        }
    }

    private static List<String> names(@Nullable List<Container> containers) {
        List<String> names = new ArrayList<>();
        for (Container c : orEmptyList(containers)) {
            names.add(Objects.toString(c.getName(), ""));
        }
        return names;
    }

    private static Map<String, String> orEmpty(@Nullable Map<String, String> map) {
        return map == null ? Map.of() : map;
    }

    private static <T> List<T> orEmptyList(@Nullable List<T> list) {
        return list == null ? List.of() : list;
    }
}
