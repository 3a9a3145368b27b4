package dev.palisade.injector.mutate;

import static dev.palisade.injector.TestPods.DEPLOYMENT_POD;
import static dev.palisade.injector.TestPods.V1_28;
import static dev.palisade.injector.TestPods.V1_30;
import static dev.palisade.injector.TestPods.pod;
import static dev.palisade.injector.TestPods.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.flipkart.zjsonpatch.JsonPatch;
import dev.palisade.injector.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonPatchesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
            not an array index          | {a: [1]}      | [{op: add, path: /a/x, value: 2}]     | 'x' is not an array index
            index out of bounds         | {a: [1]}      | [{op: add, path: /a/5, value: 2}]     | index 5 is out of bounds
            missing parent              | {a: {}}       | [{op: add, path: /b/c, value: 2}]     | /b/c does not exist
            remove what is not there    | {a: {}}       | [{op: remove, path: /a/b}]            | /a/b does not exist
            unsupported operation       | {a: 1}        | [{op: move, from: /a, path: /b}]      | unsupported patch operation 'move'
            """)
    void refusesAPatchThatDoesNotApply(String description, String document, String patch, String message) {
        assertThatThrownBy(() -> JsonPatches.apply(tree(document), (ArrayNode) tree(patch)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void equalDocumentsGiveAnEmptyPatch() {
        assertThat(JsonPatches.diff(tree(DEPLOYMENT_POD), tree(DEPLOYMENT_POD))).isEmpty();
    }

    @Test
    void escapesSlashAndTildeInKeys() {
        JsonNode source = tree("{metadata: {name: x}}");
        JsonNode target = tree("{metadata: {name: x, annotations: {palisade.dev/status: injected, a~b/c: v}}}");

        ArrayNode patch = JsonPatches.diff(source, target);

        assertThat(patch.toString())
                .isEqualTo("[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":"
                        + "{\"palisade.dev/status\":\"injected\",\"a~b/c\":\"v\"}}]");
        JsonNode withAnnotations = tree("{metadata: {name: x, annotations: {app/x: y}}}");
        ArrayNode addOne =
                JsonPatches.diff(withAnnotations, tree("{metadata: {name: x, annotations: {app/x: y, a~b/c: v}}}"));
        assertThat(addOne.get(0).get("path").asText()).isEqualTo("/metadata/annotations/a~0b~1c");
        assertThat(JsonPatch.apply(addOne, withAnnotations)).isEqualTo(JsonPatches.apply(withAnnotations, addOne));
    }

    @Test
    void insertionsIntoAnArrayBecomeAddsAtTheirIndex() {
        JsonNode source = tree("{list: [b, d]}");
        JsonNode target = tree("{list: [a, b, c, d, e]}");

        ArrayNode patch = JsonPatches.diff(source, target);

        assertThat(patch)
                .extracting(op -> op.get("op").asText() + " " + op.get("path").asText())
                .containsExactly("add /list/0", "add /list/2", "add /list/4");
        assertThat(JsonPatch.apply(patch, source)).isEqualTo(target);
        assertThat(JsonPatches.apply(source, patch)).isEqualTo(target);
    }

    @Test
    void otherArrayChangesReplaceOrRecurse() {
        JsonNode source = tree("{same: [{a: 1}, {b: 2}], shorter: [1, 2, 3], scalar: 1}");
        JsonNode target = tree("{same: [{a: 1}, {b: 3}], shorter: [3], scalar: {x: 1}}");

        ArrayNode patch = JsonPatches.diff(source, target);

        assertThat(patch)
                .extracting(op -> op.get("op").asText() + " " + op.get("path").asText())
                .containsExactly("replace /same/1/b", "replace /shorter", "replace /scalar");
        assertThat(JsonPatch.apply(patch, source)).isEqualTo(target);
        assertThat(JsonPatches.apply(source, patch)).isEqualTo(target);
    }

    @Test
    void removedKeysAreRemoved() {
        JsonNode source = tree("{a: 1, b: 2}");
        JsonNode target = tree("{b: 2}");

        ArrayNode patch = JsonPatches.diff(source, target);

        assertThat(patch.toString()).isEqualTo("[{\"op\":\"remove\",\"path\":\"/a\"}]");
        assertThat(JsonPatches.apply(source, patch)).isEqualTo(target);
    }

    @Test
    void anInjectionPatchAppliesToAPodWithoutInitContainersOrAnnotations() {
        SidecarInjector injector = new SidecarInjector(TestPods.CONFIG);
        for (var version : new KubernetesVersion[] {V1_28, V1_30}) {
            Pod original = pod(DEPLOYMENT_POD);
            Pod injected =
                    ((InjectionResult.Injected) injector.inject(original, new PodContext("shop", true, version))).pod();

            JsonNode raw = tree(DEPLOYMENT_POD);
            assertThat(raw.path("metadata").has("annotations")).isFalse();
            assertThat(raw.path("spec").has("initContainers")).isFalse();
            ArrayNode patch = JsonPatches.diff(PodJson.toTree(original), PodJson.toTree(injected));

            assertThat(patch)
                    .allSatisfy(op -> assertThat(op.get("op").asText()).isEqualTo("add"))
                    .extracting(op -> op.get("path").asText())
                    .contains("/metadata/annotations", "/spec/initContainers", "/metadata/labels/palisade.dev~1proxy");
            assertThat(PodJson.toPod(JsonPatch.apply(patch, raw))).isEqualTo(injected);
            assertThat(PodJson.toPod(JsonPatches.apply(raw, patch))).isEqualTo(injected);
        }
    }
}
