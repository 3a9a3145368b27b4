package dev.palisade.cli;

import dev.palisade.certs.tls.TlsOptions;
import dev.palisade.injector.manifest.ManifestInjector;
import dev.palisade.injector.manifest.ManifestResult;
import dev.palisade.injector.mutate.ContainerResources;
import dev.palisade.injector.mutate.InjectionConfig;
import dev.palisade.injector.mutate.KubernetesVersion;
import dev.palisade.injector.mutate.SidecarInjector;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code palisade inject}: injects the sidecar into the workloads of a manifest, offline, exactly as the admission
 * webhook would, and prints the manifest to stdout; a summary line per workload goes to stderr.
 */
@Command(
        name = "inject",
        description = {
            "Inject the Palisade sidecar into the Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and"
                    + " CronJobs of a multi-document YAML manifest, as the admission webhook would, and print the"
                    + " manifest to stdout. Every other document, and every workload left alone, is copied byte for"
                    + " byte; an injected document loses its comments. Injecting the output again changes nothing.",
            "",
            "Offline there is no namespace label to check: every workload is injected unless it is annotated"
                    + " palisade.dev/inject: \"false\", uses the host network, is in kube-system, kube-public,"
                    + " kube-node-lease or the mesh namespace, or is already injected.",
            "",
            "Example: palisade inject -f app.yaml | kubectl apply -f -"
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the manifest was written to stdout",
            "1:a workload has a bad palisade.dev/* annotation, or the manifest is not YAML (nothing is written)",
            "2:invalid usage (unknown flag, bad value or injection setting)"
        })
final class InjectCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = {"-f", "--filename"},
            required = true,
            paramLabel = "FILE",
            description = "The manifest: a YAML file with one or more documents, or - for standard input.")
    private String file;

    @Mixin
    private InjectionOptions injection;

    @Option(
            names = "--kubernetes-version",
            paramLabel = "VERSION",
            defaultValue = "1.30",
            converter = KubernetesVersionConverter.class,
            description = "The target cluster's version (default: ${DEFAULT-VALUE}): from 1.29 the sidecar is a native"
                    + " sidecar (an init container with restartPolicy: Always), before that the first container.")
    private KubernetesVersion kubernetesVersion;

    @Option(
            names = {"-q", "--quiet"},
            description = "Print no summary on stderr.")
    private boolean quiet;

    /** Where {@code -f -} reads from; tests replace it. */
    InputStream stdin = System.in;

    @Override
    public Integer call() throws IOException {
        String yaml = file.equals("-")
                ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(Path.of(file), StandardCharsets.UTF_8);
        SidecarInjector injector = new SidecarInjector(injection.config(spec));
        ManifestResult result = new ManifestInjector(injector, kubernetesVersion).inject(yaml);

        PrintWriter err = spec.commandLine().getErr();
        if (!result.refused().isEmpty()) {
            for (ManifestResult.Workload w : result.refused()) {
                err.println(spec.qualifiedName() + ": document " + w.document() + ", " + w.kind() + " " + w.name()
                        + ": " + w.detail());
            }
            err.flush();
            return 1;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(result.yaml());
        out.flush();
        if (!quiet) {
            for (ManifestResult.Workload w : result.workloads()) {
                err.println(spec.qualifiedName() + ": " + w);
            }
            err.flush();
        }
        return 0;
    }

    /** Parses {@code 1.30}, {@code v1.30.2}, {@code 1.28+}. */
    static final class KubernetesVersionConverter implements ITypeConverter<KubernetesVersion> {
        @Override
        public KubernetesVersion convert(String value) {
            try {
                return KubernetesVersion.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(String.valueOf(e.getMessage()));
            }
        }
    }

    /**
     * What is injected, shared by {@code palisade inject} and {@code palisade webhook}: the same flags give the same
     * pods offline and at admission.
     */
    static final class InjectionOptions {

        @Option(
                names = "--image",
                paramLabel = "IMAGE",
                description = "The Palisade image for the injected containers (default: "
                        + "ghcr.io/palisade/palisade:<this version>).")
        private Optional<String> image = Optional.empty();

        @Option(
                names = "--image-pull-policy",
                paramLabel = "POLICY",
                defaultValue = "IfNotPresent",
                description = "Always, IfNotPresent or Never (default: ${DEFAULT-VALUE}).")
        private String imagePullPolicy;

        @Option(
                names = "--control-plane",
                paramLabel = "HOST:PORT",
                defaultValue = InjectionConfig.DEFAULT_CONTROL_PLANE,
                description = "The control plane's identity and xDS address given to the proxy"
                        + " (default: ${DEFAULT-VALUE}).")
        private String controlPlane;

        @Option(
                names = "--mesh-namespace",
                paramLabel = "NAMESPACE",
                defaultValue = InjectionConfig.DEFAULT_MESH_NAMESPACE,
                description = "The namespace the mesh is installed in, never injected (default: ${DEFAULT-VALUE}).")
        private String meshNamespace;

        @Option(
                names = "--proxy-cpu",
                paramLabel = "QUANTITY",
                defaultValue = "100m",
                description = "The proxy's CPU request (default: ${DEFAULT-VALUE}); pods override it with the"
                        + " annotation palisade.dev/proxy-cpu.")
        private String proxyCpu;

        @Option(
                names = "--proxy-memory",
                paramLabel = "QUANTITY",
                defaultValue = "256Mi",
                description = "The proxy's memory request (default: ${DEFAULT-VALUE}); pods override it with the"
                        + " annotation palisade.dev/proxy-memory.")
        private String proxyMemory;

        @Option(
                names = "--proxy-cpu-limit",
                paramLabel = "QUANTITY",
                defaultValue = "none",
                description = "The proxy's CPU limit, or none (default: ${DEFAULT-VALUE}).")
        private String proxyCpuLimit;

        @Option(
                names = "--proxy-memory-limit",
                paramLabel = "QUANTITY",
                defaultValue = "512Mi",
                description = "The proxy's memory limit, or none (default: ${DEFAULT-VALUE}).")
        private String proxyMemoryLimit;

        @Option(
                names = "--proxy-log-level",
                paramLabel = "LEVEL",
                defaultValue = "info",
                description = "The proxy's log level: trace, debug, info, warn or error (default: ${DEFAULT-VALUE});"
                        + " pods override it with the annotation palisade.dev/log-level.")
        private String proxyLogLevel;

        @Option(
                names = "--proxy-jvm-options",
                paramLabel = "OPTIONS",
                description = "The proxy JVM's options, separated by spaces, or none for the JVM's defaults; given to"
                        + " the proxy as JDK_JAVA_OPTIONS (default, and when empty: the flags perf/run measures,"
                        + " see injector/README.md); pods override them with the annotation"
                        + " palisade.dev/proxy-jvm-options.")
        private Optional<String> proxyJvmOptions = Optional.empty();

        @Option(
                names = "--proxy-tls-groups",
                paramLabel = "GROUP[,GROUP...]",
                description = "The proxies' TLS key-exchange groups, most preferred first, of "
                        + TlsOptions.KNOWN_GROUPS_TEXT
                        + "; given to the proxy as PALISADE_TLS_GROUPS (default, and when empty: "
                        + TlsOptions.DEFAULT_GROUPS_LINE
                        + ", the proxy's own, and then the variable is left out). Mesh-wide, no annotation: every"
                        + " sidecar must share a group.")
        private Optional<String> proxyTlsGroups = Optional.empty();

        /**
         * The injection settings.
         *
         * @throws ParameterException naming the bad setting: invalid usage, exit code 2
         */
        InjectionConfig config(CommandSpec command) {
            try {
                return build();
            } catch (IllegalArgumentException e) {
                throw new ParameterException(command.commandLine(), "invalid injection setting: " + e.getMessage(), e);
            }
        }

        private InjectionConfig build() {
            return InjectionConfig.builder()
                    .image(image.orElseGet(InjectionOptions::defaultImage))
                    .imagePullPolicy(imagePullPolicy)
                    .controlPlaneAddress(controlPlane)
                    .meshNamespace(meshNamespace)
                    .proxyResources(new ContainerResources(
                            proxyCpu, proxyMemory, limit(proxyCpuLimit), limit(proxyMemoryLimit)))
                    .logLevel(proxyLogLevel)
                    .proxyJvmOptions(proxyJvmOptions
                            .filter(value -> !value.isBlank()) // an empty chart value: the default
                            .map(InjectionConfig::parseJvmOptions)
                            .orElse(InjectionConfig.DEFAULT_PROXY_JVM_OPTIONS))
                    .proxyTlsGroups(proxyTlsGroups
                            .filter(value -> !value.isBlank()) // an empty chart value: the default
                            .map(InjectionConfig::parseTlsGroups)
                            .orElse(TlsOptions.DEFAULT_GROUPS))
                    .build();
        }

        private static Optional<String> limit(String value) {
            return value.equals("none") ? Optional.empty() : Optional.of(value);
        }

        private static String defaultImage() {
            String version = BuildInfo.load().version();
            return "ghcr.io/palisade/palisade:" + (version.equals(BuildInfo.UNKNOWN_VERSION) ? "latest" : version);
        }
    }
}
