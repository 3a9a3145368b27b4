package dev.palisade.controlplane.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads a multi-document YAML text into one JSON tree per document, token by token, so that the
 * YAML features that would make a policy mean something other than what it looks like are
 * reported with their path instead of being applied silently:
 *
 * <ul>
 *   <li>duplicate keys (YAML parsers keep the last one);
 *   <li>aliases ({@code *name}), which Jackson's tree reader turns into the string {@code name};
 *   <li>tags ({@code !!str}, {@code !custom});
 *   <li>integers not in plain decimal ({@code 010} is 8 and {@code 0x1F} is 31 in YAML 1.1);
 *   <li>booleans spelt {@code yes}, {@code no}, {@code on}, {@code off} (YAML 1.1).
 * </ul>
 *
 * <p>A syntax error stops the reading of the file: what follows it cannot be trusted. SnakeYAML's
 * defaults bound the size (3 MB) and nesting (50 levels) of a document; aliases are never
 * expanded, so an alias bomb is just an error.
 */
final class YamlReader {

    private static final YAMLFactory FACTORY = new YAMLFactory();

    private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final Pattern MARK = Pattern.compile("line (\\d+), column (\\d+)");

    private YamlReader() {}

    /**
     * One YAML document.
     *
     * @param index 1-based, counting every document of the file, empty ones included
     * @param root the document's tree
     * @param problems what was wrong at a path ({@code spec.rules[0].when}), in reading order
     */
    record Document(int index, JsonNode root, Map<String, String> problems) {}

    /**
     * What a file held.
     *
     * @param documents the non-empty documents read before the end or the syntax error
     * @param syntaxError the syntax error that stopped reading, if any
     */
    record Result(List<Document> documents, @Nullable SyntaxError syntaxError) {}

    /** A syntax error in document {@code document} (1-based). */
    record SyntaxError(int document, String problem) {}

    static Result read(String text) {
        List<Document> documents = new ArrayList<>();
        int index = 0;
        boolean inDocument = false;
        try (JsonParser parser = FACTORY.createParser(text)) {
            YAMLParser p = (YAMLParser) parser;
            JsonToken token;
            while ((token = p.nextToken()) != null) {
                index++;
                inDocument = true;
                Map<String, String> problems = new LinkedHashMap<>();
                JsonNode root = readValue(p, token, "", problems);
                inDocument = false;
                if (root.isTextual() && root.asText().isEmpty() && problems.isEmpty()) {
                    continue; // an empty document: "---" followed by nothing
                }
                documents.add(new Document(index, root, problems));
            }
            return new Result(documents, null);
        } catch (JsonProcessingException e) {
            return new Result(documents, new SyntaxError(inDocument ? index : index + 1, describe(e)));
        } catch (IOException e) {
            // Reading from a String: only the parser's own exceptions can happen.
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readValue(YAMLParser p, JsonToken token, String path, Map<String, String> problems)
            throws IOException {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        if (p.isCurrentAlias()) {
            problems.putIfAbsent(path, "YAML aliases ('*" + p.getText() + "') are not supported: write the value out");
        }
        String tag = p.getTypeId();
        if (tag != null) {
            String shown = tag.startsWith("tag:yaml.org,2002:") ? "!!" + tag.substring(18) : "!" + tag;
            problems.putIfAbsent(path, "YAML tags ('" + shown + "') are not supported");
        }
        return switch (token) {
            case START_OBJECT -> readObject(p, path, problems);
            case START_ARRAY -> {
                ArrayNode array = nodes.arrayNode();
                JsonToken t;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    array.add(readValue(p, t, path + "[" + array.size() + "]", problems));
                }
                yield array;
            }
            case VALUE_STRING -> nodes.textNode(p.getText());
            case VALUE_NUMBER_INT -> {
                String raw = p.getText();
                if (!DECIMAL.matcher(raw).matches()) {
                    problems.putIfAbsent(
                            path,
                            "'" + raw + "' is not a plain decimal number (YAML reads it as " + p.getNumberValue()
                                    + "): write it in decimal, or quote it to make it a string");
                }
                yield switch (p.getNumberType()) {
                    case INT -> nodes.numberNode(p.getIntValue());
                    case LONG -> nodes.numberNode(p.getLongValue());
                    default -> nodes.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> nodes.numberNode(p.getDecimalValue());
            case VALUE_TRUE, VALUE_FALSE -> {
                String raw = p.getText();
                boolean value = token == JsonToken.VALUE_TRUE;
                if (!raw.equalsIgnoreCase(Boolean.toString(value))) {
                    problems.putIfAbsent(
                            path,
                            "'" + raw + "' is the boolean " + value + " in YAML 1.1: write " + value
                                    + ", or quote it to make it a string");
                }
                yield nodes.booleanNode(value);
            }
            case VALUE_NULL -> nodes.nullNode();
            default -> throw new IllegalStateException("unexpected YAML token " + token + " at " + path);
        };
    }

    private static ObjectNode readObject(YAMLParser p, String path, Map<String, String> problems) throws IOException {
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
            if (t != JsonToken.FIELD_NAME) {
                throw new IllegalStateException("expected a field name, got " + t);
            }
            String name = p.currentName();
            String child = path.isEmpty() ? name : path + "." + name;
            JsonNode value = readValue(p, p.nextToken(), child, problems);
            if (object.has(name)) {
                problems.putIfAbsent(child, "duplicate key '" + name + "'");
            } else {
                object.set(name, value);
            }
        }
        return object;
    }

    /**
     * One line from a parser exception: SnakeYAML's messages span several lines (context, problem,
     * the offending line and a caret); keep the sentences and the position of the problem.
     */
    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        List<String> sentences = new ArrayList<>();
        String position = null;
        if (message != null) {
            for (String line : message.lines().toList()) {
                if (line.isBlank()) {
                    continue;
                }
                Matcher mark = MARK.matcher(line);
                if (line.startsWith(" in ") && mark.find()) {
                    position = "line " + mark.group(1) + ", column " + mark.group(2);
                } else if (!line.startsWith(" ")) {
                    sentences.add(line.strip());
                }
            }
        }
        if (position == null) {
            JsonLocation location = e.getLocation();
            position = location == null
                    ? "an unknown position"
                    : "line " + location.getLineNr() + ", column " + location.getColumnNr();
        }
        String problem;
        if (sentences.isEmpty()) {
            problem = "unreadable YAML";
        } else {
            problem = sentences.get(sentences.size() - 1);
            if (sentences.size() > 1) {
                problem += " (" + String.join("; ", sentences.subList(0, sentences.size() - 1)) + ")";
            }
        }
        return "YAML syntax error at " + position + ": " + PolicyValues.escape(problem);
    }
}
