package dev.palisade.flowlog;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.palisade.flowlog.v1.Entry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;

/** The verifier's input, one item at a time: an entry, or why a line is not one. Package-private. */
abstract class EntrySource implements AutoCloseable {

    /**
     * One item of input.
     *
     * @param entry the entry, or {@code null} when the line did not parse
     * @param error why it did not parse
     * @param location where
     * @param torn the unparseable line is the very end of the input and has no line terminator
     */
    record Item(@Nullable Entry entry, String error, VerifyResult.Location location, boolean torn) {}

    /** The next item, or {@code null} at the end. */
    abstract @Nullable Item next();

    @Override
    public void close() {}

    static EntrySource of(Iterator<Entry> entries) {
        return new EntrySource() {
            private long position;

            @Override
            @Nullable
            Item next() {
                if (!entries.hasNext()) {
                    return null;
                }
                position++;
                Entry entry;
                try {
                    entry = entries.next();
                } catch (NoSuchElementException e) {
                    return null;
                }
                return new Item(entry, "", new VerifyResult.Location("entries", position), false);
            }
        };
    }

    /** JSON lines from {@code files}, in order, as one stream; blank lines are skipped. */
    static EntrySource ofFiles(List<Path> files) {
        return new EntrySource() {
            private int fileIndex = -1;
            private @Nullable BufferedReader reader;
            private @Nullable String pending;
            private long line;
            private boolean endsWithNewline;

            @Override
            @Nullable
            Item next() {
                for (int guard = 0; guard <= 2 * files.size() + 1; guard++) {
                    BufferedReader r = reader;
                    if (r == null) {
                        if (!openNext()) {
                            return null;
                        }
                        continue;
                    }
                    try {
                        String text = pending != null ? pending : r.readLine();
                        pending = null;
                        while (text != null && text.isBlank()) {
                            line++;
                            text = r.readLine();
                        }
                        if (text == null) {
                            closeReader();
                            continue;
                        }
                        line++;
                        VerifyResult.Location location = new VerifyResult.Location(name(), line);
                        try {
                            return new Item(FlowEntries.parseJson(text), "", location, false);
                        } catch (InvalidProtocolBufferException e) {
                            pending = r.readLine();
                            boolean last = pending == null && fileIndex == files.size() - 1;
                            return new Item(null, String.valueOf(e.getMessage()), location, last && !endsWithNewline);
                        }
                    } catch (IOException e) {
                        closeReader();
                        return new Item(null, "cannot read: " + e, new VerifyResult.Location(name(), line), false);
                    }
                }
                return null;
            }

            private boolean openNext() {
                fileIndex++;
                if (fileIndex >= files.size()) {
                    return false;
                }
                Path path = files.get(fileIndex);
                try {
                    endsWithNewline = endsWithNewline(path);
                    reader = Files.newBufferedReader(path, StandardCharsets.UTF_8);
                    line = 0;
                    return true;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot open " + path, e);
                }
            }

            private String name() {
                return files.get(fileIndex).toString();
            }

            private void closeReader() {
                BufferedReader r = reader;
                reader = null;
                pending = null;
                if (r != null) {
                    try {
                        r.close();
                    } catch (IOException ignored) {
                        // read-only
                    }
                }
            }

            @Override
            public void close() {
                closeReader();
            }
        };
    }

    private static boolean endsWithNewline(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (ch.size() == 0) {
                return true;
            }
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, ch.size() - 1);
            return one.get(0) == '\n';
        }
    }
}
