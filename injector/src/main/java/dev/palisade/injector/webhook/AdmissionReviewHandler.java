package dev.palisade.injector.webhook;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.palisade.injector.mutate.InjectionResult;
import dev.palisade.injector.mutate.JsonPatches;
import dev.palisade.injector.mutate.PodContext;
import dev.palisade.injector.mutate.PodJson;
import dev.palisade.injector.mutate.SidecarInjector;
import io.fabric8.kubernetes.api.model.GroupVersionKind;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one {@code admission.k8s.io/v1} AdmissionReview: the request's {@code uid} echoed, {@code allowed}, and for an
 * injected pod a base64 {@code JSONPatch}.
 *
 * <p>Three kinds of answer:
 *
 * <ul>
 *   <li>HTTP 400 with a one-line message when the body is not an AdmissionReview v1 (not JSON, another apiVersion or
 *       kind, no request or uid): there is no uid to answer to, and the API server logs the message;
 *   <li>{@code allowed: true} without a patch for a pod left alone (already injected, opted out, ...) and for anything
 *       but a pod CREATE;
 *   <li>for a pod that cannot be injected — a bad annotation, an object that is not a pod, an internal error — the
 *       {@link FailurePolicy}: {@code allowed: false} with the reason, or {@code allowed: true} with one warning per
 *       problem.
 * </ul>
 *
 * <p>Nothing thrown by the injector escapes: the webhook never crashes on input. Thread-safe.
 */
public final class AdmissionReviewHandler {

    static final String API_VERSION = "admission.k8s.io/v1";
    static final String KIND = "AdmissionReview";

    private static final Logger logger = LoggerFactory.getLogger(AdmissionReviewHandler.class);

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .defaultPropertyInclusion(
                    JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .build();

    private final SidecarInjector injector;
    private final ClusterVersionSource clusterVersion;
    private final FailurePolicy failurePolicy;

    public AdmissionReviewHandler(
            SidecarInjector injector, ClusterVersionSource clusterVersion, FailurePolicy failurePolicy) {
        this.injector = requireNonNull(injector, "injector");
        this.clusterVersion = requireNonNull(clusterVersion, "clusterVersion");
        this.failurePolicy = requireNonNull(failurePolicy, "failurePolicy");
    }

    public FailurePolicy failurePolicy() {
        return failurePolicy;
    }

    /**
     * Answers one request body.
     *
     * @param namespaceSelected whether the webhook configuration that sent this request selects namespaces labelled
     *     {@code palisade.dev/inject=enabled} (path {@code /mutate}) or only pods that opt in ({@code /mutate/opt-in})
     */
    public WebhookReply handle(byte[] body, boolean namespaceSelected) {
        AdmissionRequest request;
        try {
            request = parse(body);
        } catch (BadReviewException e) {
            logger.warn("rejected an admission request: {}", e.reason());
            return WebhookReply.badRequest(e.reason());
        }
        AdmissionResponse response;
        try {
            response = respond(request, namespaceSelected);
        } catch (RuntimeException e) {
            logger.warn("admission {}: internal error while injecting", request.getUid(), e);
            response = failed(request.getUid(), List.of("internal error: " + e));
        }
        AdmissionReview review = new AdmissionReviewBuilder()
                .withApiVersion(API_VERSION)
                .withKind(KIND)
                .withResponse(response)
                .build();
        try {
            return WebhookReply.json(MAPPER.writeValueAsString(review));
        } catch (JsonProcessingException e) {
            // Our own model objects: cannot happen short of a broken classpath.
            throw new IllegalStateException("cannot serialise an AdmissionReview", e);
        }
    }

    private AdmissionRequest parse(byte[] body) throws BadReviewException {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw new BadReviewException("request body is not valid JSON: " + e.getOriginalMessage()
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
        } catch (IOException e) {
            throw new BadReviewException("request body is not readable: " + e);
        }
        if (tree == null || tree.isMissingNode()) {
            throw new BadReviewException("request body is empty (expected: an " + API_VERSION + " AdmissionReview)");
        }
        if (!tree.isObject()) {
            throw new BadReviewException(
                    "request body is a JSON " + tree.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)
                            + " (expected: an " + API_VERSION + " AdmissionReview object)");
        }
        String apiVersion = tree.path("apiVersion").asText("");
        String kind = tree.path("kind").asText("");
        if (!kind.equals(KIND)) {
            throw new BadReviewException("kind is '" + kind + "' (expected: " + KIND + ")");
        }
        if (!apiVersion.equals(API_VERSION)) {
            throw new BadReviewException("apiVersion '" + apiVersion + "' is not supported (expected: " + API_VERSION
                    + "; set admissionReviewVersions: [v1] in the webhook configuration)");
        }
        AdmissionReview review;
        try {
            review = MAPPER.treeToValue(tree, AdmissionReview.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new BadReviewException("not an " + API_VERSION + " AdmissionReview: " + firstLine(e.getMessage()));
        }
        AdmissionRequest request = review.getRequest();
        if (request == null) {
            throw new BadReviewException("the AdmissionReview has no request");
        }
        if (request.getUid() == null || request.getUid().isBlank()) {
            throw new BadReviewException("the AdmissionReview has no request.uid");
        }
        return request;
    }

    private AdmissionResponse respond(AdmissionRequest request, boolean namespaceSelected) {
        String uid = request.getUid();
        if (!isPodCreate(request)) {
            logger.debug(
                    "admission {}: {} {} is not a pod CREATE; allowed", uid, request.getOperation(), kindOf(request));
            return allowed(uid).build();
        }
        Object object = request.getObject();
        if (object == null) {
            return failed(uid, List.of("the request has no object"));
        }
        JsonNode tree = MAPPER.valueToTree(object);
        Pod pod;
        try {
            pod = PodJson.toPod(tree);
        } catch (IllegalArgumentException e) {
            return failed(uid, List.of("request.object is not a Pod: " + e.getMessage()));
        }
        String namespace = namespaceOf(request, pod);
        String name = nameOf(pod);
        PodContext context = new PodContext(namespace, namespaceSelected, clusterVersion.current());
        InjectionResult result = injector.inject(pod, context);
        if (result instanceof InjectionResult.Injected injected) {
            ArrayNode patch = JsonPatches.diff(PodJson.toTree(pod), PodJson.toTree(injected.pod()));
            logger.debug(
                    "admission {}: injected {}/{} ({})", uid, namespace, name, String.join("; ", injected.notes()));
            return allowed(uid)
                    .withPatchType("JSONPatch")
                    .withPatch(
                            Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)))
                    .build();
        }
        if (result instanceof InjectionResult.Skipped skipped) {
            logger.debug(
                    "admission {}: {}/{} left alone: {}",
                    uid,
                    namespace,
                    name,
                    skipped.reason().description());
            return allowed(uid).build();
        }
        InjectionResult.Refused refused = (InjectionResult.Refused) result;
        logger.warn(
                "admission {}: cannot inject {}/{} ({}): {}", uid, namespace, name, failurePolicy, refused.message());
        return failed(uid, refused.problems());
    }

    private AdmissionResponse failed(String uid, List<String> problems) {
        if (failurePolicy == FailurePolicy.IGNORE) {
            List<String> warnings = new ArrayList<>();
            for (String problem : problems) {
                warnings.add("palisade: sidecar not injected: " + problem);
            }
            return allowed(uid).withWarnings(warnings).build();
        }
        return new AdmissionResponseBuilder()
                .withUid(uid)
                .withAllowed(false)
                .withStatus(new StatusBuilder()
                        .withCode(400)
                        .withReason("BadRequest")
                        .withMessage("palisade: cannot inject the sidecar: " + String.join("; ", problems))
                        .build())
                .build();
    }

    private static AdmissionResponseBuilder allowed(String uid) {
        return new AdmissionResponseBuilder().withUid(uid).withAllowed(true);
    }

    private static boolean isPodCreate(AdmissionRequest request) {
        GroupVersionKind kind = request.getKind();
        boolean pod = kind != null
                && "Pod".equals(kind.getKind())
                && (kind.getGroup() == null || kind.getGroup().isEmpty())
                && "v1".equals(kind.getVersion());
        String subResource = request.getSubResource();
        return pod && "CREATE".equals(request.getOperation()) && (subResource == null || subResource.isEmpty());
    }

    private static String kindOf(AdmissionRequest request) {
        GroupVersionKind kind = request.getKind();
        return kind == null ? "(no kind)" : kind.getGroup() + "/" + kind.getVersion() + " " + kind.getKind();
    }

    private static String namespaceOf(AdmissionRequest request, Pod pod) {
        // A pod made by a controller carries no namespace in its metadata yet; the request always has it.
        if (request.getNamespace() != null && !request.getNamespace().isEmpty()) {
            return request.getNamespace();
        }
        ObjectMeta metadata = pod.getMetadata();
        return metadata != null && metadata.getNamespace() != null ? metadata.getNamespace() : "";
    }

    private static String nameOf(Pod pod) {
        ObjectMeta metadata = pod.getMetadata();
        if (metadata == null) {
            return "(unnamed)";
        }
        if (metadata.getName() != null && !metadata.getName().isEmpty()) {
            return metadata.getName();
        }
        return metadata.getGenerateName() != null ? metadata.getGenerateName() + "*" : "(unnamed)";
    }

    private static String firstLine(@Nullable String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** A request body that is not an AdmissionReview v1; its message is the 400's body. */
    private static final class BadReviewException extends Exception {
        private static final long serialVersionUID = 1L;

        private final String reason;

        BadReviewException(String reason) {
            super(reason, null, false, false);
            this.reason = reason;
        }

        String reason() {
            return reason;
        }
    }
}
