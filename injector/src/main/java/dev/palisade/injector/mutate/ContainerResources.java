package dev.palisade.injector.mutate;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * Requests and limits of an injected container, as Kubernetes quantities.
 *
 * <p>A limit is optional: the defaults set none for CPU, because a CPU limit throttles a proxy that is on every
 * request's path (Linkerd's default for the same reason) and a memory limit, because a JVM without one grows to the
 * node's memory.
 */
public record ContainerResources(
        String cpuRequest, String memoryRequest, Optional<String> cpuLimit, Optional<String> memoryLimit) {

    /** The proxy's defaults: 100m CPU, 256Mi memory requested, 512Mi memory limit, no CPU limit. */
    public static final ContainerResources PROXY_DEFAULTS =
            new ContainerResources("100m", "256Mi", Optional.empty(), Optional.of("512Mi"));

    /** The iptables init container's defaults: it runs for a second, once. */
    public static final ContainerResources INIT_DEFAULTS =
            new ContainerResources("10m", "64Mi", Optional.of("500m"), Optional.of("128Mi"));

    public ContainerResources {
        Quantities.verify("cpuRequest", requireNonNull(cpuRequest, "cpuRequest"));
        Quantities.verify("memoryRequest", requireNonNull(memoryRequest, "memoryRequest"));
        requireNonNull(cpuLimit, "cpuLimit").ifPresent(v -> Quantities.verify("cpuLimit", v));
        requireNonNull(memoryLimit, "memoryLimit").ifPresent(v -> Quantities.verify("memoryLimit", v));
        cpuLimit.ifPresent(limit -> verifyNotBelow("cpuLimit", limit, cpuRequest));
        memoryLimit.ifPresent(limit -> verifyNotBelow("memoryLimit", limit, memoryRequest));
    }

    private static void verifyNotBelow(String field, String limit, String request) {
        if (Quantities.amount(limit).compareTo(Quantities.amount(request)) < 0) {
            throw new IllegalArgumentException(field + ": " + limit + " (expected: >= the request " + request + ")");
        }
    }
}
