package dev.palisade.injector.mutate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * RFC 6902 JSON Patches between two JSON documents, and the subset of patch application that {@code palisade inject}
 * needs.
 *
 * <p>{@link #diff} is shaped for admission: objects are compared key by key ({@code add}, {@code remove}, recursion),
 * and an array into which elements were only inserted — {@code initContainers}, {@code containers}, {@code volumes}
 * after injection — gets one {@code add} per new element at its index, so that the patch never rewrites what the pod's
 * author wrote. Other array changes recurse element by element when the lengths match, else replace the array. A
 * member absent from the source (no {@code /metadata/annotations}, no {@code /spec/initContainers}) is added whole.
 * Keys are escaped per RFC 6901 ({@code ~} as {@code ~0}, {@code /} as {@code ~1}).
 */
public final class JsonPatches {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonPatches() {}

    /** The operations that turn {@code source} into {@code target}; empty when they are equal. */
    public static ArrayNode diff(JsonNode source, JsonNode target) {
        ArrayNode ops = NODES.arrayNode();
        diff("", source, target, ops);
        return ops;
    }

    /**
     * Applies {@code add}, {@code remove} and {@code replace} operations to a copy of {@code document}.
     *
     * @throws IllegalArgumentException naming the operation that does not apply
     */
    public static JsonNode apply(JsonNode document, ArrayNode patch) {
        JsonNode root = document.deepCopy();
        for (JsonNode op : patch) {
            String kind = op.path("op").asText();
            String path = op.path("path").asText();
            List<String> tokens = parsePointer(path);
            if (tokens.isEmpty()) {
                if (kind.equals("add") || kind.equals("replace")) {
                    root = op.path("value").deepCopy();
                    continue;
                }
                throw new IllegalArgumentException("cannot " + kind + " the document root");
            }
            JsonNode parent = root;
            for (String token : tokens.subList(0, tokens.size() - 1)) {
                parent = child(parent, token, path);
            }
            String last = tokens.get(tokens.size() - 1);
            switch (kind) {
                case "add" -> add(parent, last, op.path("value").deepCopy(), path);
                case "replace" -> {
                    child(parent, last, path);
                    remove(parent, last);
                    add(parent, last, op.path("value").deepCopy(), path);
                }
                case "remove" -> {
                    child(parent, last, path);
                    remove(parent, last);
                }
                default -> throw new IllegalArgumentException("unsupported patch operation '" + kind + "' at " + path);
            }
        }
        return root;
    }

    /** One RFC 6901 reference token: {@code ~} becomes {@code ~0}, {@code /} becomes {@code ~1}. */
    public static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static void diff(String path, JsonNode source, JsonNode target, ArrayNode ops) {
        if (source.equals(target)) {
            return;
        }
        if (source.isObject() && target.isObject()) {
            for (Iterator<String> it = source.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!target.has(key)) {
                    op(ops, "remove", path + "/" + escape(key), null);
                }
            }
            for (Map.Entry<String, JsonNode> field : target.properties()) {
                String childPath = path + "/" + escape(field.getKey());
                JsonNode before = source.get(field.getKey());
                if (before == null) {
                    op(ops, "add", childPath, field.getValue());
                } else {
                    diff(childPath, before, field.getValue(), ops);
                }
            }
        } else if (source.isArray() && target.isArray()) {
            if (isSubsequence(source, target)) {
                int j = 0;
                for (int i = 0; i < target.size(); i++) {
                    if (j < source.size() && source.get(j).equals(target.get(i))) {
                        j++;
                    } else {
                        op(ops, "add", path + "/" + i, target.get(i));
                    }
                }
            } else if (source.size() == target.size()) {
                for (int i = 0; i < source.size(); i++) {
                    diff(path + "/" + i, source.get(i), target.get(i), ops);
                }
            } else {
                op(ops, "replace", path, target);
            }
        } else {
            op(ops, "replace", path, target);
        }
    }

    private static boolean isSubsequence(JsonNode shorter, JsonNode longer) {
        if (shorter.size() > longer.size()) {
            return false;
        }
        int j = 0;
        for (int i = 0; i < longer.size() && j < shorter.size(); i++) {
            if (shorter.get(j).equals(longer.get(i))) {
                j++;
            }
        }
        return j == shorter.size();
    }

    private static void op(ArrayNode ops, String kind, String path, @org.jspecify.annotations.Nullable JsonNode value) {
        ObjectNode op = ops.addObject();
        op.put("op", kind);
        op.put("path", path);
        if (value != null) {
            op.set("value", value.deepCopy());
        }
    }

    private static List<String> parsePointer(String pointer) {
        List<String> tokens = new ArrayList<>();
        if (pointer.isEmpty()) {
            return tokens;
        }
        if (pointer.charAt(0) != '/') {
            throw new IllegalArgumentException("invalid JSON pointer '" + pointer + "' (expected: empty or /...)");
        }
        for (String raw : pointer.substring(1).split("/", -1)) {
            tokens.add(raw.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }

    private static JsonNode child(JsonNode parent, String token, String path) {
        JsonNode child = null;
        if (parent.isObject()) {
            child = parent.get(token);
        } else if (parent.isArray()) {
            int index = index(token, parent.size() - 1, path);
            child = parent.get(index);
        }
        if (child == null) {
            throw new IllegalArgumentException("patch path " + path + " does not exist (at '" + token + "')");
        }
        return child;
    }

    private static void add(JsonNode parent, String token, JsonNode value, String path) {
        if (parent instanceof ObjectNode object) {
            object.set(token, value);
        } else if (parent instanceof ArrayNode array) {
            if (token.equals("-")) {
                array.add(value);
            } else {
                array.insert(index(token, array.size(), path), value);
            }
        } else {
            throw new IllegalArgumentException("patch path " + path + ": the parent is not an object or array");
        }
    }

    private static void remove(JsonNode parent, String token) {
        if (parent instanceof ObjectNode object) {
            object.remove(token);
        } else if (parent instanceof ArrayNode array) {
            array.remove(Integer.parseInt(token));
        }
    }

    private static int index(String token, int max, String path) {
        if (!token.matches("0|[1-9][0-9]{0,8}")) {
            throw new IllegalArgumentException("patch path " + path + ": '" + token + "' is not an array index");
        }
        int index = Integer.parseInt(token);
        if (index > max) {
            throw new IllegalArgumentException("patch path " + path + ": index " + index + " is out of bounds");
        }
        return index;
    }
}
