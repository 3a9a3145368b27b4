package dev.palisade.controlplane.admin;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The auditor's page: static files from one classpath directory, served under {@code /ui/}. A request names a file
 * only when the name matches {@code [a-z0-9][a-z0-9-]*\.(html|js|css|svg)} — one lower-case path segment, no dots
 * but the extension's — and it is then looked up as {@code directory + name}: request input is never joined into a
 * path otherwise, so there is no traversal, no hidden file and no class file to reach. Files are read once and kept
 * (they are part of the build).
 */
public final class StaticFiles {
    /** Where the control plane's page lives (control-plane/src/main/resources). */
    public static final String DEFAULT_DIRECTORY = "dev/palisade/controlplane/ui/";

    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*\\.(html|js|css|svg)");
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self';"
            + " script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml");

    /** A file to serve. */
    record File(String contentType, byte[] content) {}

    private final ClassLoader loader;
    private final String directory;
    private final Map<String, Optional<File>> cache = new ConcurrentHashMap<>();

    private StaticFiles(ClassLoader loader, String directory) {
        this.loader = requireNonNull(loader, "loader");
        this.directory = requireNonNull(directory, "directory");
        if (!directory.endsWith("/") || directory.startsWith("/")) {
            throw new IllegalArgumentException("directory: '" + directory
                    + "' (expected a classpath directory such as a/b/, without a leading /)");
        }
    }

    /** The control plane's page. */
    public static StaticFiles ofDefault() {
        return of(DEFAULT_DIRECTORY);
    }

    /** The files in classpath directory {@code directory} (ending in {@code /}). */
    public static StaticFiles of(String directory) {
        return new StaticFiles(StaticFiles.class.getClassLoader(), directory);
    }

    /**
     * The file a routed path under {@code /ui/} names ({@code /ui/} itself: {@code index.html}), or empty when the
     * name is not allowed or no such file exists.
     */
    Optional<File> resolve(String path) {
        if (!path.startsWith("/ui/")) {
            return Optional.empty();
        }
        String name = path.substring("/ui/".length());
        if (name.isEmpty()) {
            name = "index.html";
        }
        if (!NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return cache.computeIfAbsent(name, this::load);
    }

    private Optional<File> load(String name) {
        String extension = name.substring(name.lastIndexOf('.') + 1);
        try (InputStream in = loader.getResourceAsStream(directory + name)) {
            if (in == null) {
                return Optional.empty();
            }
            return Optional.of(new File(TYPES.getOrDefault(extension, "application/octet-stream"), in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + directory + name, e);
        }
    }
}
