package dev.palisade.controlplane.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.controlplane.policy.AuthorizationPolicy;
import dev.palisade.controlplane.policy.ObjectKind;
import dev.palisade.controlplane.policy.PeerAuthentication;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyResourceReaderTest {

    static GenericKubernetesResource policy(Map<String, Object> spec) {
        return KubeFixtures.authorizationPolicy("shop", "orders", spec);
    }

    @Test
    void unknownActionIsRefusedNamingTheField() {
        PolicyResourceReader.Result r =
                PolicyResourceReader.read(ObjectKind.AUTHORIZATION_POLICY, policy(Map.of("action", "MAYBE")));
        assertThat(r.isValid()).isFalse();
        assertThat(r.describeProblems()).startsWith("spec.action: ").contains("MAYBE");
        assertThat(r.problems().get(0).getMessage()).contains("AuthorizationPolicy shop/orders");
    }

    @Test
    void unknownFieldAndMissingSpecAreRefused() {
        assertThat(PolicyResourceReader.read(ObjectKind.AUTHORIZATION_POLICY, policy(Map.of("provider", "ext")))
                        .describeProblems())
                .contains("spec.provider");
        GenericKubernetesResource noSpec = policy(Map.of());
        noSpec.getAdditionalProperties().remove("spec");
        assertThat(PolicyResourceReader.read(ObjectKind.AUTHORIZATION_POLICY, noSpec)
                        .describeProblems())
                .contains("spec");
    }

    @Test
    void stringsStayStringsAndNumbersStayNumbersOnTheWayToTheParser() {
        // "true" as a string is not the boolean true; 8080 as a number is not Istio's port string "8080".
        assertThat(PolicyResourceReader.read(ObjectKind.AUTHORIZATION_POLICY, policy(Map.of("dryRun", "true")))
                        .describeProblems())
                .contains("spec.dryRun");
        assertThat(PolicyResourceReader.read(
                                ObjectKind.AUTHORIZATION_POLICY,
                                policy(Map.of(
                                        "rules",
                                        List.of(Map.of(
                                                "to", List.of(Map.of("operation", Map.of("ports", List.of(8080)))))))))
                        .describeProblems())
                .contains("spec.rules[0].to[0].operation.ports[0]");
        assertThat(PolicyResourceReader.read(
                                ObjectKind.AUTHORIZATION_POLICY,
                                policy(Map.of(
                                        "rules",
                                        List.of(Map.of(
                                                "to", List.of(Map.of("operation", Map.of("ports", List.of("010")))))))))
                        .describeProblems())
                .contains("spec.rules[0].to[0].operation.ports[0]");
    }

    @Test
    void serverSetMetadataLabelsAnnotationsAndStatusAreDroppedBeforeParsing() {
        GenericKubernetesResource r = new GenericKubernetesResourceBuilder(policy(Map.of(
                        "action",
                        "DENY",
                        "rules",
                        List.of(Map.of("to", List.of(Map.of("operation", Map.of("paths", List.of("/admin*")))))))))
                .editMetadata()
                .withUid("0b5e0d1c-1111-2222-3333-444455556666")
                .withResourceVersion("4711")
                .withGeneration(3L)
                .withCreationTimestamp(Instant.EPOCH.toString())
                .withManagedFields(new ManagedFieldsEntryBuilder()
                        .withManager("kubectl")
                        .withOperation("Apply")
                        .build())
                .addToLabels("team", "payments")
                .addToAnnotations(
                        "kubectl.kubernetes.io/last-applied-configuration",
                        "{\"apiVersion\":\"security.palisade.dev/v1\"}")
                .endMetadata()
                .addToAdditionalProperties("status", Map.of("conditions", List.of()))
                .build();

        PolicyResourceReader.Result result = PolicyResourceReader.read(ObjectKind.AUTHORIZATION_POLICY, r);

        assertThat(result.problems()).isEmpty();
        assertThat(result.object()).isInstanceOfSatisfying(AuthorizationPolicy.class, p -> {
            assertThat(p.namespace()).isEqualTo("shop");
            assertThat(p.name()).isEqualTo("orders");
        });
        assertThat(result.yaml())
                .doesNotContain("4711", "uid", "managedFields", "team", "last-applied", "status", "generation");
    }

    @Test
    void peerAuthenticationReadsLikeItsFile() {
        GenericKubernetesResource r = KubeFixtures.peerAuthentication(
                "shop",
                "db",
                Map.of(
                        "selector", Map.of("matchLabels", Map.of("app", "db")),
                        "mtls", Map.of("mode", "STRICT"),
                        "portLevelMtls", Map.of("9102", Map.of("mode", "PERMISSIVE"))));
        PolicyResourceReader.Result result = PolicyResourceReader.read(ObjectKind.PEER_AUTHENTICATION, r);
        assertThat(result.problems()).isEmpty();
        assertThat(result.object()).isInstanceOf(PeerAuthentication.class);
    }

    @Test
    void theDocumentIsTheSameWhateverTheOrderOfTheSpecsKeys() {
        GenericKubernetesResource a = policy(new java.util.LinkedHashMap<>(Map.of("action", "DENY")));
        ((Map<String, Object>) a.getAdditionalProperties().get("spec")).put("dryRun", true);
        java.util.LinkedHashMap<String, Object> reversed = new java.util.LinkedHashMap<>();
        reversed.put("dryRun", true);
        reversed.put("action", "DENY");
        assertThat(PolicyResourceReader.yaml(policy(reversed))).isEqualTo(PolicyResourceReader.yaml(a));
    }
}
