package dev.palisade.injector.chart;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small checker for the parts of OpenAPI v3 that the CRDs use (type, properties, additionalProperties, items,
 * required, enum, pattern): enough to show that documents written as DESIGN.md and the examples write them are
 * accepted, and that typos are not. The API server is the real judge; this keeps the schema honest in a unit test.
 */
final class OpenApiCheck {

    private OpenApiCheck() {}

    static List<String> problems(JSONSchemaProps schema, JsonNode value) {
        List<String> problems = new ArrayList<>();
        check(schema, value, "", problems);
        return problems;
    }

    private static void check(JSONSchemaProps schema, JsonNode value, String path, List<String> problems) {
        String type = schema.getType();
        if (type != null && !matchesType(type, value)) {
            problems.add(path + ": expected " + type + ", got " + value.getNodeType());
            return;
        }
        if (schema.getEnum() != null
                && !schema.getEnum().isEmpty()
                && schema.getEnum().stream().noneMatch(e -> e.equals(value))) {
            problems.add(path + ": " + value + " not in " + schema.getEnum());
        }
        if (schema.getPattern() != null
                && value.isTextual()
                && !Pattern.compile(schema.getPattern()).matcher(value.asText()).find()) {
            problems.add(path + ": '" + value.asText() + "' does not match " + schema.getPattern());
        }
        if (value.isObject()) {
            for (String required : schema.getRequired() == null ? List.<String>of() : schema.getRequired()) {
                if (!value.has(required)) {
                    problems.add(path + ": missing " + required);
                }
            }
            Map<String, JSONSchemaProps> properties = schema.getProperties();
            boolean preserve = Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields());
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                JSONSchemaProps child = properties == null ? null : properties.get(field.getKey());
                if (child == null && schema.getAdditionalProperties() != null) {
                    child = schema.getAdditionalProperties().getSchema();
                }
                if (child != null) {
                    check(child, field.getValue(), path + "." + field.getKey(), problems);
                } else if (!preserve && !path.equals(".metadata")) {
                    problems.add(path + ": unknown field " + field.getKey());
                }
            }
        }
        if (value.isArray() && schema.getItems() != null && schema.getItems().getSchema() != null) {
            for (int i = 0; i < value.size(); i++) {
                check(schema.getItems().getSchema(), value.get(i), path + "[" + i + "]", problems);
            }
        }
    }

    private static boolean matchesType(String type, JsonNode value) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "boolean" -> value.isBoolean();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            default -> true;
        };
    }
}
