package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Local mode's policy source: every {@code *.yaml} and {@code *.yml} file under a directory,
 * subdirectories included, loaded as one {@link PolicySet}.
 *
 * <p>All or nothing: if any file is unreadable or has any problem, {@link #load()} fails with every
 * problem of every file, and the caller keeps its last good set. Files and directories whose name
 * starts with {@code .} are ignored: editors' temporary files, and the {@code ..data} and {@code
 * ..<timestamp>} entries through which Kubernetes swaps a mounted ConfigMap atomically (the
 * visible {@code *.yaml} symbolic links are followed). A file may hold several documents.
 *
 * <p>The version of a set is the first 16 hex digits of a SHA-256 over the relative paths and bytes
 * of the files, in path order: it changes exactly when a file's content, name or presence does.
 *
 * <p>Thread-safe: it holds no state between loads. {@link PolicyDirectoryWatcher} reloads it on
 * change.
 */
public final class PolicyDirectory {

    /** The largest policy file accepted. */
    public static final long MAX_FILE_BYTES = 1024 * 1024;

    private static final int MAX_DEPTH = 16;

    private final Path directory;

    /** @param directory the directory, as the operator named it: messages name files through it */
    public PolicyDirectory(Path directory) {
        this.directory = requireNonNull(directory, "directory");
    }

    /** The directory. */
    public Path path() {
        return directory;
    }

    /**
     * Reads and parses every policy file.
     *
     * @throws PolicyLoadException with every problem of every file, if there is any
     */
    public PolicySet load() throws PolicyLoadException {
        return parse(read());
    }

    /** The files of one load, with the version of their content. */
    record Contents(String version, List<SourceFile> files, List<PolicyException> readErrors) {}

    /** A policy file's text, and its name for messages. */
    record SourceFile(String displayName, String text) {}

    /** Reads the files and computes their version, without parsing them. */
    Contents read() {
        List<PolicyException> errors = new ArrayList<>();
        List<Path> paths = list(errors);
        List<Map.Entry<String, byte[]>> hashed = new ArrayList<>();
        List<SourceFile> files = new ArrayList<>();
        for (Path file : paths) {
            String relative = relativeName(file);
            String display = file.toString();
            try {
                long size = Files.size(file);
                if (size > MAX_FILE_BYTES) {
                    errors.add(new PolicyException(
                            display, 0, null, "", "file is larger than " + MAX_FILE_BYTES + " bytes (" + size + ")"));
                    hashed.add(Map.entry(relative, ("\u0001too large " + size).getBytes(StandardCharsets.UTF_8)));
                    continue;
                }
                byte[] bytes = Files.readAllBytes(file);
                hashed.add(Map.entry(relative, bytes));
                String text = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes))
                        .toString();
                if (text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                files.add(new SourceFile(display, text));
            } catch (CharacterCodingException e) {
                errors.add(new PolicyException(display, 0, null, "", "not valid UTF-8"));
            } catch (IOException e) {
                errors.add(new PolicyException(display, 0, null, "", "cannot read: " + e));
                hashed.add(Map.entry(relative, ("\u0001unreadable " + e).getBytes(StandardCharsets.UTF_8)));
            }
        }
        if (!errors.isEmpty() && hashed.isEmpty()) {
            hashed.add(Map.entry("", String.valueOf(errors.get(0).getMessage()).getBytes(StandardCharsets.UTF_8)));
        }
        return new Contents(versionOf(hashed), files, errors);
    }

    /** Parses files read by {@link #read()}: all or nothing. */
    PolicySet parse(Contents contents) throws PolicyLoadException {
        List<PolicyException> errors = new ArrayList<>(contents.readErrors());
        List<PolicyParser.Located> objects = new ArrayList<>();
        for (SourceFile file : contents.files()) {
            PolicyParser.Parsed parsed = PolicyParser.read(file.displayName(), file.text());
            objects.addAll(parsed.objects());
            errors.addAll(parsed.errors());
        }
        PolicyParser.checkDuplicates(objects, errors);
        if (!errors.isEmpty()) {
            throw new PolicyLoadException("policy directory " + directory, errors);
        }
        return PolicySet.of(
                contents.version(),
                objects.stream().map(PolicyParser.Located::object).toList());
    }

    /** The policy files under the directory, sorted by relative path. */
    private List<Path> list(List<PolicyException> errors) {
        if (!Files.isDirectory(directory)) {
            errors.add(new PolicyException(
                    directory.toString(), 0, null, "", Files.exists(directory) ? "not a directory" : "does not exist"));
            return List.of();
        }
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(directory, EnumSet.noneOf(FileVisitOption.class), MAX_DEPTH, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return dir.equals(directory) || !isHidden(dir)
                            ? FileVisitResult.CONTINUE
                            : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    // Symbolic links are followed to regular files only (ConfigMap mounts).
                    if (!isHidden(file) && isPolicyFileName(file) && Files.isRegularFile(file)) {
                        files.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    if (!isHidden(file)) {
                        errors.add(new PolicyException(file.toString(), 0, null, "", "cannot read: " + e));
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            errors.add(new PolicyException(directory.toString(), 0, null, "", "cannot list: " + e));
        }
        files.sort((a, b) -> relativeName(a).compareTo(relativeName(b)));
        return files;
    }

    /** The directories to watch: the directory and its non-hidden subdirectories. */
    List<Path> directories() throws IOException {
        List<Path> dirs = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return dirs;
        }
        Files.walkFileTree(directory, EnumSet.noneOf(FileVisitOption.class), MAX_DEPTH, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (!dir.equals(directory) && isHidden(dir)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                dirs.add(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        return dirs;
    }

    private String relativeName(Path file) {
        StringBuilder sb = new StringBuilder();
        for (Path part : directory.relativize(file)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.toString();
    }

    private static boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    private static boolean isPolicyFileName(Path path) {
        Path name = path.getFileName();
        if (name == null) {
            return false;
        }
        String lower = name.toString().toLowerCase(Locale.ROOT);
        return lower.endsWith(".yaml") || lower.endsWith(".yml");
    }

    /** The first 16 hex digits of a SHA-256 over the (name, bytes) pairs, in the given order. */
    static String versionOf(List<Map.Entry<String, byte[]>> files) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        for (Map.Entry<String, byte[]> file : files) {
            byte[] name = file.getKey().getBytes(StandardCharsets.UTF_8);
            sha256.update(ByteBuffer.allocate(4).putInt(name.length).array());
            sha256.update(name);
            sha256.update(ByteBuffer.allocate(8).putLong(file.getValue().length).array());
            sha256.update(file.getValue());
        }
        return HexFormat.of().formatHex(sha256.digest(), 0, 8);
    }
}
