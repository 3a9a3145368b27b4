package dev.palisade.controlplane.policy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads policy-source YAML: any number of {@code ---}-separated documents, each an {@code
 * AuthorizationPolicy} or {@code PeerAuthentication} ({@code security.palisade.dev/v1}) or a {@code
 * Workload} ({@code palisade.dev/v1}).
 *
 * <p>Strict: an unknown field, a value of the wrong type, a missing required field, an invalid
 * value (SPIFFE ID, path or host pattern, method, port, CIDR block, condition key, action, mode,
 * protocol), an unknown kind or apiVersion, two objects of a kind with the same namespace and name,
 * and the YAML features listed in the README (duplicate keys, aliases, tags, octal numbers, {@code
 * yes}/{@code no} booleans) are all refused. Nothing is defaulted except what Istio defaults
 * ({@code action: ALLOW}, no selector, {@code dryRun: false}). Every problem of the text is
 * reported, each as a {@link PolicyException} naming the source, the document, the object and the
 * field path.
 *
 * <p>Stateless and thread-safe.
 */
public final class PolicyParser {

    private PolicyParser() {}

    /**
     * Parses one YAML text.
     *
     * @param sourceName how messages name the text, usually its file name as the operator wrote it
     * @param yaml the text
     * @return the objects, in document order
     * @throws PolicyLoadException with every problem found, if there is any
     */
    public static List<PolicyObject> parse(String sourceName, String yaml) throws PolicyLoadException {
        Parsed parsed = read(sourceName, yaml);
        List<PolicyException> errors = new ArrayList<>(parsed.errors());
        checkDuplicates(parsed.objects(), errors);
        if (!errors.isEmpty()) {
            throw new PolicyLoadException(sourceName, errors);
        }
        return parsed.objects().stream().map(Located::object).toList();
    }

    /**
     * Parses one YAML text into a set whose version is a hash of the text, for tools that work on a
     * single file ({@code palisade authz check -f policy.yaml}).
     *
     * @throws PolicyLoadException with every problem found, if there is any
     */
    public static PolicySet parseSet(String sourceName, String yaml) throws PolicyLoadException {
        List<PolicyObject> objects = parse(sourceName, yaml);
        return PolicySet.of(
                PolicyDirectory.versionOf(List.of(Map.entry("", yaml.getBytes(StandardCharsets.UTF_8)))), objects);
    }

    /** An object and where it was read: for messages about duplicates. */
    record Located(PolicyObject object, String source, int document) {}

    /** The objects read from a text and the problems found in it, before duplicate checks. */
    record Parsed(List<Located> objects, List<PolicyException> errors) {}

    /** Reads a text, collecting problems; an object with any problem is left out. */
    static Parsed read(String sourceName, String yaml) {
        List<Located> objects = new ArrayList<>();
        List<PolicyException> errors = new ArrayList<>();
        YamlReader.Result result = YamlReader.read(yaml);
        for (YamlReader.Document document : result.documents()) {
            if ((document.root().isNull() || document.root().isMissingNode())
                    && document.problems().isEmpty()) {
                // A document with nothing in it ("---" at the end of a file, or only comments), as kubectl skips it.
                continue;
            }
            PolicyObject object = DocumentReader.read(sourceName, document, errors);
            if (object != null) {
                objects.add(new Located(object, sourceName, document.index()));
            }
        }
        YamlReader.SyntaxError syntax = result.syntaxError();
        if (syntax != null) {
            errors.add(new PolicyException(sourceName, syntax.document(), null, "", syntax.problem()));
        }
        return new Parsed(objects, errors);
    }

    /** Reports each object whose kind, namespace and name an earlier one already has. */
    static void checkDuplicates(List<Located> objects, List<PolicyException> errors) {
        Map<ObjectRef, Located> first = new HashMap<>();
        for (Located o : objects) {
            ObjectRef ref = o.object().ref();
            Located earlier = first.putIfAbsent(ref, o);
            if (earlier != null) {
                errors.add(new PolicyException(
                        o.source(),
                        o.document(),
                        ref.toString(),
                        "metadata.name",
                        "duplicate " + ref + ": already defined in " + earlier.source() + " document "
                                + earlier.document()));
            }
        }
    }
}
