package dev.palisade.controlplane.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.controlplane.policy.ObjectKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AcceptedConditionTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final Instant T1 = Instant.parse("2026-03-01T11:00:00Z");

    static GenericKubernetesResource resource(String action) {
        GenericKubernetesResource r = KubeFixtures.authorizationPolicy("shop", "orders", Map.of("action", action));
        r.getMetadata().setGeneration(2L);
        return r;
    }

    static AcceptedCondition conditionOf(GenericKubernetesResource r) {
        return AcceptedCondition.of(PolicyResourceReader.read(ObjectKind.AUTHORIZATION_POLICY, r), r);
    }

    @Test
    void invalidResourceIsNotAcceptedWithTheParsersMessage() {
        GenericKubernetesResource r = resource("MAYBE");
        Map<String, Object> status = conditionOf(r).applyTo(r, T0);
        assertThat(status).containsEntry("observedGeneration", 2L);
        assertThat(status.get("conditions"))
                .asList()
                .singleElement()
                .isEqualTo(Map.of(
                        "type", "Accepted",
                        "status", "False",
                        "reason", "Invalid",
                        "message", conditionOf(r).message(),
                        "observedGeneration", 2L,
                        "lastTransitionTime", "2026-03-01T10:00:00Z"));
        assertThat(conditionOf(r).message()).startsWith("spec.action: ").contains("MAYBE");
    }

    @Test
    void conditionAlreadyInPlaceIsCurrentAndOtherConditionsAndFieldsAreKept() {
        GenericKubernetesResource r = resource("ALLOW");
        r.setAdditionalProperty(
                "status",
                Map.of(
                        "rules", List.of("ENFORCED"),
                        "conditions", List.of(Map.of("type", "Ready", "status", "True"))));
        AcceptedCondition c = conditionOf(r);
        assertThat(c.isCurrent(r)).isFalse();

        r.setAdditionalProperty("status", c.applyTo(r, T0));

        assertThat(c.isCurrent(r)).isTrue();
        assertThat(((Map<?, ?>) r.getAdditionalProperties().get("status")).get("rules"))
                .isEqualTo(List.of("ENFORCED"));
        @SuppressWarnings("unchecked")
        List<Object> conditions =
                (List<Object>) ((Map<?, ?>) r.getAdditionalProperties().get("status")).get("conditions");
        assertThat(conditions).hasSize(2).contains(Map.of("type", "Ready", "status", "True"));
    }

    @Test
    void lastTransitionTimeMovesOnlyWhenTheStatusFlips() {
        GenericKubernetesResource r = resource("ALLOW");
        r.setAdditionalProperty("status", conditionOf(r).applyTo(r, T0));
        r.getMetadata().setGeneration(3L); // a new generation, still valid
        r.setAdditionalProperty("status", conditionOf(r).applyTo(r, T1));
        assertThat(AcceptedCondition.find(r)).containsEntry("lastTransitionTime", "2026-03-01T10:00:00Z");

        GenericKubernetesResource bad = resource("MAYBE");
        bad.setAdditionalProperty("status", r.getAdditionalProperties().get("status"));
        bad.setAdditionalProperty("status", conditionOf(bad).applyTo(bad, T1));
        assertThat(AcceptedCondition.find(bad))
                .containsEntry("status", "False")
                .containsEntry("lastTransitionTime", "2026-03-01T11:00:00Z");
    }
}
