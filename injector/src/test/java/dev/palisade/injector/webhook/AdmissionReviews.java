package dev.palisade.injector.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** AdmissionReview requests shaped like the API server's, and readers for the answers. */
final class AdmissionReviews {

    static final ObjectMapper JSON = new ObjectMapper();

    private AdmissionReviews() {}

    /** A pod CREATE in {@code namespace}, the way kube-apiserver sends it for a ReplicaSet's pod. */
    static String podCreate(String uid, String namespace, JsonNode pod) {
        ObjectNode review = JSON.createObjectNode();
        review.put("apiVersion", "admission.k8s.io/v1");
        review.put("kind", "AdmissionReview");
        ObjectNode request = review.putObject("request");
        request.put("uid", uid);
        request.set("kind", gvk("", "v1", "Pod"));
        ObjectNode resource = request.putObject("resource");
        resource.put("group", "").put("version", "v1").put("resource", "pods");
        request.set("requestKind", gvk("", "v1", "Pod"));
        request.set("requestResource", resource.deepCopy());
        request.put("namespace", namespace);
        request.put("operation", "CREATE");
        request.putObject("userInfo")
                .put("username", "system:serviceaccount:kube-system:replicaset-controller")
                .put("uid", "b7f5");
        request.set("object", pod);
        request.putNull("oldObject");
        request.put("dryRun", false);
        request.putObject("options").put("apiVersion", "meta.k8s.io/v1").put("kind", "CreateOptions");
        return review.toString();
    }

    private static ObjectNode gvk(String group, String version, String kind) {
        ObjectNode node = JSON.createObjectNode();
        node.put("group", group).put("version", version).put("kind", kind);
        return node;
    }

    static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The decoded JSONPatch of a response, or null when there is none. */
    static JsonNode patch(JsonNode review) {
        JsonNode patch = review.path("response").get("patch");
        if (patch == null) {
            return null;
        }
        return read(new String(Base64.getDecoder().decode(patch.asText()), StandardCharsets.UTF_8));
    }
}
