package dev.palisade.controlplane.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * TokenReview answers for fabric8's mock API server. TokenReview has no CRUD meaning (it is a question, not an
 * object), so the answers are scripted per token, as a real API server would give them:
 *
 * <ul>
 *   <li>{@code <sa>@<ns>-token}, such as {@code orders@shop-token}: the ServiceAccount {@code ns/sa}, audience
 *       {@code palisade};
 *   <li>{@code api-audience-token}: {@code shop/orders}, but minted for the API server's audience;
 *   <li>{@code human-token}: a user that is not a ServiceAccount;
 *   <li>anything else: not authenticated, "invalid bearer token".
 * </ul>
 */
public final class ScriptedTokenReviews {
    private static final ObjectMapper json = new ObjectMapper();

    private ScriptedTokenReviews() {}

    /** The token that a pod of {@code namespace/serviceAccount} would present. */
    public static String tokenOf(String namespace, String serviceAccount) {
        return serviceAccount + "@" + namespace + "-token";
    }

    /** Makes {@code server} answer every TokenReview with {@link #review}. */
    public static void install(KubernetesMockServer server) {
        server.expect()
                .post()
                .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReply(201, request -> {
                    try {
                        JsonNode body = json.readTree(request.getBody().readString(StandardCharsets.UTF_8));
                        String token = body.path("spec").path("token").asText();
                        List<String> audiences = new ArrayList<>();
                        body.path("spec").path("audiences").forEach(a -> audiences.add(a.asText()));
                        return review(token, audiences);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .always();
    }

    /** What a real API server would say about {@code token}. */
    public static Object review(String token, List<String> audiences) {
        TokenReviewBuilder b = new TokenReviewBuilder()
                .withNewSpec()
                .withToken(token)
                .withAudiences(audiences)
                .endSpec();
        if (token.endsWith("-token") && token.contains("@")) {
            String[] sa = token.substring(0, token.length() - "-token".length()).split("@", 2);
            return b.withNewStatus()
                    .withAuthenticated(true)
                    .withAudiences("palisade")
                    .withNewUser()
                    .withUsername("system:serviceaccount:" + sa[1] + ":" + sa[0])
                    .endUser()
                    .endStatus()
                    .build();
        }
        return switch (token) {
            case "api-audience-token" ->
                b.withNewStatus()
                        .withAuthenticated(true)
                        .withAudiences("https://kubernetes.default.svc")
                        .withNewUser()
                        .withUsername("system:serviceaccount:shop:orders")
                        .endUser()
                        .endStatus()
                        .build();
            case "human-token" ->
                b.withNewStatus()
                        .withAuthenticated(true)
                        .withAudiences("palisade")
                        .withNewUser()
                        .withUsername("alice@example.com")
                        .endUser()
                        .endStatus()
                        .build();
            default ->
                b.withNewStatus()
                        .withAuthenticated(false)
                        .withError("invalid bearer token")
                        .endStatus()
                        .build();
        };
    }
}
