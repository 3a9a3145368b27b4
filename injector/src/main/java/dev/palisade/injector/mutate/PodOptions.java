package dev.palisade.injector.mutate;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The per-pod settings read from {@link PodAnnotations}, each one validated. A bad value adds a problem naming the
 * annotation and the value; the caller refuses the pod if there is any.
 */
record PodOptions(
        List<Integer> excludeInboundPorts,
        List<Integer> excludeOutboundPorts,
        List<Integer> opaquePorts,
        Optional<String> cpu,
        Optional<String> memory,
        String logLevel,
        List<String> jvmOptions) {

    PodOptions {
        excludeInboundPorts = List.copyOf(excludeInboundPorts);
        excludeOutboundPorts = List.copyOf(excludeOutboundPorts);
        opaquePorts = List.copyOf(opaquePorts);
        jvmOptions = List.copyOf(jvmOptions);
    }

    static PodOptions read(Map<String, String> annotations, InjectionConfig config, List<String> problems) {
        List<Integer> inbound = ports(annotations, PodAnnotations.EXCLUDE_INBOUND_PORTS, problems);
        List<Integer> outbound = ports(annotations, PodAnnotations.EXCLUDE_OUTBOUND_PORTS, problems);
        List<Integer> opaque = ports(annotations, PodAnnotations.OPAQUE_PORTS, problems);
        Optional<String> cpu = quantity(annotations, PodAnnotations.PROXY_CPU, problems);
        Optional<String> memory = quantity(annotations, PodAnnotations.PROXY_MEMORY, problems);
        String logLevel = config.logLevel();
        String level = annotations.get(PodAnnotations.LOG_LEVEL);
        if (level != null) {
            String normalised = level.strip().toLowerCase(Locale.ROOT);
            if (PodAnnotations.LOG_LEVELS.contains(normalised)) {
                logLevel = normalised;
            } else {
                problems.add("annotation " + PodAnnotations.LOG_LEVEL + ": '" + level + "' is not a log level"
                        + " (expected: one of " + String.join(", ", PodAnnotations.LOG_LEVELS) + ")");
            }
        }
        List<String> jvmOptions = config.proxyJvmOptions();
        String jvm = annotations.get(PodAnnotations.PROXY_JVM_OPTIONS);
        if (jvm != null && !jvm.isBlank()) {
            try {
                jvmOptions = InjectionConfig.parsePodJvmOptions(jvm);
            } catch (IllegalArgumentException e) {
                problems.add("annotation " + PodAnnotations.PROXY_JVM_OPTIONS + ": '" + jvm + "': " + e.getMessage());
            }
        }
        return new PodOptions(inbound, outbound, opaque, cpu, memory, logLevel, jvmOptions);
    }

    private static List<Integer> ports(Map<String, String> annotations, String key, List<String> problems) {
        String value = annotations.get(key);
        if (value == null) {
            return List.of();
        }
        try {
            return PortList.parse(value);
        } catch (IllegalArgumentException e) {
            problems.add("annotation " + key + ": '" + value + "': " + e.getMessage()
                    + " (expected: comma-separated port numbers 1-65535, e.g. \"8080,9090\")");
            return List.of();
        }
    }

    private static Optional<String> quantity(Map<String, String> annotations, String key, List<String> problems) {
        String value = annotations.get(key);
        if (value == null) {
            return Optional.empty();
        }
        String problem = Quantities.problem(value.strip());
        if (problem != null) {
            problems.add("annotation " + key + ": " + problem);
            return Optional.empty();
        }
        return Optional.of(value.strip());
    }
}
