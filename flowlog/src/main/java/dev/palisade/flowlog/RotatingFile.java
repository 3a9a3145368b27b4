package dev.palisade.flowlog;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A size-capped, rotated text file of lines: {@code name} is written, and when the next line would take it past
 * {@code maxBytes} it becomes {@code name.1} (the older ones shift to {@code .2} … and the one past {@code keep - 1}
 * is deleted). A line is never split across files, so one longer than the cap gets a file of its own.
 *
 * <p>Not thread-safe: used by the one writer thread. I/O errors are logged and counted, never thrown: the flow log
 * degrades, the sidecar keeps serving.
 */
final class RotatingFile implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(RotatingFile.class);
    private static final byte NEWLINE = '\n';

    private final Path dir;
    private final String name;
    private final long maxBytes;
    private final int keep;

    private @Nullable OutputStream out;
    private long size;
    private long errors;
    private long rotations;

    RotatingFile(Path dir, String name, long maxBytes, int keep) {
        this.dir = dir;
        this.name = name;
        this.maxBytes = maxBytes;
        this.keep = keep;
    }

    /** The files of a log, oldest first: {@code name.(keep-1)} … {@code name.1}, {@code name}; only those that exist. */
    static List<Path> filesInOrder(Path dir, String name) {
        List<Path> files = new ArrayList<>();
        for (int i = 1; i < 100_000; i++) {
            Path rotated = dir.resolve(name + "." + i);
            if (!Files.exists(rotated)) {
                break;
            }
            files.add(0, rotated);
        }
        Path current = dir.resolve(name);
        if (Files.exists(current)) {
            files.add(current);
        }
        return files;
    }

    void write(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        try {
            if (out == null) {
                open();
            }
            if (size > 0 && size + bytes.length + 1 > maxBytes) {
                rotate();
            }
            OutputStream o = requireOpen();
            o.write(bytes);
            o.write(NEWLINE);
            size += bytes.length + 1;
        } catch (IOException e) {
            failed("write", e);
        }
    }

    void flush() {
        if (out != null) {
            try {
                out.flush();
            } catch (IOException e) {
                failed("flush", e);
            }
        }
    }

    long errors() {
        return errors;
    }

    long rotations() {
        return rotations;
    }

    @Override
    public void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                failed("close", e);
            }
            out = null;
        }
    }

    private OutputStream requireOpen() throws IOException {
        OutputStream o = out;
        if (o == null) {
            throw new IOException(dir.resolve(name) + " is not open");
        }
        return o;
    }

    private void open() throws IOException {
        Files.createDirectories(dir);
        Path path = dir.resolve(name);
        dropTornLine(path);
        size = Files.exists(path) ? Files.size(path) : 0;
        out = new BufferedOutputStream(
                Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND), 64 * 1024);
    }

    private void rotate() throws IOException {
        close();
        Files.deleteIfExists(dir.resolve(name + "." + (keep - 1)));
        for (int i = keep - 2; i >= 1; i--) {
            Path from = dir.resolve(name + "." + i);
            if (Files.exists(from)) {
                Files.move(from, dir.resolve(name + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (keep > 1) {
            Files.move(dir.resolve(name), dir.resolve(name + ".1"), StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.delete(dir.resolve(name));
        }
        rotations++;
        open();
    }

    /**
     * A crash can leave a last line without its terminator; the entry in it was never complete, so it is cut off
     * rather than glued to the next line (which would make the file unreadable from there on).
     */
    static void dropTornLine(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long end = ch.size();
            ByteBuffer one = ByteBuffer.allocate(1);
            long pos = end;
            while (pos > 0) {
                one.clear();
                ch.read(one, pos - 1);
                if (one.get(0) == NEWLINE) {
                    break;
                }
                pos--;
            }
            if (pos < end) {
                logger.warn("{}: cutting a torn last line of {} bytes", path, end - pos);
                ch.truncate(pos);
            }
        }
    }

    private void failed(String what, IOException e) {
        errors++;
        if (errors == 1 || errors % 1000 == 0) {
            logger.warn("flow log {}: cannot {} ({} errors so far)", dir.resolve(name), what, errors, e);
        }
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // already failing; the next write reopens
            }
            out = null;
        }
    }
}
