package dev.palisade.injector.mutate;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.tls.TlsOptions;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the injector puts into pods, cluster-wide: image, control plane address, ports, resources. Per-pod overrides come
 * from annotations ({@link PodAnnotations}).
 *
 * <p>Every port, the UID and the token settings are validated here, so that a bad flag fails at start-up instead of
 * producing pods that cannot start.
 *
 * @param image the Palisade image; it holds {@code palisade} on the {@code PATH} for both injected containers
 * @param imagePullPolicy {@code Always}, {@code IfNotPresent} or {@code Never}
 * @param controlPlaneAddress {@code host:port} of the control plane's identity and xDS service, given to the proxy as
 *     {@code PALISADE_CONTROL_PLANE}
 * @param meshNamespace the namespace the mesh is installed in (the chart's); never injected, like the kube-* ones
 * @param proxyUid the UID the proxy runs as; the iptables rules exempt its traffic from capture
 * @param inboundPort where captured inbound connections are redirected (15006)
 * @param outboundPort where captured outbound connections are redirected (15001)
 * @param adminPort the proxy's loopback admin port (15000), excluded from inbound capture
 * @param healthPort the proxy's health port for the kubelet (15021), excluded from inbound capture
 * @param proxyResources the proxy's requests and limits before annotation overrides
 * @param initResources the iptables init container's requests and limits
 * @param logLevel the proxy's default log level, one of {@link PodAnnotations#LOG_LEVELS}
 * @param proxyJvmOptions the proxy JVM's options, given to it as {@code JDK_JAVA_OPTIONS} (which every {@code java}
 *     launcher of JDK 9 and later reads, whatever script the image wraps it in); empty for the JVM's own defaults; a
 *     pod's {@link PodAnnotations#PROXY_JVM_OPTIONS} replaces them
 * @param proxyTlsGroups the proxies' TLS key-exchange groups, most preferred first, each one of
 *     {@link TlsOptions#KNOWN_GROUPS}; given to the proxy as {@code PALISADE_TLS_GROUPS} only when they differ from
 *     {@link TlsOptions#DEFAULT_GROUPS}, so that pods injected with the default stay as they were. Mesh-wide only, no
 *     annotation: every sidecar of the mesh must share at least one group, or their handshakes fail
 * @param tokenAudience the audience of the projected ServiceAccount token the proxy presents to the control plane
 * @param tokenExpirationSeconds that token's lifetime; the kubelet refreshes it at 80% (Kubernetes requires >= 600)
 * @param proxyReadyTimeoutSeconds how long, on clusters without native sidecars, the app waits for the proxy to be ready
 *     before it starts anyway
 */
public record InjectionConfig(
        String image,
        String imagePullPolicy,
        String controlPlaneAddress,
        String meshNamespace,
        int proxyUid,
        int inboundPort,
        int outboundPort,
        int adminPort,
        int healthPort,
        ContainerResources proxyResources,
        ContainerResources initResources,
        String logLevel,
        List<String> proxyJvmOptions,
        List<String> proxyTlsGroups,
        String tokenAudience,
        long tokenExpirationSeconds,
        int proxyReadyTimeoutSeconds) {

    public static final String DEFAULT_CONTROL_PLANE = "palisade-control-plane.palisade-system.svc:15012";
    public static final String DEFAULT_MESH_NAMESPACE = "palisade-system";

    /**
     * The sidecar JVM's options: the ones {@code perf/run} measures (perf/README.md, "Sidecar JVM flags"). A fixed
     * 48 MiB heap with a 16 MiB young generation and the serial collector (two threads of work on a small heap need no
     * parallel collector), the C1 compiler only (C2 costs about 12 MiB more and was still compiling after 11 s of
     * load), compiled five times later than the JVM's default thresholds (at start-up the compiler thread took a quarter
     * of the process's CPU on two cores, compiling code that runs a few hundred times; the sidecar was ready 0.1–0.15 s
     * sooner, and a method that serves requests still reaches its thousand calls within a second of load), small thread
     * stacks, and capped code cache, metaspace and direct memory. The two arena settings shape
     * Netty's pooled allocator, which only the gRPC channels (xDS, identity, flow-log shipping) use: the data path uses
     * Netty 4.2's default adaptive allocator.
     */
    public static final List<String> DEFAULT_PROXY_JVM_OPTIONS = List.of(
            "-Xms48m",
            "-Xmx48m",
            "-Xmn16m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:CompileThresholdScaling=5",
            "-Xss256k",
            "-XX:ReservedCodeCacheSize=32m",
            "-XX:MaxMetaspaceSize=96m",
            "-XX:MaxDirectMemorySize=32m",
            "-Dio.netty.allocator.numHeapArenas=0",
            "-Dio.netty.allocator.numDirectArenas=2");

    /**
     * Options that stop the proxy from running: those the {@code java} launcher refuses in {@code JDK_JAVA_OPTIONS}
     * (they name what to run, or print and exit) and those it accepts but that make the JVM print or dump something and
     * exit.
     */
    private static final Set<String> NOT_RUNNING_OPTIONS = Set.of(
            "-jar",
            "-m",
            "--module",
            "-version",
            "--version",
            "-fullversion",
            "--full-version",
            "-h",
            "-help",
            "--help",
            "-?",
            "-X",
            "--help-extra",
            "--dry-run",
            "--list-modules",
            "-d",
            "--describe-module",
            "--validate-modules",
            "-Xshare:dump",
            "-Xinternalversion",
            "-XX:+PrintFlagsInitial",
            "-cp",
            "-classpath",
            "-p");

    /** Options whose value the launcher takes from the next word: in one word only ({@code --add-opens=…}). */
    private static final Set<String> VALUE_IN_NEXT_WORD = Set.of(
            "--class-path",
            "--module-path",
            "--upgrade-module-path",
            "--add-modules",
            "--add-opens",
            "--add-exports",
            "--add-reads",
            "--patch-module",
            "--limit-modules");

    /**
     * What a pod's {@link PodAnnotations#PROXY_JVM_OPTIONS} may set: sizes, the collector and the compiler, and Netty's
     * arenas. JVM options can run code in the proxy (an agent, a debugger, {@code -XX:OnError}), as the proxy's user,
     * whose traffic the iptables rules do not capture; a pod's author must not get that, so beyond this list only the
     * cluster's {@code --proxy-jvm-options} can set options.
     */
    private static final List<Pattern> POD_JVM_OPTIONS = Stream.of(
                    "-Xm[sxn]\\d+[kKmMgG]?",
                    "-Xss\\d+[kKmMgG]?",
                    "-XX:(MaxDirectMemorySize|MaxMetaspaceSize|ReservedCodeCacheSize)=\\d+[kKmMgG]?",
                    "-XX:(Initial|Min|Max)RAMPercentage=\\d+(\\.\\d+)?",
                    "-XX:\\+Use(Serial|Parallel|G1)GC",
                    "-XX:TieredStopAtLevel=[0-4]",
                    "-XX:ActiveProcessorCount=\\d+",
                    "-Dio\\.netty\\.allocator\\.num(Heap|Direct)Arenas=\\d+")
            .map(Pattern::compile)
            .toList();

    private static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");

    public InjectionConfig {
        requireNonNull(image, "image");
        if (image.isBlank() || image.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("image: '" + image + "' (expected: an image reference)");
        }
        if (!PULL_POLICIES.contains(requireNonNull(imagePullPolicy, "imagePullPolicy"))) {
            throw new IllegalArgumentException(
                    "imagePullPolicy: " + imagePullPolicy + " (expected: Always, IfNotPresent or Never)");
        }
        requireNonNull(controlPlaneAddress, "controlPlaneAddress");
        if (!isHostPort(controlPlaneAddress)) {
            throw new IllegalArgumentException(
                    "controlPlaneAddress: '" + controlPlaneAddress + "' (expected: HOST:PORT)");
        }
        requireNonNull(meshNamespace, "meshNamespace");
        if (proxyUid <= 0) {
            throw new IllegalArgumentException(
                    "proxyUid: " + proxyUid + " (expected: > 0, the proxy never runs as root)");
        }
        verifyPort("inboundPort", inboundPort);
        verifyPort("outboundPort", outboundPort);
        verifyPort("adminPort", adminPort);
        verifyPort("healthPort", healthPort);
        if (new HashSet<>(List.of(inboundPort, outboundPort, adminPort, healthPort)).size() != 4) {
            throw new IllegalArgumentException("ports: inbound " + inboundPort + ", outbound " + outboundPort
                    + ", admin " + adminPort + ", health " + healthPort + " (expected: four different ports)");
        }
        requireNonNull(proxyResources, "proxyResources");
        requireNonNull(initResources, "initResources");
        requireNonNull(logLevel, "logLevel");
        if (!PodAnnotations.LOG_LEVELS.contains(logLevel)) {
            throw new IllegalArgumentException("logLevel: " + logLevel + " (expected: one of "
                    + String.join(", ", PodAnnotations.LOG_LEVELS) + ")");
        }
        proxyJvmOptions = List.copyOf(requireNonNull(proxyJvmOptions, "proxyJvmOptions"));
        for (String option : proxyJvmOptions) {
            try {
                verifyJvmOption(option);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("proxyJvmOptions: " + e.getMessage(), e);
            }
        }
        proxyTlsGroups = List.copyOf(requireNonNull(proxyTlsGroups, "proxyTlsGroups"));
        verifyTlsGroups(proxyTlsGroups);
        if (requireNonNull(tokenAudience, "tokenAudience").isBlank()) {
            throw new IllegalArgumentException("tokenAudience: empty");
        }
        if (tokenExpirationSeconds < 600) {
            throw new IllegalArgumentException(
                    "tokenExpirationSeconds: " + tokenExpirationSeconds + " (expected: >= 600, Kubernetes' minimum)");
        }
        if (proxyReadyTimeoutSeconds <= 0) {
            throw new IllegalArgumentException(
                    "proxyReadyTimeoutSeconds: " + proxyReadyTimeoutSeconds + " (expected: > 0)");
        }
    }

    /** The namespaces that are never injected: Kubernetes' own and {@link #meshNamespace()}. */
    public List<String> systemNamespaces() {
        return List.of("kube-system", "kube-public", "kube-node-lease", meshNamespace);
    }

    /** A builder with every default; {@link Builder#image} is the one required setting. */
    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .image(image)
                .imagePullPolicy(imagePullPolicy)
                .controlPlaneAddress(controlPlaneAddress)
                .meshNamespace(meshNamespace)
                .proxyUid(proxyUid)
                .inboundPort(inboundPort)
                .outboundPort(outboundPort)
                .adminPort(adminPort)
                .healthPort(healthPort)
                .proxyResources(proxyResources)
                .initResources(initResources)
                .logLevel(logLevel)
                .proxyJvmOptions(proxyJvmOptions)
                .proxyTlsGroups(proxyTlsGroups)
                .tokenAudience(tokenAudience)
                .tokenExpirationSeconds(tokenExpirationSeconds)
                .proxyReadyTimeoutSeconds(proxyReadyTimeoutSeconds);
    }

    private static boolean isHostPort(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            return false;
        }
        try {
            return PortList.parse(address.substring(colon + 1)).size() == 1;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Splits the cluster's JVM options as {@code --proxy-jvm-options} gives them: separated by whitespace, or {@code
     * none} for none. The record's constructor checks each one.
     */
    public static List<String> parseJvmOptions(String value) {
        String trimmed = requireNonNull(value, "value").strip();
        return trimmed.equals("none") ? List.of() : List.of(trimmed.split("\\s+"));
    }

    /**
     * The cluster's TLS groups as {@code --proxy-tls-groups} gives them, read as the proxy's own {@code --tls-groups}
     * reads them ({@link TlsOptions#parseGroups}, which names a bad entry as the operator wrote it).
     */
    public static List<String> parseTlsGroups(String value) {
        try {
            return TlsOptions.parseGroups(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("proxyTlsGroups: " + e.getMessage(), e);
        }
    }

    /**
     * A pod's JVM options ({@link PodAnnotations#PROXY_JVM_OPTIONS}): as {@link #parseJvmOptions}, each one also in
     * {@link #POD_JVM_OPTIONS}.
     *
     * @throws IllegalArgumentException naming the first option that is not allowed
     */
    static List<String> parsePodJvmOptions(String value) {
        List<String> options = parseJvmOptions(value);
        for (String option : options) {
            verifyJvmOption(option);
            if (POD_JVM_OPTIONS.stream().noneMatch(p -> p.matcher(option).matches())) {
                throw new IllegalArgumentException("'" + option + "' is not allowed in a pod's annotation (expected:"
                        + " heap, stack, metaspace, code cache and direct memory sizes, RAM percentages, the serial,"
                        + " parallel or G1 collector, -XX:TieredStopAtLevel, -XX:ActiveProcessorCount or Netty's"
                        + " arena counts; other options only through the injector's --proxy-jvm-options)");
            }
        }
        return options;
    }

    /**
     * An option must start with {@code -} and hold no whitespace, quote or {@code $(}: the launcher splits
     * {@code JDK_JAVA_OPTIONS} at whitespace but honours quotes (an unmatched one stops it, a matched one hides an
     * option from the checks here), and the kubelet expands {@code $(VAR)} in environment values. Refused: the options
     * in {@link #NOT_RUNNING_OPTIONS} (the proxy would not run), options files (their content is not checked), and the
     * options of {@link #VALUE_IN_NEXT_WORD} without their value.
     */
    private static void verifyJvmOption(String option) {
        if (!option.startsWith("-")
                || option.length() == 1
                || option.chars().anyMatch(c -> Character.isWhitespace(c) || c == '\'' || c == '"')
                || option.contains("$(")) {
            throw new IllegalArgumentException("'" + option + "' (expected: JVM options such as -Xmx48m, separated"
                    + " by spaces, with no quotes and no $(...) in them)");
        }
        String name =
                option.startsWith("--") && option.contains("=") ? option.substring(0, option.indexOf('=')) : option;
        if (NOT_RUNNING_OPTIONS.contains(name)) {
            throw new IllegalArgumentException("'" + option + "' (expected: options of the JVM that runs the proxy;"
                    + " this one makes it run something else or exit)");
        }
        if (option.startsWith("-XX:VMOptionsFile=") || option.startsWith("-XX:Flags=")) {
            throw new IllegalArgumentException(
                    "'" + option + "' (expected: the options themselves, not a file of them that is not checked)");
        }
        if (VALUE_IN_NEXT_WORD.contains(option)) {
            throw new IllegalArgumentException(
                    "'" + option + "' (expected: its value in the same word, " + option + "=VALUE)");
        }
    }

    /**
     * Groups that {@link #parseTlsGroups} would give back unchanged from their comma-joined form: known, none repeated,
     * one exact name per entry (the proxy reads them back from one comma-separated variable).
     */
    private static void verifyTlsGroups(List<String> groups) {
        String joined = String.join(",", groups);
        if (!parseTlsGroups(joined).equals(groups)) {
            throw new IllegalArgumentException("proxyTlsGroups: " + groups + " (expected: one group per entry, without"
                    + " spaces or commas, from " + String.join(", ", TlsOptions.KNOWN_GROUPS) + ")");
        }
    }

    private static void verifyPort(String field, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(field + ": " + port + " (expected: 1-65535)");
        }
    }

    /** Builds an {@link InjectionConfig}; the record's constructor validates. */
    public static final class Builder {
        private String image = "";
        private String imagePullPolicy = "IfNotPresent";
        private String controlPlaneAddress = DEFAULT_CONTROL_PLANE;
        private String meshNamespace = DEFAULT_MESH_NAMESPACE;
        private int proxyUid = 1337;
        private int inboundPort = 15006;
        private int outboundPort = 15001;
        private int adminPort = 15000;
        private int healthPort = 15021;
        private ContainerResources proxyResources = ContainerResources.PROXY_DEFAULTS;
        private ContainerResources initResources = ContainerResources.INIT_DEFAULTS;
        private String logLevel = "info";
        private List<String> proxyJvmOptions = DEFAULT_PROXY_JVM_OPTIONS;
        private List<String> proxyTlsGroups = TlsOptions.DEFAULT_GROUPS;
        private String tokenAudience = "palisade";
        private long tokenExpirationSeconds = 3600;
        private int proxyReadyTimeoutSeconds = 120;

        private Builder() {}

        public Builder image(String image) {
            this.image = requireNonNull(image, "image");
            return this;
        }

        public Builder imagePullPolicy(String imagePullPolicy) {
            this.imagePullPolicy = requireNonNull(imagePullPolicy, "imagePullPolicy");
            return this;
        }

        public Builder controlPlaneAddress(String controlPlaneAddress) {
            this.controlPlaneAddress = requireNonNull(controlPlaneAddress, "controlPlaneAddress");
            return this;
        }

        public Builder meshNamespace(String meshNamespace) {
            this.meshNamespace = requireNonNull(meshNamespace, "meshNamespace");
            return this;
        }

        public Builder proxyUid(int proxyUid) {
            this.proxyUid = proxyUid;
            return this;
        }

        public Builder inboundPort(int inboundPort) {
            this.inboundPort = inboundPort;
            return this;
        }

        public Builder outboundPort(int outboundPort) {
            this.outboundPort = outboundPort;
            return this;
        }

        public Builder adminPort(int adminPort) {
            this.adminPort = adminPort;
            return this;
        }

        public Builder healthPort(int healthPort) {
            this.healthPort = healthPort;
            return this;
        }

        public Builder proxyResources(ContainerResources proxyResources) {
            this.proxyResources = requireNonNull(proxyResources, "proxyResources");
            return this;
        }

        public Builder initResources(ContainerResources initResources) {
            this.initResources = requireNonNull(initResources, "initResources");
            return this;
        }

        public Builder logLevel(String logLevel) {
            this.logLevel = requireNonNull(logLevel, "logLevel").toLowerCase(Locale.ROOT);
            return this;
        }

        public Builder proxyJvmOptions(List<String> proxyJvmOptions) {
            this.proxyJvmOptions = requireNonNull(proxyJvmOptions, "proxyJvmOptions");
            return this;
        }

        public Builder proxyTlsGroups(List<String> proxyTlsGroups) {
            this.proxyTlsGroups = requireNonNull(proxyTlsGroups, "proxyTlsGroups");
            return this;
        }

        public Builder tokenAudience(String tokenAudience) {
            this.tokenAudience = requireNonNull(tokenAudience, "tokenAudience");
            return this;
        }

        public Builder tokenExpirationSeconds(long tokenExpirationSeconds) {
            this.tokenExpirationSeconds = tokenExpirationSeconds;
            return this;
        }

        public Builder proxyReadyTimeoutSeconds(int proxyReadyTimeoutSeconds) {
            this.proxyReadyTimeoutSeconds = proxyReadyTimeoutSeconds;
            return this;
        }

        public InjectionConfig build() {
            return new InjectionConfig(
                    image,
                    imagePullPolicy,
                    controlPlaneAddress,
                    meshNamespace,
                    proxyUid,
                    inboundPort,
                    outboundPort,
                    adminPort,
                    healthPort,
                    proxyResources,
                    initResources,
                    logLevel,
                    proxyJvmOptions,
                    proxyTlsGroups,
                    tokenAudience,
                    tokenExpirationSeconds,
                    proxyReadyTimeoutSeconds);
        }
    }
}
