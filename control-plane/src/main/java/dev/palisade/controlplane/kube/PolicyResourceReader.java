package dev.palisade.controlplane.kube;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.palisade.controlplane.policy.ObjectKind;
import dev.palisade.controlplane.policy.ObjectRef;
import dev.palisade.controlplane.policy.PolicyException;
import dev.palisade.controlplane.policy.PolicyLoadException;
import dev.palisade.controlplane.policy.PolicyObject;
import dev.palisade.controlplane.policy.PolicyParser;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Reads one {@code AuthorizationPolicy} or {@code PeerAuthentication} custom resource with the same strict
 * {@link PolicyParser} that reads policy files, so that a policy means the same in both modes and is refused for the
 * same reasons.
 *
 * <p>The parser accepts {@code apiVersion}, {@code kind}, {@code metadata.{name,namespace}} and {@code spec} and
 * nothing else, so the resource is first cut down to exactly those: whatever the API server sets ({@code uid},
 * {@code resourceVersion}, {@code generation}, {@code creationTimestamp}, {@code managedFields}), labels and
 * annotations (kubectl's {@code last-applied-configuration} among them) and {@code status} are dropped. The spec is
 * written out as YAML unchanged — Jackson quotes every string, so a string never turns into a number or a boolean on
 * the way — and the parser checks it field by field. The text is also what identifies the resource's content in the
 * policy set's version.
 *
 * <p>Stateless and thread-safe.
 */
final class PolicyResourceReader {

    /** How messages name a resource's source: the object itself follows in each message. */
    static final String SOURCE = "kubernetes";

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private PolicyResourceReader() {}

    /**
     * What one resource read as.
     *
     * @param ref the resource's kind, namespace and name
     * @param yaml the document the parser read
     * @param object the object, when the resource is valid
     * @param problems every problem, when it is not (empty when it is)
     */
    record Result(ObjectRef ref, String yaml, @Nullable PolicyObject object, List<PolicyException> problems) {

        Result {
            problems = List.copyOf(problems);
        }

        boolean isValid() {
            return object != null;
        }

        /** The problems as one line per field, {@code spec.action: 'MAYBE': ...}, for a status condition. */
        String describeProblems() {
            return problems.stream()
                    .map(p -> p.field().isEmpty() ? p.problem() : p.field() + ": " + p.problem())
                    .collect(Collectors.joining("; "));
        }
    }

    /** Reads {@code resource} as an object of {@code kind}. */
    static Result read(ObjectKind kind, GenericKubernetesResource resource) {
        return parse(ref(kind, resource), yaml(resource));
    }

    /** The resource's kind, namespace and name. */
    static ObjectRef ref(ObjectKind kind, GenericKubernetesResource resource) {
        ObjectMeta metadata = resource.getMetadata();
        String namespace = metadata == null || metadata.getNamespace() == null ? "" : metadata.getNamespace();
        String name = metadata == null || metadata.getName() == null ? "" : metadata.getName();
        return new ObjectRef(kind, namespace, name);
    }

    /** Parses {@code yaml}, the {@link #yaml} of the resource {@code ref}. */
    static Result parse(ObjectRef ref, String yaml) {
        try {
            List<PolicyObject> objects = PolicyParser.parse(SOURCE, yaml);
            if (objects.size() != 1 || !objects.get(0).ref().equals(ref)) {
                // Cannot happen: one document, whose kind, namespace and name are the resource's.
                throw new IllegalStateException("resource " + ref + " read as " + objects);
            }
            return new Result(ref, yaml, objects.get(0), List.of());
        } catch (PolicyLoadException e) {
            return new Result(ref, yaml, null, e.errors());
        }
    }

    /** The document the parser reads: {@code apiVersion}, {@code kind}, {@code metadata.{name,namespace}}, {@code spec}. */
    static String yaml(GenericKubernetesResource resource) {
        ObjectMeta metadata = resource.getMetadata();
        Map<String, Object> meta = new LinkedHashMap<>();
        if (metadata != null) {
            if (metadata.getName() != null) {
                meta.put("name", metadata.getName());
            }
            if (metadata.getNamespace() != null) {
                meta.put("namespace", metadata.getNamespace());
            }
        }
        Map<String, @Nullable Object> document = new LinkedHashMap<>();
        document.put("apiVersion", resource.getApiVersion());
        document.put("kind", resource.getKind());
        document.put("metadata", meta);
        Map<String, Object> rest = resource.getAdditionalProperties();
        if (rest != null && rest.containsKey("spec")) {
            document.put("spec", rest.get("spec"));
        }
        try {
            return YAML.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            // Maps, lists, strings, numbers and booleans as read from JSON: always writable.
            throw new UncheckedIOException(e);
        }
    }
}
