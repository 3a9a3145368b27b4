package dev.palisade.injector.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits a YAML stream into documents without parsing it, so that each document's exact text can be copied through.
 *
 * <p>A line that starts with {@code ---} followed by a space, a tab or the end of the line is a document marker (YAML
 * 1.2 §9.1.2: such a line cannot occur inside any document's content, not even in a block scalar), so splitting on
 * those lines is exact. Each chunk keeps its marker line and its line endings; concatenating the chunks gives back
 * the input.
 */
final class YamlDocuments {

    private static final Pattern MARKER = Pattern.compile("---(?:[ \\t].*)?");

    private YamlDocuments() {}

    /**
     * One document's text.
     *
     * @param marker the marker line without its line ending ({@code ---}, {@code --- # web}), or empty for a first
     *     document without one
     * @param text the whole chunk: the marker line, then the content, line endings included
     */
    record Chunk(String marker, String text) {

        /** Whether the marker line carries only the marker and perhaps a comment, so that it can be kept as is. */
        boolean hasPlainMarker() {
            String rest = marker.length() > 3 ? marker.substring(3).strip() : "";
            return !marker.isEmpty() && (rest.isEmpty() || rest.startsWith("#"));
        }
    }

    static List<Chunk> split(String yaml) {
        List<Chunk> chunks = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        String marker = "";
        int start = 0;
        while (start < yaml.length()) {
            int nl = yaml.indexOf('\n', start);
            int end = nl < 0 ? yaml.length() : nl + 1;
            String line = yaml.substring(start, end);
            String bare = stripLineEnding(line);
            if (MARKER.matcher(bare).matches()) {
                if (current.length() > 0) {
                    chunks.add(new Chunk(marker, current.toString()));
                }
                current.setLength(0);
                marker = bare;
            }
            current.append(line);
            start = end;
        }
        if (current.length() > 0) {
            chunks.add(new Chunk(marker, current.toString()));
        }
        return chunks;
    }

    static String stripLineEnding(String line) {
        int end = line.length();
        if (end > 0 && line.charAt(end - 1) == '\n') {
            end--;
        }
        if (end > 0 && line.charAt(end - 1) == '\r') {
            end--;
        }
        return line.substring(0, end);
    }
}
