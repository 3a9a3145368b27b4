package dev.palisade.injector.mutate;

import java.util.List;

/**
 * The annotations and labels through which a pod talks to the injector, and those the injector writes.
 *
 * <p>Every value is a string in the pod's metadata, so every value is validated: a bad one refuses injection with a
 * message naming the annotation and the value (see {@link InjectionResult.Refused}).
 */
public final class PodAnnotations {

    /** {@code "true"} injects in any namespace the webhook sees; {@code "false"} opts out. Also read as a label. */
    public static final String INJECT = "palisade.dev/inject";

    /** Written on injection ({@value #STATUS_INJECTED}); its presence means "already injected". */
    public static final String STATUS = "palisade.dev/status";

    /** The value of {@link #STATUS} on an injected pod. */
    public static final String STATUS_INJECTED = "injected";

    /** Label written on injection, for selectors ({@code kubectl get pods -l palisade.dev/proxy=enabled}). */
    public static final String PROXY_LABEL = "palisade.dev/proxy";

    /** The value of {@link #PROXY_LABEL} on an injected pod. */
    public static final String PROXY_LABEL_ENABLED = "enabled";

    /** Inbound ports that bypass the proxy (comma-separated, 1-65535). */
    public static final String EXCLUDE_INBOUND_PORTS = "palisade.dev/exclude-inbound-ports";

    /** Outbound destination ports that bypass the proxy (comma-separated, 1-65535). */
    public static final String EXCLUDE_OUTBOUND_PORTS = "palisade.dev/exclude-outbound-ports";

    /** Ports whose traffic the proxy splices as TCP after an L4 check, without HTTP parsing. */
    public static final String OPAQUE_PORTS = "palisade.dev/opaque-ports";

    /** The proxy's CPU request (a Kubernetes quantity such as {@code 200m}). */
    public static final String PROXY_CPU = "palisade.dev/proxy-cpu";

    /** The proxy's memory request (a Kubernetes quantity such as {@code 256Mi}). */
    public static final String PROXY_MEMORY = "palisade.dev/proxy-memory";

    /**
     * The proxy JVM's options, replacing the configured ones: separated by spaces, or {@code none}; only sizes, the
     * collector, the compiler and Netty's arenas ({@code InjectionConfig.parsePodJvmOptions}).
     */
    public static final String PROXY_JVM_OPTIONS = "palisade.dev/proxy-jvm-options";

    /** The proxy's log level: one of {@link #LOG_LEVELS}. */
    public static final String LOG_LEVEL = "palisade.dev/log-level";

    /** The values {@link #LOG_LEVEL} accepts. */
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error");

    /** Set by injection on clusters without native sidecars, so that {@code kubectl logs} picks the app. */
    public static final String DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container";

    private PodAnnotations() {}
}
