package dev.palisade.injector.webhook;

import static dev.palisade.injector.TestPods.CONFIG;
import static dev.palisade.injector.TestPods.DEPLOYMENT_POD;
import static dev.palisade.injector.TestPods.V1_30;
import static dev.palisade.injector.TestPods.pod;
import static dev.palisade.injector.TestPods.tree;
import static dev.palisade.injector.webhook.AdmissionReviews.patch;
import static dev.palisade.injector.webhook.AdmissionReviews.podCreate;
import static dev.palisade.injector.webhook.AdmissionReviews.read;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.JsonPatch;
import dev.palisade.injector.mutate.InjectionResult;
import dev.palisade.injector.mutate.PodContext;
import dev.palisade.injector.mutate.PodJson;
import dev.palisade.injector.mutate.SidecarInjector;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdmissionReviewHandlerTest {

    private static final SidecarInjector injector = new SidecarInjector(CONFIG);
    private static final AdmissionReviewHandler failing =
            new AdmissionReviewHandler(injector, ClusterVersionSource.fixed(V1_30), FailurePolicy.FAIL);
    private static final AdmissionReviewHandler ignoring =
            new AdmissionReviewHandler(injector, ClusterVersionSource.fixed(V1_30), FailurePolicy.IGNORE);

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
            empty body             | ''                                                                  | request body is empty
            not JSON               | 'GET / HTTP/1.1'                                                    | request body is not valid JSON
            truncated JSON         | '{"apiVersion": "admission.k8s.io/v1", "kind":'                     | request body is not valid JSON
            a JSON array           | '[1, 2]'                                                            | request body is a JSON array
            wrong kind             | '{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}'                 | kind is 'Pod' (expected: AdmissionReview)
            v1beta1                | '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}' | apiVersion 'admission.k8s.io/v1beta1' is not supported
            no apiVersion          | '{"kind":"AdmissionReview"}'                                        | apiVersion '' is not supported
            no request             | '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}'     | the AdmissionReview has no request
            no uid                 | '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}' | no request.uid
            request of wrong type  | '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":[1]}' | not an admission.k8s.io/v1 AdmissionReview
            """)
    void answers400NamingTheProblemForWhatIsNotAnAdmissionReview(String description, String body, String message) {
        WebhookReply reply = failing.handle(body.getBytes(StandardCharsets.UTF_8), true);

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.contentType()).startsWith("text/plain");
        assertThat(reply.body()).contains(message);
    }

    @Test
    void refusesAPodWithABadAnnotationUnderFail() {
        ObjectNode pod = (ObjectNode) tree(DEPLOYMENT_POD);
        ((ObjectNode) pod.get("metadata")).putObject("annotations").put("palisade.dev/exclude-inbound-ports", "http");

        JsonNode review = respond(failing, podCreate("u-1", "shop", pod));

        assertThat(review.path("response").path("uid").asText()).isEqualTo("u-1");
        assertThat(review.path("response").path("allowed").asBoolean()).isFalse();
        assertThat(review.path("response").path("status").path("code").asInt()).isEqualTo(400);
        assertThat(review.path("response").path("status").path("message").asText())
                .startsWith(
                        "palisade: cannot inject the sidecar: annotation palisade.dev/exclude-inbound-ports: 'http'");
        assertThat(patch(review)).isNull();
    }

    @Test
    void admitsAPodWithABadAnnotationWithAWarningUnderIgnore() {
        ObjectNode pod = (ObjectNode) tree(DEPLOYMENT_POD);
        ((ObjectNode) pod.get("metadata"))
                .putObject("annotations")
                .put("palisade.dev/proxy-cpu", "fast")
                .put("palisade.dev/log-level", "loud");

        JsonNode review = respond(ignoring, podCreate("u-2", "shop", pod));

        assertThat(review.path("response").path("allowed").asBoolean()).isTrue();
        assertThat(review.path("response").path("warnings"))
                .extracting(JsonNode::asText)
                .containsExactly(
                        "palisade: sidecar not injected: annotation palisade.dev/proxy-cpu: 'fast' is not a Kubernetes"
                                + " quantity (expected: e.g. 100m, 0.5, 256Mi, 1Gi)",
                        "palisade: sidecar not injected: annotation palisade.dev/log-level: 'loud' is not a log level"
                                + " (expected: one of trace, debug, info, warn, error)");
        assertThat(patch(review)).isNull();
    }

    @Test
    void anObjectThatIsNotAPodFollowsTheFailurePolicy() {
        ObjectNode notAPod = AdmissionReviews.JSON.createObjectNode();
        notAPod.putObject("spec").put("containers", "web");

        JsonNode refused = respond(failing, podCreate("u-3", "shop", notAPod));
        JsonNode admitted = respond(ignoring, podCreate("u-3", "shop", notAPod));

        assertThat(refused.path("response").path("allowed").asBoolean()).isFalse();
        assertThat(refused.path("response").path("status").path("message").asText())
                .contains("request.object is not a Pod");
        assertThat(admitted.path("response").path("allowed").asBoolean()).isTrue();
        assertThat(admitted.path("response").path("warnings").get(0).asText()).contains("request.object is not a Pod");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"UPDATE, Pod, v1", "CREATE, Deployment, v1", "CREATE, Pod, v2"})
    void allowsAnythingButAPodCreateUnchanged(String operation, String kind, String version) {
        ObjectNode review = (ObjectNode) read(podCreate("u-4", "shop", tree(DEPLOYMENT_POD)));
        ((ObjectNode) review.get("request")).put("operation", operation);
        ((ObjectNode) review.get("request").get("kind")).put("kind", kind).put("version", version);

        JsonNode answer = respond(failing, review.toString());

        assertThat(answer.path("response").path("allowed").asBoolean()).isTrue();
        assertThat(patch(answer)).isNull();
    }

    @Test
    void answersAPodCreateWithAPatchThatYieldsTheInjectedPod() {
        JsonNode pod = tree(DEPLOYMENT_POD);

        JsonNode review = respond(failing, podCreate("u-5", "shop", pod));

        assertThat(review.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
        assertThat(review.path("kind").asText()).isEqualTo("AdmissionReview");
        assertThat(review.path("response").path("uid").asText()).isEqualTo("u-5");
        assertThat(review.path("response").path("allowed").asBoolean()).isTrue();
        assertThat(review.path("response").path("patchType").asText()).isEqualTo("JSONPatch");
        Pod patched = PodJson.toPod(JsonPatch.apply(patch(review), pod));
        Pod expected = ((InjectionResult.Injected)
                        injector.inject(pod(DEPLOYMENT_POD), new PodContext("shop", true, V1_30)))
                .pod();
        assertThat(patched).isEqualTo(expected);
    }

    @Test
    void optInRouteInjectsOnlyPodsThatOptIn() {
        JsonNode plain = respond(failing, podCreate("u-6", "other", tree(DEPLOYMENT_POD)), false);
        ObjectNode optedIn = (ObjectNode) tree(DEPLOYMENT_POD);
        ((ObjectNode) optedIn.get("metadata").get("labels")).put("palisade.dev/inject", "true");

        JsonNode injected = respond(failing, podCreate("u-7", "other", optedIn), false);

        assertThat(patch(plain)).isNull();
        assertThat(patch(injected)).isNotNull();
    }

    private static JsonNode respond(AdmissionReviewHandler handler, String body) {
        return respond(handler, body, true);
    }

    private static JsonNode respond(AdmissionReviewHandler handler, String body, boolean selected) {
        WebhookReply reply = handler.handle(body.getBytes(StandardCharsets.UTF_8), selected);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        assertThat(reply.contentType()).isEqualTo("application/json");
        return read(reply.body());
    }
}
