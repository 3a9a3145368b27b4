package dev.palisade.injector.manifest;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.palisade.injector.manifest.ManifestResult.Outcome;
import dev.palisade.injector.manifest.ManifestResult.Workload;
import dev.palisade.injector.mutate.InjectionResult;
import dev.palisade.injector.mutate.JsonPatches;
import dev.palisade.injector.mutate.KubernetesVersion;
import dev.palisade.injector.mutate.PodContext;
import dev.palisade.injector.mutate.PodJson;
import dev.palisade.injector.mutate.SidecarInjector;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Injects the proxy into the workloads of a multi-document YAML manifest, offline, as the webhook would at admission.
 *
 * <p>Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs (also inside a {@code v1 List}) have
 * their pod template injected by the {@link SidecarInjector}. Every other document, and every workload that is not
 * injected, is copied byte for byte — comments, quoting, key order and document markers included. An injected
 * document is re-serialised from its tree with only the injector's patch applied: its keys keep their order, but its
 * comments are lost (the YAML library keeps none), which the workload's detail says.
 *
 * <p>There is no namespace label offline: every workload is injected unless it opts out, is in a system namespace or
 * uses the host network. Injection is idempotent, so the output injected again is the same text.
 */
public final class ManifestInjector {

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .build();

    private static final Pattern COMMENT_LINE = Pattern.compile("(?m)^[ \\t]*#");

    private final SidecarInjector injector;
    private final KubernetesVersion kubernetesVersion;

    public ManifestInjector(SidecarInjector injector, KubernetesVersion kubernetesVersion) {
        this.injector = requireNonNull(injector, "injector");
        this.kubernetesVersion = requireNonNull(kubernetesVersion, "kubernetesVersion");
    }

    /**
     * Injects every workload of {@code yaml}.
     *
     * @throws ManifestException naming the document and line when a document is not YAML
     */
    public ManifestResult inject(String yaml) {
        requireNonNull(yaml, "yaml");
        StringBuilder out = new StringBuilder(yaml.length() * 2);
        List<Workload> workloads = new ArrayList<>();
        int line = 1;
        int number = 0;
        for (YamlDocuments.Chunk chunk : YamlDocuments.split(yaml)) {
            number++;
            JsonNode document = parse(chunk, number, line);
            line += countLines(chunk.text());
            if (!(document instanceof ObjectNode object)) {
                out.append(chunk.text());
                continue;
            }
            ObjectNode copy = object.deepCopy();
            int before = workloads.size();
            boolean changed = process(copy, number, workloads);
            if (!changed) {
                out.append(chunk.text());
                continue;
            }
            if (COMMENT_LINE.matcher(chunk.text()).find()) {
                for (int i = before; i < workloads.size(); i++) {
                    Workload w = workloads.get(i);
                    if (w.outcome() == Outcome.INJECTED) {
                        workloads.set(
                                i,
                                new Workload(
                                        w.document(),
                                        w.kind(),
                                        w.name(),
                                        w.outcome(),
                                        w.detail() + "; the document's comments were not kept"));
                    }
                }
            }
            out.append(render(chunk, copy));
        }
        return new ManifestResult(out.toString(), workloads);
    }

    /** Injects a document (or each item of a List) in place; whether anything changed. */
    private boolean process(ObjectNode document, int number, List<Workload> workloads) {
        if (document.path("kind").asText("").equals("List") && document.get("items") instanceof ArrayNode items) {
            boolean changed = false;
            for (JsonNode item : items) {
                if (item instanceof ObjectNode itemObject) {
                    changed |= process(itemObject, number, workloads);
                }
            }
            return changed;
        }
        Optional<WorkloadKind> kind = WorkloadKind.of(document);
        if (kind.isEmpty()) {
            return false;
        }
        String namespace = document.path("metadata").path("namespace").asText("");
        String name = document.path("metadata").path("name").asText("");
        if (name.isEmpty()) {
            name = document.path("metadata").path("generateName").asText("(unnamed)");
        }
        String qualified = namespace.isEmpty() ? name : namespace + "/" + name;
        String kindName = kind.get().kind();

        ObjectNode template = template(document, kind.get());
        if (template == null) {
            workloads.add(new Workload(
                    number,
                    kindName,
                    qualified,
                    Outcome.REFUSED,
                    "no pod template at " + kind.get().templatePointer()));
            return false;
        }
        ObjectNode podTree = podTree(template, kind.get());
        Pod pod;
        try {
            pod = PodJson.toPod(podTree);
        } catch (IllegalArgumentException e) {
            workloads.add(new Workload(
                    number, kindName, qualified, Outcome.REFUSED, "not a valid pod template: " + e.getMessage()));
            return false;
        }
        InjectionResult result = injector.inject(pod, new PodContext(namespace, true, kubernetesVersion));
        if (result instanceof InjectionResult.Skipped skipped) {
            workloads.add(new Workload(
                    number,
                    kindName,
                    qualified,
                    Outcome.SKIPPED,
                    skipped.reason().description()));
            return false;
        }
        if (result instanceof InjectionResult.Refused refused) {
            workloads.add(new Workload(number, kindName, qualified, Outcome.REFUSED, refused.message()));
            return false;
        }
        InjectionResult.Injected injected = (InjectionResult.Injected) result;
        ArrayNode patch = JsonPatches.diff(PodJson.toTree(pod), PodJson.toTree(injected.pod()));
        JsonNode patched = JsonPatches.apply(podTree, patch);
        writeBack(template, (ObjectNode) patched, kind.get());
        workloads.add(new Workload(number, kindName, qualified, Outcome.INJECTED, String.join("; ", injected.notes())));
        return true;
    }

    private static @org.jspecify.annotations.Nullable ObjectNode template(ObjectNode document, WorkloadKind kind) {
        JsonNode node = kind.templatePointer().isEmpty() ? document : document.at(kind.templatePointer());
        return node instanceof ObjectNode object ? object : null;
    }

    /** The pod the template describes: for a Pod the document itself, else the template's metadata and spec. */
    private static ObjectNode podTree(ObjectNode template, WorkloadKind kind) {
        if (kind == WorkloadKind.POD) {
            return template.deepCopy();
        }
        ObjectNode pod = JsonNodeFactory.instance.objectNode();
        if (template.has("metadata")) {
            pod.set("metadata", template.get("metadata").deepCopy());
        }
        if (template.has("spec")) {
            pod.set("spec", template.get("spec").deepCopy());
        }
        return pod;
    }

    private static void writeBack(ObjectNode template, ObjectNode patched, WorkloadKind kind) {
        if (kind == WorkloadKind.POD) {
            template.removeAll();
            template.setAll(patched);
            return;
        }
        if (template.has("metadata")) {
            // set() on an existing key keeps its position
            template.set("metadata", patched.get("metadata"));
            template.set("spec", patched.get("spec"));
            return;
        }
        // metadata first, as people write templates, when the patch adds it to a template that had none
        ObjectNode rebuilt = JsonNodeFactory.instance.objectNode();
        rebuilt.set("metadata", patched.get("metadata"));
        template.properties().forEach(e -> {
            if (!e.getKey().equals("metadata")) {
                rebuilt.set(e.getKey(), e.getValue());
            }
        });
        rebuilt.set("spec", patched.get("spec"));
        template.removeAll();
        template.setAll(rebuilt);
    }

    private static String render(YamlDocuments.Chunk chunk, ObjectNode document) {
        String body;
        try {
            body = YAML.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write YAML", e);
        }
        String marker = chunk.marker().isEmpty() ? "" : chunk.hasPlainMarker() ? chunk.marker() : "---";
        String text = marker.isEmpty() ? body : marker + "\n" + body;
        return chunk.text().contains("\r\n") ? text.replace("\n", "\r\n") : text;
    }

    private static @org.jspecify.annotations.Nullable JsonNode parse(
            YamlDocuments.Chunk chunk, int number, int firstLine) {
        List<JsonNode> documents = new ArrayList<>();
        // A parser, not readValues(): a MappingIterator would unwrap a top-level sequence into its elements.
        try (JsonParser parser = YAML.createParser(chunk.text())) {
            for (JsonNode node; (node = YAML.readTree(parser)) != null; ) {
                if (!node.isMissingNode() && !node.isNull()) {
                    documents.add(node);
                }
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + (firstLine + at.getLineNr() - 1);
            throw new ManifestException(
                    "document " + number + where + " is not valid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new ManifestException("document " + number + " is not valid YAML: " + e.getMessage(), e);
        }
        if (documents.size() > 1) {
            throw new ManifestException("document " + number + " (from line " + firstLine
                    + ") holds more than one YAML document; separate them with '---'");
        }
        return documents.isEmpty() ? null : documents.get(0);
    }

    private static int countLines(String text) {
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
