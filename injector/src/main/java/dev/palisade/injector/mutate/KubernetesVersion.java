package dev.palisade.injector.mutate;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Kubernetes {@code major.minor} version, the only part of a cluster's version that changes what is injected.
 *
 * <p>{@link #parse} accepts what operators type ({@code 1.30}), what {@code GET /version} returns in
 * {@code gitVersion} ({@code v1.30.2}, {@code v1.29.4-gke.1043002}) and managed clusters' {@code minor} values with a
 * trailing {@code +} ({@code 1.28+}).
 */
public record KubernetesVersion(int major, int minor) implements Comparable<KubernetesVersion> {

    /** The first release where native sidecars (init containers with {@code restartPolicy: Always}) are on by default. */
    public static final KubernetesVersion NATIVE_SIDECARS = new KubernetesVersion(1, 29);

    private static final Pattern FORMAT = Pattern.compile("v?(\\d{1,4})\\.(\\d{1,4})\\+?(?:\\.\\d{1,6})?(?:[-+].*)?");

    public KubernetesVersion {
        if (major < 1) {
            throw new IllegalArgumentException("major: " + major + " (expected: >= 1)");
        }
        if (minor < 0) {
            throw new IllegalArgumentException("minor: " + minor + " (expected: >= 0)");
        }
    }

    /**
     * Parses {@code 1.30}, {@code v1.30.2}, {@code v1.29.4-gke.1043002} or {@code 1.28+}.
     *
     * @throws IllegalArgumentException naming the value when it is none of those
     */
    public static KubernetesVersion parse(String text) {
        Matcher m = FORMAT.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "invalid Kubernetes version '" + text + "' (expected: MAJOR.MINOR such as 1.30, or v1.30.2)");
        }
        try {
            return new KubernetesVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid Kubernetes version '" + text + "': " + e.getMessage(), e);
        }
    }

    /** Whether pods on this version can run the proxy as a native sidecar (KEP-753, beta and on in 1.29). */
    public boolean supportsNativeSidecars() {
        return compareTo(NATIVE_SIDECARS) >= 0;
    }

    @Override
    public int compareTo(KubernetesVersion other) {
        return major != other.major ? Integer.compare(major, other.major) : Integer.compare(minor, other.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
