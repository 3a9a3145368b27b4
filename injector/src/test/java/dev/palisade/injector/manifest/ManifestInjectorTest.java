package dev.palisade.injector.manifest;

import static dev.palisade.injector.TestPods.CONFIG;
import static dev.palisade.injector.TestPods.V1_28;
import static dev.palisade.injector.TestPods.V1_30;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.palisade.injector.manifest.ManifestResult.Outcome;
import dev.palisade.injector.mutate.InjectionResult;
import dev.palisade.injector.mutate.KubernetesVersion;
import dev.palisade.injector.mutate.PodContext;
import dev.palisade.injector.mutate.PodJson;
import dev.palisade.injector.mutate.SidecarInjector;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ManifestInjectorTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final SidecarInjector injector = new SidecarInjector(CONFIG);
    private static final ManifestInjector manifests = new ManifestInjector(injector, V1_30);

    // ---- negative cases --------------------------------------------------------------------------------------------

    @Test
    void namesTheDocumentAndLineOfInvalidYaml() {
        String yaml = "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: [x\n";

        assertThatThrownBy(() -> manifests.inject(yaml))
                .isInstanceOf(ManifestException.class)
                .hasMessageStartingWith("document 2 at line ")
                .hasMessageContaining("is not valid YAML");
    }

    @Test
    void refusesAWorkloadWithABadAnnotationAndLeavesItsDocumentAlone() {
        String yaml =
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  template:
                    metadata:
                      annotations: {palisade.dev/exclude-outbound-ports: "5432,postgres"}
                    spec:
                      containers: [{name: web, image: web}]
                """;

        ManifestResult result = manifests.inject(yaml);

        assertThat(result.yaml()).isEqualTo(yaml);
        assertThat(result.refused()).singleElement().satisfies(w -> {
            assertThat(w.kind()).isEqualTo("Deployment");
            assertThat(w.name()).isEqualTo("shop/web");
            assertThat(w.detail()).contains("palisade.dev/exclude-outbound-ports: '5432,postgres'");
        });
    }

    @Test
    void refusesAWorkloadWithoutAPodTemplate() {
        String yaml = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {parallelism: 1}\n";

        ManifestResult result = manifests.inject(yaml);

        assertThat(result.yaml()).isEqualTo(yaml);
        assertThat(result.refused()).singleElement().satisfies(w -> assertThat(w.detail())
                .isEqualTo("no pod template at /spec/template"));
    }

    @Test
    void leavesWorkloadsInSystemNamespacesAndHostNetworkPodsAlone() {
        String yaml =
                """
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: cni, namespace: kube-system}
                spec:
                  template:
                    spec:
                      containers: [{name: cni, image: cni}]
                ---
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: exporter, namespace: monitoring}
                spec:
                  template:
                    spec:
                      hostNetwork: true
                      containers: [{name: exporter, image: exporter}]
                """;

        ManifestResult result = manifests.inject(yaml);

        assertThat(result.yaml()).isEqualTo(yaml);
        assertThat(result.workloads())
                .extracting(ManifestResult.Workload::outcome, ManifestResult.Workload::detail)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Outcome.SKIPPED, "system namespace"),
                        org.assertj.core.groups.Tuple.tuple(Outcome.SKIPPED, "host-network pod"));
    }

    // ---- the multi-document file -----------------------------------------------------------------------------------

    @Test
    void injectsOnlyTheWorkloadsAndCopiesEverythingElseByteForByte() throws IOException {
        String input = resource("shop.yaml");

        ManifestResult result = manifests.inject(input);

        List<YamlDocuments.Chunk> in = YamlDocuments.split(input);
        List<YamlDocuments.Chunk> out = YamlDocuments.split(result.yaml());
        assertThat(out).hasSize(5);
        // Service, ConfigMap (comments, quotes, block scalar) and the opted-out Pod: untouched, to the byte
        assertThat(out.get(1).text()).isEqualTo(in.get(1).text());
        assertThat(out.get(2).text()).isEqualTo(in.get(2).text());
        assertThat(out.get(4).text()).isEqualTo(in.get(4).text());
        // the injected documents keep their markers
        assertThat(out.get(3).marker()).isEqualTo("---");

        List<JsonNode> documents = parseAll(result.yaml());
        assertThat(documents).hasSize(5);
        assertThat(documents.get(0).path("spec").path("replicas").asInt()).isEqualTo(2);
        assertThat(result.yaml()).startsWith("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n");
        Pod web = templatePod(documents.get(0).path("spec").path("template"));
        Pod report = templatePod(documents.get(3).at("/spec/jobTemplate/spec/template"));
        assertThat(web).isEqualTo(expected(parseAll(input).get(0).path("spec").path("template")));
        assertThat(report).isEqualTo(expected(parseAll(input).get(3).at("/spec/jobTemplate/spec/template")));
        assertThat(web.getSpec().getInitContainers().stream().map(c -> c.getName()))
                .containsExactly("palisade-init", "palisade-proxy");
        // the rest of each injected document is what it was
        assertThat(withoutTemplate(documents.get(0), "/spec"))
                .isEqualTo(withoutTemplate(parseAll(input).get(0), "/spec"));
        assertThat(documents.get(2)).isEqualTo(parseAll(input).get(2));

        assertThat(result.workloads())
                .extracting(
                        ManifestResult.Workload::document,
                        ManifestResult.Workload::kind,
                        ManifestResult.Workload::name,
                        ManifestResult.Workload::outcome)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, "Deployment", "shop/web", Outcome.INJECTED),
                        org.assertj.core.groups.Tuple.tuple(4, "CronJob", "shop/report", Outcome.INJECTED),
                        org.assertj.core.groups.Tuple.tuple(5, "Pod", "shop/debug", Outcome.SKIPPED));
        assertThat(result.workloads().get(0).detail()).contains("the document's comments were not kept");
        assertThat(result.workloads().get(1).detail()).doesNotContain("comments");
    }

    @ParameterizedTest(name = "Kubernetes {0}")
    @CsvSource({"1.28", "1.30"})
    void injectingTheOutputAgainChangesNothing(String version) throws IOException {
        ManifestInjector forVersion = new ManifestInjector(injector, KubernetesVersion.parse(version));
        String once = forVersion.inject(resource("shop.yaml")).yaml();

        ManifestResult twice = forVersion.inject(once);

        assertThat(twice.yaml()).isEqualTo(once);
        assertThat(twice.workloads()).allSatisfy(w -> assertThat(w.outcome()).isEqualTo(Outcome.SKIPPED));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "apps/v1,  Deployment,  /spec/template",
        "apps/v1,  StatefulSet, /spec/template",
        "apps/v1,  DaemonSet,   /spec/template",
        "apps/v1,  ReplicaSet,  /spec/template",
        "batch/v1, Job,         /spec/template",
        "batch/v1, CronJob,     /spec/jobTemplate/spec/template",
    })
    void injectsThePodTemplateOfEachWorkloadKind(String apiVersion, String kind, String pointer) {
        ObjectNode document = YAML.createObjectNode();
        document.put("apiVersion", apiVersion).put("kind", kind);
        document.putObject("metadata").put("name", "w");
        ObjectNode template = document;
        for (String segment : pointer.substring(1).split("/", -1)) {
            template = template.putObject(segment);
        }
        template.putObject("spec")
                .putArray("containers")
                .addObject()
                .put("name", "app")
                .put("image", "app:1");

        ManifestResult result = manifests.inject(write(document));

        assertThat(result.workloads()).singleElement().satisfies(w -> assertThat(w.outcome())
                .isEqualTo(Outcome.INJECTED));
        JsonNode injected = parseAll(result.yaml()).get(0).at(pointer);
        assertThat(injected.at("/metadata/annotations/palisade.dev~1status").asText())
                .isEqualTo("injected");
        assertThat(injected.at("/spec/initContainers/1/name").asText()).isEqualTo("palisade-proxy");
    }

    @Test
    void passesThroughOtherKindsAndLookalikes() {
        String yaml =
                """
                apiVersion: example.com/v1
                kind: Deployment
                metadata: {name: not-apps}
                spec: {template: {spec: {containers: [{name: a, image: a}]}}}
                ---
                ---
                # only a comment
                ---
                - a list
                - at the top
                """;

        ManifestResult result = manifests.inject(yaml);

        assertThat(result.yaml()).isEqualTo(yaml);
        assertThat(result.workloads()).isEmpty();
    }

    @Test
    void injectsTheItemsOfAList() {
        String yaml =
                """
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: Pod
                  metadata: {name: a}
                  spec: {containers: [{name: a, image: a}]}
                - apiVersion: v1
                  kind: ConfigMap
                  metadata: {name: b}
                """;

        ManifestResult result = manifests.inject(yaml);

        JsonNode list = parseAll(result.yaml()).get(0);
        assertThat(list.at("/items/0/metadata/annotations/palisade.dev~1status").asText())
                .isEqualTo("injected");
        assertThat(list.at("/items/1")).isEqualTo(parseAll(yaml).get(0).at("/items/1"));
    }

    @Test
    void keepsStringsThatLookLikeOtherTypesStrings() {
        String yaml =
                """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: tricky
                  annotations:
                    a: "yes"
                    b: "on"
                    c: "8080"
                    d: "0x1F"
                    e: "1e3"
                    f: "null"
                    g: "~"
                    h: "true"
                    i: ": colon"
                    j: "- dash"
                    k: "#hash"
                    l: "two\\nlines"
                    m: ""
                    n: "2024-01-01"
                spec:
                  containers: [{name: a, image: "a:1", args: ["--port", "8080", "yes"]}]
                """;

        ManifestResult result = manifests.inject(yaml);

        JsonNode before = parseAll(yaml).get(0);
        JsonNode after = parseAll(result.yaml()).get(0);
        for (String key : List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n")) {
            assertThat(after.at("/metadata/annotations/" + key))
                    .as(key)
                    .isEqualTo(before.at("/metadata/annotations/" + key));
        }
        assertThat(after.at("/spec/containers/0/args")).isEqualTo(before.at("/spec/containers/0/args"));
        assertThat(manifests.inject(result.yaml()).yaml()).isEqualTo(result.yaml());
    }

    @Test
    void keepsWindowsLineEndingsAndAMissingFinalNewline() {
        String yaml =
                "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\n---\r\napiVersion: v1\r\nkind: Pod\r\n"
                        + "metadata: {name: p}\r\nspec: {containers: [{name: a, image: a}]}";

        ManifestResult result = manifests.inject(yaml);

        assertThat(result.yaml()).startsWith("apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\n---\r\n");
        assertThat(result.yaml().replace("\r\n", "")).doesNotContain("\n");
        assertThat(manifests.inject(result.yaml()).yaml()).isEqualTo(result.yaml());
    }

    @Test
    void usesTheRegularContainerLayoutForOlderClusters() throws IOException {
        ManifestResult result = new ManifestInjector(injector, V1_28).inject(resource("shop.yaml"));

        JsonNode web = parseAll(result.yaml()).get(0).at("/spec/template/spec");
        assertThat(web.at("/containers/0/name").asText()).isEqualTo("palisade-proxy");
        assertThat(web.at("/initContainers").size()).isEqualTo(1);
    }

    private static Pod expected(JsonNode template) {
        ObjectNode pod = YAML.createObjectNode();
        pod.set("metadata", template.get("metadata"));
        pod.set("spec", template.get("spec"));
        InjectionResult result = injector.inject(PodJson.toPod(pod), new PodContext("shop", true, V1_30));
        return ((InjectionResult.Injected) result).pod();
    }

    private static Pod templatePod(JsonNode template) {
        ObjectNode pod = YAML.createObjectNode();
        pod.set("metadata", template.get("metadata"));
        pod.set("spec", template.get("spec"));
        return PodJson.toPod(pod);
    }

    private static JsonNode withoutTemplate(JsonNode document, String specPointer) {
        ObjectNode copy = document.deepCopy();
        ((ObjectNode) copy.at(specPointer)).remove("template");
        return copy;
    }

    static List<JsonNode> parseAll(String yaml) {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNextValue()) {
                JsonNode node = it.nextValue();
                if (node != null && !node.isMissingNode() && !node.isNull()) {
                    documents.add(node);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("output does not parse", e);
        }
        return documents;
    }

    private static String write(JsonNode node) {
        try {
            return YAML.writeValueAsString(node);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static String resource(String name) throws IOException {
        try (InputStream in = ManifestInjectorTest.class.getResourceAsStream("/manifests/" + name)) {
            if (in == null) {
                throw new IOException("no test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
