package dev.palisade.cli;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Properties;

/**
 * What the build stamped into the jar: the project version and, when git could tell, the commit.
 *
 * <p>Both come from {@code dev/palisade/cli/version.properties}, filtered by Maven (see {@code cli/pom.xml}). A value
 * that was not filtered (a run from an IDE's own build) or that the build could not determine reads as unknown rather
 * than as a literal {@code ${...}} placeholder.
 */
record BuildInfo(String version, Optional<String> commit) {

    static final String UNKNOWN_VERSION = "unknown";

    private static final String RESOURCE = "version.properties";

    BuildInfo {
        requireNonNull(version, "version");
        requireNonNull(commit, "commit");
    }

    /** Reads the stamped build information from the classpath. */
    static BuildInfo load() {
        Properties properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return new BuildInfo(stamped(properties, "version").orElse(UNKNOWN_VERSION), stamped(properties, "commit"));
    }

    /** {@code 0.1.0 (commit 0123456789ab)}, or just the version when the commit is unknown. */
    String describe() {
        return commit.map(c -> version + " (commit " + c + ")").orElse(version);
    }

    private static Optional<String> stamped(Properties properties, String key) {
        String value = properties.getProperty(key, "").trim();
        if (value.isEmpty() || value.contains("${") || value.equals(UNKNOWN_VERSION)) {
            return Optional.empty();
        }
        return Optional.of(value);
    }
}
