package dev.palisade.injector.mutate;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * Pods as JSON trees and back, through one Jackson configuration.
 *
 * <p>Patches are computed between two trees that both went through {@link #toTree}: whatever fabric8's model drops or
 * normalises (an empty map, field order) is then the same on both sides and never shows up as a change. Unknown fields
 * survive: every fabric8 model class keeps them in {@code additionalProperties}.
 */
public final class PodJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private PodJson() {}

    /** The pod as a JSON tree. */
    public static JsonNode toTree(Pod pod) {
        return MAPPER.valueToTree(pod);
    }

    /**
     * Reads a pod from a JSON tree.
     *
     * @throws IllegalArgumentException with Jackson's description (which names the field) when the tree is not a pod
     */
    public static Pod toPod(JsonNode tree) {
        if (!tree.isObject()) {
            throw new IllegalArgumentException("expected a JSON object, got " + tree.getNodeType());
        }
        try {
            return MAPPER.treeToValue(tree, Pod.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException(firstLine(e.getMessage()), e);
        }
    }

    /** A deep copy, so that the injector never changes its input. */
    static Pod copy(Pod pod) {
        return toPod(toTree(pod));
    }

    private static String firstLine(@org.jspecify.annotations.Nullable String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
