package dev.palisade.injector.mutate;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;

/**
 * What {@link SidecarInjector#inject} decided: {@link Injected}, {@link Skipped} or {@link Refused}. There is no
 * fourth outcome: a pod is either injected whole or left exactly as it came.
 */
public sealed interface InjectionResult {

    /**
     * The pod with the proxy.
     *
     * @param pod a new object; the input pod is never modified
     * @param notes why and how, in short phrases: which rule selected the pod, native sidecar or regular container and
     *     why, which app probe ports bypass capture
     */
    record Injected(Pod pod, List<String> notes) implements InjectionResult {
        public Injected {
            requireNonNull(pod, "pod");
            notes = List.copyOf(notes);
        }
    }

    /** The pod stays as it is, for an expected reason. */
    record Skipped(SkipReason reason) implements InjectionResult {
        public Skipped {
            requireNonNull(reason, "reason");
        }
    }

    /**
     * The pod asks for something that cannot be done (a bad annotation value, a name that collides with what would be
     * injected). What happens to it is the caller's failure policy: the webhook refuses the pod or admits it without a
     * sidecar and a warning; {@code palisade inject} fails.
     *
     * @param problems one sentence per problem, each naming the annotation or field and the bad value
     */
    record Refused(List<String> problems) implements InjectionResult {
        public Refused {
            problems = List.copyOf(problems);
            if (problems.isEmpty()) {
                throw new IllegalArgumentException("problems: empty (expected: at least one)");
            }
        }

        /** The problems as one line. */
        public String message() {
            return String.join("; ", problems);
        }
    }
}
