package dev.palisade.controlplane.uiapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.controlplane.admin.AdminServer;
import dev.palisade.controlplane.flows.FlowStoreException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** JSON answers and their errors: 400 {@code {"error":…}} for a bad parameter, 500 when the store fails. */
final class Json {
    private static final Logger logger = LoggerFactory.getLogger(Json.class);
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String CONTENT_TYPE = "application/json";

    private Json() {}

    static AdminServer.Response answer(Supplier<JsonNode> body) {
        try {
            return AdminServer.Response.ok(write(body.get()));
        } catch (IllegalArgumentException e) {
            return new AdminServer.Response(400, error(String.valueOf(e.getMessage())));
        } catch (FlowStoreException e) {
            logger.warn("UI API: the store failed", e);
            return new AdminServer.Response(500, error(String.valueOf(e.getMessage())));
        }
    }

    static String error(String message) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("error", message);
        return write(n);
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
