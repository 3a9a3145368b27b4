package dev.palisade.injector.mutate;

import dev.palisade.certs.tls.TlsOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;

/**
 * Builds what is injected: the iptables init container, the proxy container and their volumes. The README's "What is
 * injected" table explains each field; keep the two in step.
 */
final class ProxyContainers {

    static final String TOKEN_DIR = "/var/run/secrets/palisade/tokens";
    static final String TOKEN_PATH = "token";
    /**
     * The control plane's trust-bundle ConfigMap in every meshed namespace (control-plane's
     * {@code TrustBundleConfigMaps}; the injector cannot depend on that module, so the contract is written twice).
     */
    static final String CA_CONFIG_MAP = "palisade-ca-root";

    static final String CA_BUNDLE_KEY = "bundle.pem";
    static final String TRUST_DOMAIN_KEY = "trust-domain";
    static final String CA_DIR = "/var/run/palisade/ca";
    static final String DATA_DIR = "/var/lib/palisade";
    static final String TMP_DIR = "/tmp";
    static final String HEALTH_PORT_NAME = "palisade-health";

    private final InjectionConfig config;

    ProxyContainers(InjectionConfig config) {
        this.config = config;
    }

    /**
     * {@code palisade-init}: installs the NAT rules that send the pod's TCP traffic through the proxy, then exits. It is
     * the only injected process with privileges, and holds only the two capabilities iptables needs.
     */
    Container init(SortedSet<Integer> excludeInbound, List<Integer> excludeOutbound) {
        List<String> args = new ArrayList<>(List.of(
                "init-iptables",
                "--proxy-uid",
                Integer.toString(config.proxyUid()),
                "--inbound-port",
                Integer.toString(config.inboundPort()),
                "--outbound-port",
                Integer.toString(config.outboundPort()),
                "--exclude-inbound-ports",
                PortList.format(excludeInbound)));
        if (!excludeOutbound.isEmpty()) {
            args.add("--exclude-outbound-ports");
            args.add(PortList.format(excludeOutbound));
        }
        return new ContainerBuilder()
                .withName(SidecarInjector.INIT_CONTAINER)
                .withImage(config.image())
                .withImagePullPolicy(config.imagePullPolicy())
                .withCommand("palisade")
                .withArgs(args)
                .withResources(resources(config.initResources(), Optional.empty(), Optional.empty()))
                .withSecurityContext(initSecurityContext())
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .build();
    }

    /**
     * {@code palisade-proxy}: as a native sidecar ({@code restartPolicy: Always} in initContainers, gated by a startup
     * probe so that the next containers start only once it is ready), or as a regular container whose postStart hook
     * holds the app's start until it is ready.
     */
    Container proxy(PodOptions options, boolean nativeSidecar) {
        ContainerBuilder builder = new ContainerBuilder()
                .withName(SidecarInjector.PROXY_CONTAINER)
                .withImage(config.image())
                .withImagePullPolicy(config.imagePullPolicy())
                .withCommand("palisade")
                .withArgs("proxy")
                .addNewPort()
                .withName(HEALTH_PORT_NAME)
                .withContainerPort(config.healthPort())
                .withProtocol("TCP")
                .endPort()
                .withEnv(env(options))
                .withResources(resources(config.proxyResources(), options.cpu(), options.memory()))
                .withStartupProbe(httpProbe("/ready", 0, 1, config.proxyReadyTimeoutSeconds()))
                .withReadinessProbe(httpProbe("/ready", 0, 5, 3))
                .withLivenessProbe(httpProbe("/live", 0, 10, 3))
                .withSecurityContext(proxySecurityContext())
                .withVolumeMounts(mounts())
                .withTerminationMessagePolicy("FallbackToLogsOnError");
        if (nativeSidecar) {
            builder.withRestartPolicy("Always");
        } else {
            // The kubelet starts a pod's containers in order and runs each postStart hook to completion before
            // starting the next container, so the app (after this one) starts once the proxy is ready.
            builder.withNewLifecycle()
                    .withNewPostStart()
                    .withNewExec()
                    .withCommand(
                            "palisade",
                            "wait-ready",
                            "--port",
                            Integer.toString(config.healthPort()),
                            "--timeout",
                            config.proxyReadyTimeoutSeconds() + "s")
                    .endExec()
                    .endPostStart()
                    .endLifecycle();
        }
        return builder.build();
    }

    /**
     * The projected token, the trust bundle (the control plane's ConfigMap; not optional, so the kubelet holds the pod
     * until it exists rather than start a proxy that cannot verify the control plane), the proxy's data directory and
     * its {@code /tmp} (the root filesystem is read-only).
     */
    List<Volume> volumes() {
        return List.of(
                new VolumeBuilder()
                        .withName(SidecarInjector.TOKEN_VOLUME)
                        .withNewProjected()
                        .addNewSource()
                        .withNewServiceAccountToken()
                        .withAudience(config.tokenAudience())
                        .withExpirationSeconds(config.tokenExpirationSeconds())
                        .withPath(TOKEN_PATH)
                        .endServiceAccountToken()
                        .endSource()
                        .endProjected()
                        .build(),
                new VolumeBuilder()
                        .withName(SidecarInjector.CA_VOLUME)
                        .withNewConfigMap()
                        .withName(CA_CONFIG_MAP)
                        .addNewItem()
                        .withKey(CA_BUNDLE_KEY)
                        .withPath(CA_BUNDLE_KEY)
                        .endItem()
                        .endConfigMap()
                        .build(),
                new VolumeBuilder()
                        .withName(SidecarInjector.DATA_VOLUME)
                        .withNewEmptyDir()
                        .endEmptyDir()
                        .build(),
                new VolumeBuilder()
                        .withName(SidecarInjector.TMP_VOLUME)
                        .withNewEmptyDir()
                        .endEmptyDir()
                        .build());
    }

    private List<VolumeMount> mounts() {
        return List.of(
                new VolumeMountBuilder()
                        .withName(SidecarInjector.TOKEN_VOLUME)
                        .withMountPath(TOKEN_DIR)
                        .withReadOnly(true)
                        .build(),
                new VolumeMountBuilder()
                        .withName(SidecarInjector.CA_VOLUME)
                        .withMountPath(CA_DIR)
                        .withReadOnly(true)
                        .build(),
                new VolumeMountBuilder()
                        .withName(SidecarInjector.DATA_VOLUME)
                        .withMountPath(DATA_DIR)
                        .build(),
                new VolumeMountBuilder()
                        .withName(SidecarInjector.TMP_VOLUME)
                        .withMountPath(TMP_DIR)
                        .build());
    }

    private List<EnvVar> env(PodOptions options) {
        List<EnvVar> env = new ArrayList<>();
        env.add(fieldRef("POD_NAME", "metadata.name"));
        env.add(fieldRef("POD_NAMESPACE", "metadata.namespace"));
        env.add(fieldRef("SERVICE_ACCOUNT", "spec.serviceAccountName"));
        env.add(value("PALISADE_CONTROL_PLANE", config.controlPlaneAddress()));
        env.add(value("PALISADE_TOKEN_FILE", TOKEN_DIR + "/" + TOKEN_PATH));
        env.add(value("PALISADE_CA_BUNDLE", CA_DIR + "/" + CA_BUNDLE_KEY));
        env.add(configMapRef("PALISADE_TRUST_DOMAIN", CA_CONFIG_MAP, TRUST_DOMAIN_KEY));
        env.add(value("PALISADE_LOG_LEVEL", options.logLevel()));
        env.add(value("PALISADE_INBOUND_PORT", Integer.toString(config.inboundPort())));
        env.add(value("PALISADE_OUTBOUND_PORT", Integer.toString(config.outboundPort())));
        env.add(value("PALISADE_ADMIN_PORT", Integer.toString(config.adminPort())));
        env.add(value("PALISADE_HEALTH_PORT", Integer.toString(config.healthPort())));
        env.add(value("PALISADE_DATA_DIR", DATA_DIR));
        if (!options.opaquePorts().isEmpty()) {
            env.add(value("PALISADE_OPAQUE_PORTS", PortList.format(options.opaquePorts())));
        }
        if (!config.proxyTlsGroups().equals(TlsOptions.DEFAULT_GROUPS)) {
            // Only when chosen: the proxy's default is the same list, and pods injected before stay as they were.
            env.add(value("PALISADE_TLS_GROUPS", String.join(",", config.proxyTlsGroups())));
        }
        if (!options.jvmOptions().isEmpty()) {
            // Read by the java launcher itself, so it reaches the proxy's JVM whatever script the image wraps it in;
            // also every other JVM started in this container (injector/README.md, "The proxy's JVM").
            env.add(value("JDK_JAVA_OPTIONS", String.join(" ", options.jvmOptions())));
        }
        // At most two glibc malloc arenas instead of eight per core, as the ./palisade launcher sets for `proxy`.
        env.add(value("MALLOC_ARENA_MAX", "2"));
        return env;
    }

    private Probe httpProbe(String path, int initialDelaySeconds, int periodSeconds, int failureThreshold) {
        return new ProbeBuilder()
                .withNewHttpGet()
                .withPath(path)
                .withPort(new IntOrString(config.healthPort()))
                .withScheme("HTTP")
                .endHttpGet()
                .withInitialDelaySeconds(initialDelaySeconds)
                .withPeriodSeconds(periodSeconds)
                .withTimeoutSeconds(3)
                .withSuccessThreshold(1)
                .withFailureThreshold(failureThreshold)
                .build();
    }

    private SecurityContext proxySecurityContext() {
        return new SecurityContextBuilder()
                .withRunAsUser((long) config.proxyUid())
                .withRunAsGroup((long) config.proxyUid())
                .withRunAsNonRoot(true)
                .withReadOnlyRootFilesystem(true)
                .withAllowPrivilegeEscalation(false)
                .withPrivileged(false)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .build();
    }

    private static SecurityContext initSecurityContext() {
        return new SecurityContextBuilder()
                .withRunAsUser(0L)
                .withRunAsGroup(0L)
                // Explicit: a pod-level runAsNonRoot: true would otherwise stop this container from starting.
                .withRunAsNonRoot(false)
                // iptables takes its lock in /run/xtables.lock, so the root filesystem stays writable; the container
                // runs one command and exits.
                .withReadOnlyRootFilesystem(false)
                .withAllowPrivilegeEscalation(false)
                .withPrivileged(false)
                .withNewCapabilities()
                .withAdd("NET_ADMIN", "NET_RAW")
                .withDrop("ALL")
                .endCapabilities()
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .build();
    }

    /**
     * Requests and limits; an annotation overrides the request, and raises the configured limit to it when the limit
     * is lower (a pod whose request exceeds its limit is invalid).
     */
    private static ResourceRequirements resources(
            ContainerResources base, Optional<String> cpuOverride, Optional<String> memoryOverride) {
        String cpu = cpuOverride.orElse(base.cpuRequest());
        String memory = memoryOverride.orElse(base.memoryRequest());
        Map<String, Quantity> requests = new LinkedHashMap<>();
        requests.put("cpu", new Quantity(cpu));
        requests.put("memory", new Quantity(memory));
        Map<String, Quantity> limits = new LinkedHashMap<>();
        base.cpuLimit().ifPresent(limit -> limits.put("cpu", new Quantity(atLeast(limit, cpu))));
        base.memoryLimit().ifPresent(limit -> limits.put("memory", new Quantity(atLeast(limit, memory))));
        ResourceRequirements resources = new ResourceRequirements();
        resources.setRequests(requests);
        if (!limits.isEmpty()) {
            resources.setLimits(limits);
        }
        return resources;
    }

    private static String atLeast(String limit, String request) {
        return Quantities.amount(limit).compareTo(Quantities.amount(request)) < 0 ? request : limit;
    }

    private static EnvVar fieldRef(String name, String fieldPath) {
        return new EnvVarBuilder()
                .withName(name)
                .withNewValueFrom()
                .withNewFieldRef()
                .withApiVersion("v1")
                .withFieldPath(fieldPath)
                .endFieldRef()
                .endValueFrom()
                .build();
    }

    private static EnvVar configMapRef(String name, String configMap, String key) {
        return new EnvVarBuilder()
                .withName(name)
                .withNewValueFrom()
                .withNewConfigMapKeyRef()
                .withName(configMap)
                .withKey(key)
                .endConfigMapKeyRef()
                .endValueFrom()
                .build();
    }

    private static EnvVar value(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }
}
