package dev.palisade.controlplane.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.palisade.controlplane.config.MtlsMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Checks one YAML document against the schema of its kind, by hand, field by field, and builds the
 * object when nothing is wrong. Every problem is reported with its field path; reading goes on
 * after a problem so that one load reports them all.
 *
 * <p>Not thread-safe; one instance per document.
 */
final class DocumentReader {

    private static final List<String> OBJECT_FIELDS = List.of("apiVersion", "kind", "metadata", "spec");
    private static final List<String> METADATA_FIELDS = List.of("name", "namespace", "labels", "annotations");
    private static final List<String> WORKLOAD_METADATA_FIELDS = List.of("name", "namespace");
    private static final List<String> AUTHZ_SPEC_FIELDS = List.of("selector", "action", "dryRun", "rules");
    private static final Map<String, String> AUTHZ_SPEC_UNSUPPORTED = Map.of(
            "provider", "CUSTOM (external) authorization is not available in Palisade",
            "targetRef", "Gateway API targets: select workloads with 'selector'",
            "targetRefs", "Gateway API targets: select workloads with 'selector'");
    private static final List<String> SELECTOR_FIELDS = List.of("matchLabels");
    private static final Map<String, String> SELECTOR_UNSUPPORTED =
            Map.of("matchExpressions", "workload selectors match labels exactly ('matchLabels'), as in Istio");
    private static final List<String> RULE_FIELDS = List.of("from", "to", "when");
    private static final List<String> SOURCE_FIELDS =
            List.of("principals", "notPrincipals", "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks");
    private static final Map<String, String> SOURCE_UNSUPPORTED = Map.of(
            "requestPrincipals", "Palisade has no request authentication (JWT)",
            "notRequestPrincipals", "Palisade has no request authentication (JWT)",
            "remoteIpBlocks", "there is no X-Forwarded-For trust in the mesh: use ipBlocks",
            "notRemoteIpBlocks", "there is no X-Forwarded-For trust in the mesh: use notIpBlocks");
    private static final List<String> OPERATION_FIELDS =
            List.of("methods", "notMethods", "paths", "notPaths", "ports", "notPorts", "hosts", "notHosts");
    private static final List<String> CONDITION_FIELDS = List.of("key", "values", "notValues");
    private static final List<String> PEER_SPEC_FIELDS = List.of("selector", "mtls", "portLevelMtls");
    private static final List<String> MTLS_FIELDS = List.of("mode");
    private static final List<String> WORKLOAD_SPEC_FIELDS = List.of("serviceAccount", "labels", "address", "ports");
    private static final List<String> PORT_FIELDS = List.of("name", "port", "protocol");

    private static final PolicyValues.Rule NOT_EMPTY = v -> v.isEmpty() ? "must not be empty" : null;

    private final String source;
    private final int index;
    private final Map<String, String> yamlProblems;
    private final List<PolicyException> errors;
    private final int errorsBefore;
    private @Nullable String object;

    private DocumentReader(String source, YamlReader.Document document, List<PolicyException> errors) {
        this.source = source;
        this.index = document.index();
        this.yamlProblems = document.problems();
        this.errors = errors;
        this.errorsBefore = errors.size();
    }

    /**
     * Reads one document; adds its problems to {@code errors}.
     *
     * @return the object, or {@code null} when anything was wrong
     */
    static @Nullable PolicyObject read(String source, YamlReader.Document document, List<PolicyException> errors) {
        return new DocumentReader(source, document, errors).read(document.root());
    }

    private @Nullable PolicyObject read(JsonNode root) {
        if (!root.isObject()) {
            report(
                    "",
                    "a document must be a mapping (an object with apiVersion, kind, metadata and spec), got "
                            + describe(root));
            return null;
        }
        ObjectNode o = (ObjectNode) root;
        object = describeObject(o);
        for (Map.Entry<String, String> p : yamlProblems.entrySet()) {
            errors.add(new PolicyException(source, index, object, p.getKey(), p.getValue()));
        }
        ObjectKind kind = kind(o);
        if (kind == null) {
            return null;
        }
        checkFields(o, "", OBJECT_FIELDS, Map.of());
        ObjectNode metadata = requiredMapping(o, "", "metadata");
        String namespace = "";
        String name = "";
        if (metadata != null) {
            boolean workload = kind == ObjectKind.WORKLOAD;
            checkFields(
                    metadata,
                    "metadata",
                    workload ? WORKLOAD_METADATA_FIELDS : METADATA_FIELDS,
                    workload
                            ? Map.of(
                                    "labels", "a Workload's labels, which selectors match, are spec.labels",
                                    "annotations", "Workloads have no annotations")
                            : Map.of());
            namespace =
                    string(required(metadata, "metadata", "namespace"), "metadata.namespace", PolicyValues::namespace);
            name = string(required(metadata, "metadata", "name"), "metadata.name", PolicyValues::objectName);
            if (!workload) {
                stringMap(metadata, "metadata", "labels", PolicyValues::labelKey, PolicyValues::labelValue);
                stringMap(metadata, "metadata", "annotations", PolicyValues::labelKey, v -> null);
            }
        }
        ObjectNode spec = requiredMapping(o, "", "spec");
        if (spec == null) {
            return null;
        }
        PolicyObject result =
                switch (kind) {
                    case AUTHORIZATION_POLICY -> authorizationPolicy(namespace, name, spec);
                    case PEER_AUTHENTICATION -> peerAuthentication(namespace, name, spec);
                    case WORKLOAD -> workload(namespace, name, spec);
                };
        return errors.size() == errorsBefore ? result : null;
    }

    /** The kind, from {@code kind}; a wrong {@code apiVersion} is reported but does not stop the checks. */
    private @Nullable ObjectKind kind(ObjectNode o) {
        JsonNode kindNode = required(o, "", "kind");
        JsonNode apiNode = required(o, "", "apiVersion");
        if (kindNode == null) {
            return null;
        }
        String kindName = string(kindNode, "kind", NOT_EMPTY);
        ObjectKind kind = null;
        for (ObjectKind k : ObjectKind.values()) {
            if (k.kindName().equals(kindName)) {
                kind = k;
            }
        }
        if (kind == null) {
            if (!kindName.isEmpty()) {
                report(
                        "kind",
                        PolicyValues.quote(kindName)
                                + ": unknown kind (expected AuthorizationPolicy, PeerAuthentication or Workload)");
            }
            return null;
        }
        String apiVersion = string(apiNode, "apiVersion", NOT_EMPTY);
        if (apiVersion.isEmpty() || apiVersion.equals(kind.apiVersion())) {
            return kind;
        }
        if (apiVersion.startsWith("security.istio.io/")) {
            report(
                    "apiVersion",
                    PolicyValues.quote(apiVersion) + ": Istio's API group: write apiVersion " + kind.apiVersion()
                            + " (the fields are Istio's, with the differences in the README)");
        } else {
            report(
                    "apiVersion",
                    PolicyValues.quote(apiVersion) + ": unknown apiVersion for " + kind.kindName() + " (expected "
                            + kind.apiVersion() + ")");
        }
        return kind;
    }

    // ---------------------------------------------------------------- AuthorizationPolicy

    private @Nullable AuthorizationPolicy authorizationPolicy(String namespace, String name, ObjectNode spec) {
        checkFields(spec, "spec", AUTHZ_SPEC_FIELDS, AUTHZ_SPEC_UNSUPPORTED);
        WorkloadSelector selector = selector(spec);
        PolicyAction action = action(optional(spec, "spec", "action"));
        boolean dryRun = bool(optional(spec, "spec", "dryRun"), "spec.dryRun");
        if (dryRun && action == PolicyAction.AUDIT) {
            report(
                    "spec.dryRun",
                    "dryRun is not supported with action AUDIT (an AUDIT policy never enforces anything)");
        }
        List<Rule> rules = new ArrayList<>();
        JsonNode rulesNode = optional(spec, "spec", "rules");
        if (rulesNode != null) {
            List<JsonNode> items = list(rulesNode, "spec.rules", true);
            for (int i = 0; i < items.size(); i++) {
                Rule rule = rule(items.get(i), "spec.rules[" + i + "]");
                if (rule != null) {
                    rules.add(rule);
                }
            }
        }
        return errors.size() != errorsBefore
                ? null
                : build(() -> new AuthorizationPolicy(namespace, name, selector, action, dryRun, rules));
    }

    /** {@code spec.action}: ALLOW when absent, as in Istio. */
    private PolicyAction action(@Nullable JsonNode node) {
        if (node == null) {
            return PolicyAction.ALLOW;
        }
        String text = string(node, "spec.action", NOT_EMPTY);
        return switch (text) {
            case "ALLOW" -> PolicyAction.ALLOW;
            case "DENY" -> PolicyAction.DENY;
            case "AUDIT" -> PolicyAction.AUDIT;
            case "CUSTOM" -> {
                report("spec.action", "'CUSTOM': not supported: Palisade has no external authorization");
                yield PolicyAction.ALLOW;
            }
            case "" -> PolicyAction.ALLOW; // not a string, or empty: reported
            default -> {
                report(
                        "spec.action",
                        PolicyValues.quote(text) + ": unknown action (expected ALLOW, DENY or AUDIT, in upper case)");
                yield PolicyAction.ALLOW;
            }
        };
    }

    private @Nullable Rule rule(JsonNode node, String path) {
        ObjectNode rule = mapping(node, path);
        if (rule == null) {
            return null;
        }
        checkFields(rule, path, RULE_FIELDS, Map.of());
        List<Source> from = new ArrayList<>();
        JsonNode fromNode = optional(rule, path, "from");
        if (fromNode != null) {
            List<JsonNode> items = list(fromNode, path + ".from", true);
            for (int i = 0; i < items.size(); i++) {
                String itemPath = path + ".from[" + i + "]";
                ObjectNode item = mapping(items.get(i), itemPath);
                if (item == null) {
                    continue;
                }
                checkFields(item, itemPath, List.of("source"), Map.of());
                ObjectNode source = requiredMapping(item, itemPath, "source");
                if (source != null) {
                    Source s = source(source, itemPath + ".source");
                    if (s != null) {
                        from.add(s);
                    }
                }
            }
        }
        List<Operation> to = new ArrayList<>();
        JsonNode toNode = optional(rule, path, "to");
        if (toNode != null) {
            List<JsonNode> items = list(toNode, path + ".to", true);
            for (int i = 0; i < items.size(); i++) {
                String itemPath = path + ".to[" + i + "]";
                ObjectNode item = mapping(items.get(i), itemPath);
                if (item == null) {
                    continue;
                }
                checkFields(item, itemPath, List.of("operation"), Map.of());
                ObjectNode operation = requiredMapping(item, itemPath, "operation");
                if (operation != null) {
                    Operation op = operation(operation, itemPath + ".operation");
                    if (op != null) {
                        to.add(op);
                    }
                }
            }
        }
        List<Condition> when = new ArrayList<>();
        JsonNode whenNode = optional(rule, path, "when");
        if (whenNode != null) {
            List<JsonNode> items = list(whenNode, path + ".when", true);
            for (int i = 0; i < items.size(); i++) {
                Condition c = condition(items.get(i), path + ".when[" + i + "]");
                if (c != null) {
                    when.add(c);
                }
            }
        }
        return errors.size() != errorsBefore ? null : build(() -> new Rule(from, to, when));
    }

    private @Nullable Source source(ObjectNode s, String path) {
        checkFields(s, path, SOURCE_FIELDS, SOURCE_UNSUPPORTED);
        Source.Builder b = Source.builder()
                .principals(strings(s, path, "principals", PolicyValues::principal))
                .notPrincipals(strings(s, path, "notPrincipals", PolicyValues::principal))
                .namespaces(strings(s, path, "namespaces", PolicyValues::namespace))
                .notNamespaces(strings(s, path, "notNamespaces", PolicyValues::namespace))
                .ipBlocks(strings(s, path, "ipBlocks", PolicyValues::ipBlock))
                .notIpBlocks(strings(s, path, "notIpBlocks", PolicyValues::ipBlock));
        if (!hasAny(s, SOURCE_FIELDS)) {
            report(
                    path,
                    "at least one of " + String.join(", ", SOURCE_FIELDS)
                            + " must be set (omit 'from' to match any source)");
        }
        return errors.size() != errorsBefore ? null : build(b::build);
    }

    private @Nullable Operation operation(ObjectNode o, String path) {
        checkFields(o, path, OPERATION_FIELDS, Map.of());
        Operation.Builder b = Operation.builder()
                .methods(strings(o, path, "methods", PolicyValues::method))
                .notMethods(strings(o, path, "notMethods", PolicyValues::method))
                .paths(strings(o, path, "paths", PolicyValues::path))
                .notPaths(strings(o, path, "notPaths", PolicyValues::path))
                .ports(strings(o, path, "ports", PolicyValues::port))
                .notPorts(strings(o, path, "notPorts", PolicyValues::port))
                .hosts(strings(o, path, "hosts", PolicyValues::host))
                .notHosts(strings(o, path, "notHosts", PolicyValues::host));
        if (!hasAny(o, OPERATION_FIELDS)) {
            report(
                    path,
                    "at least one of " + String.join(", ", OPERATION_FIELDS)
                            + " must be set (omit 'to' to match any operation)");
        }
        return errors.size() != errorsBefore ? null : build(b::build);
    }

    private @Nullable Condition condition(JsonNode node, String path) {
        ObjectNode c = mapping(node, path);
        if (c == null) {
            return null;
        }
        checkFields(c, path, CONDITION_FIELDS, Map.of());
        String key = string(required(c, path, "key"), path + ".key", PolicyValues::conditionKey);
        if (key.isEmpty()) {
            return null;
        }
        PolicyValues.Rule rule = PolicyValues.conditionValueRule(PolicyValues.attributeOf(key));
        List<String> values = strings(c, path, "values", rule);
        List<String> notValues = strings(c, path, "notValues", rule);
        if (!c.has("values") && !c.has("notValues")) {
            report(path, "one of values or notValues must be set");
        }
        return errors.size() != errorsBefore ? null : build(() -> new Condition(key, values, notValues));
    }

    // ---------------------------------------------------------------- PeerAuthentication

    private @Nullable PeerAuthentication peerAuthentication(String namespace, String name, ObjectNode spec) {
        checkFields(spec, "spec", PEER_SPEC_FIELDS, Map.of());
        WorkloadSelector selector = selector(spec);
        MtlsMode mode = MtlsMode.STRICT;
        ObjectNode mtls = requiredMapping(spec, "spec", "mtls");
        if (mtls != null) {
            MtlsMode m = mtlsMode(mtls, "spec.mtls");
            if (m != null) {
                mode = m;
            }
        }
        Map<Integer, MtlsMode> ports = new HashMap<>();
        JsonNode portsNode = optional(spec, "spec", "portLevelMtls");
        if (portsNode != null) {
            ObjectNode portMap = mapping(portsNode, "spec.portLevelMtls");
            if (portMap != null) {
                if (selector.selectsAll()) {
                    report("spec.portLevelMtls", "portLevelMtls requires a selector (as in Istio)");
                }
                for (Map.Entry<String, JsonNode> e : portMap.properties()) {
                    String path = "spec.portLevelMtls." + e.getKey();
                    String problem = PolicyValues.port(e.getKey());
                    if (problem != null) {
                        report(path, PolicyValues.quote(e.getKey()) + ": " + problem);
                        continue;
                    }
                    ObjectNode portMtls = mapping(e.getValue(), path);
                    MtlsMode m = portMtls == null ? null : mtlsMode(portMtls, path);
                    if (m != null) {
                        ports.put(Integer.parseInt(e.getKey()), m);
                    }
                }
            }
        }
        MtlsMode finalMode = mode;
        return errors.size() != errorsBefore
                ? null
                : build(() -> new PeerAuthentication(namespace, name, selector, finalMode, ports));
    }

    private @Nullable MtlsMode mtlsMode(ObjectNode mtls, String path) {
        checkFields(mtls, path, MTLS_FIELDS, Map.of());
        JsonNode modeNode = required(mtls, path, "mode");
        if (modeNode == null) {
            return null;
        }
        String text = string(modeNode, path + ".mode", NOT_EMPTY);
        return switch (text) {
            case "STRICT" -> MtlsMode.STRICT;
            case "PERMISSIVE" -> MtlsMode.PERMISSIVE;
            case "DISABLE" -> {
                report(
                        path + ".mode",
                        "'DISABLE': not supported: a Palisade sidecar always accepts mTLS;"
                                + " use PERMISSIVE to accept plaintext too");
                yield null;
            }
            case "UNSET" -> {
                report(path + ".mode", "'UNSET': not supported: state STRICT or PERMISSIVE");
                yield null;
            }
            case "" -> null;
            default -> {
                report(
                        path + ".mode",
                        PolicyValues.quote(text) + ": unknown mode (expected STRICT or PERMISSIVE, in upper case)");
                yield null;
            }
        };
    }

    // ---------------------------------------------------------------- Workload

    private @Nullable Workload workload(String namespace, String name, ObjectNode spec) {
        checkFields(spec, "spec", WORKLOAD_SPEC_FIELDS, Map.of());
        String serviceAccount =
                string(required(spec, "spec", "serviceAccount"), "spec.serviceAccount", PolicyValues::objectName);
        Map<String, String> labels =
                stringMap(spec, "spec", "labels", PolicyValues::labelKey, PolicyValues::labelValue);
        String address = string(required(spec, "spec", "address"), "spec.address", PolicyValues::ipAddress);
        List<WorkloadPort> ports = new ArrayList<>();
        JsonNode portsNode = optional(spec, "spec", "ports");
        if (portsNode != null) {
            List<JsonNode> items = list(portsNode, "spec.ports", true);
            Set<Integer> numbers = new HashSet<>();
            Set<String> names = new HashSet<>();
            for (int i = 0; i < items.size(); i++) {
                String path = "spec.ports[" + i + "]";
                ObjectNode port = mapping(items.get(i), path);
                if (port == null) {
                    continue;
                }
                checkFields(port, path, PORT_FIELDS, Map.of("targetPort", "declare the port the workload listens on"));
                String portName = string(required(port, path, "name"), path + ".name", PolicyValues::portName);
                int number = portNumber(required(port, path, "port"), path + ".port");
                PortProtocol protocol = protocol(required(port, path, "protocol"), path + ".protocol");
                if (!portName.isEmpty() && !names.add(portName)) {
                    report(path + ".name", PolicyValues.quote(portName) + ": port name declared twice");
                }
                if (number > 0 && !numbers.add(number)) {
                    report(path + ".port", number + ": port declared twice");
                }
                if (!portName.isEmpty() && number > 0 && protocol != null) {
                    ports.add(new WorkloadPort(portName, number, protocol));
                }
            }
        }
        return errors.size() != errorsBefore
                ? null
                : build(() -> new Workload(namespace, name, serviceAccount, labels, ports, address));
    }

    private int portNumber(@Nullable JsonNode node, String path) {
        if (node == null) {
            return 0;
        }
        if (!node.isIntegralNumber()) {
            report(path, "expected a port number, got " + describe(node));
            return 0;
        }
        if (!node.canConvertToInt() || PolicyValues.portNumber(node.intValue()) != null) {
            report(path, node.asText() + ": must be a port number from 1 to 65535");
            return 0;
        }
        return node.intValue();
    }

    private @Nullable PortProtocol protocol(@Nullable JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        String text = string(node, path, NOT_EMPTY);
        for (PortProtocol p : PortProtocol.values()) {
            if (p.name().equals(text)) {
                return p;
            }
        }
        if (!text.isEmpty()) {
            report(
                    path,
                    PolicyValues.quote(text)
                            + ": unknown protocol (expected HTTP, HTTP2, GRPC or TCP, in upper case; TCP is opaque)");
        }
        return null;
    }

    // ---------------------------------------------------------------- shared parts

    private WorkloadSelector selector(ObjectNode spec) {
        JsonNode node = optional(spec, "spec", "selector");
        if (node == null) {
            return WorkloadSelector.ALL;
        }
        ObjectNode selector = mapping(node, "spec.selector");
        if (selector == null) {
            return WorkloadSelector.ALL;
        }
        checkFields(selector, "spec.selector", SELECTOR_FIELDS, SELECTOR_UNSUPPORTED);
        Map<String, String> labels =
                stringMap(selector, "spec.selector", "matchLabels", PolicyValues::labelKey, PolicyValues::labelValue);
        return labels.isEmpty() ? WorkloadSelector.ALL : new WorkloadSelector(labels);
    }

    /** Builds a record; a refusal by its constructor (which the checks above should prevent) becomes a problem. */
    private <T> @Nullable T build(Supplier<T> constructor) {
        try {
            return constructor.get();
        } catch (IllegalArgumentException e) {
            report("", String.valueOf(e.getMessage()));
            return null;
        }
    }

    // ---------------------------------------------------------------- generic checks

    private void report(String path, String problem) {
        for (String covered : yamlProblems.keySet()) {
            if (covered.isEmpty()
                    || path.equals(covered)
                    || path.startsWith(covered + ".")
                    || path.startsWith(covered + "[")) {
                return; // the YAML problem at or above this path explains it already
            }
        }
        errors.add(new PolicyException(source, index, object, path, problem));
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    private void checkFields(ObjectNode o, String path, List<String> known, Map<String, String> unsupported) {
        for (Map.Entry<String, JsonNode> property : o.properties()) {
            String f = property.getKey();
            if (known.contains(f)) {
                continue;
            }
            String why = unsupported.get(f);
            report(
                    join(path, f),
                    why != null
                            ? "not supported: " + why
                            : "unknown field (expected one of: " + String.join(", ", known) + ")");
        }
    }

    private static boolean hasAny(ObjectNode o, List<String> fields) {
        for (String f : fields) {
            if (o.has(f)) {
                return true;
            }
        }
        return false;
    }

    /** An optional field: {@code null} when absent, or (reported) when its value is null. */
    private @Nullable JsonNode optional(ObjectNode o, String path, String field) {
        JsonNode v = o.get(field);
        if (v == null) {
            return null;
        }
        if (v.isNull()) {
            report(join(path, field), "has no value: give it one, or remove the field");
            return null;
        }
        return v;
    }

    /** A required field: {@code null} (reported) when absent or null. */
    private @Nullable JsonNode required(ObjectNode o, String path, String field) {
        if (!o.has(field)) {
            report(join(path, field), "required field is missing");
            return null;
        }
        return optional(o, path, field);
    }

    private @Nullable ObjectNode requiredMapping(ObjectNode o, String path, String field) {
        JsonNode v = required(o, path, field);
        return v == null ? null : mapping(v, join(path, field));
    }

    private @Nullable ObjectNode mapping(JsonNode node, String path) {
        if (node.isObject()) {
            return (ObjectNode) node;
        }
        report(path, "expected a mapping, got " + describe(node));
        return null;
    }

    private List<JsonNode> list(JsonNode node, String path, boolean emptyAllowed) {
        if (!node.isArray()) {
            report(path, "expected a list, got " + describe(node));
            return List.of();
        }
        if (node.isEmpty() && !emptyAllowed) {
            report(path, "must not be empty: omit the field instead (an empty list would read as 'anything')");
        }
        List<JsonNode> items = new ArrayList<>();
        node.elements().forEachRemaining(items::add);
        return items;
    }

    /** A string value checked by {@code rule}; empty when absent or wrong (and reported). */
    private String string(@Nullable JsonNode node, String path, PolicyValues.Rule rule) {
        if (node == null) {
            return "";
        }
        if (!node.isTextual()) {
            report(path, "expected a string, got " + describe(node) + quoteHint(node));
            return "";
        }
        String value = node.textValue();
        String problem = rule.problem(value);
        if (problem != null) {
            report(path, PolicyValues.quote(value) + ": " + problem);
            return "";
        }
        return value;
    }

    /** An optional non-empty list of strings, each checked by {@code rule}; empty when absent. */
    private List<String> strings(ObjectNode o, String path, String field, PolicyValues.Rule rule) {
        JsonNode node = optional(o, path, field);
        if (node == null) {
            return List.of();
        }
        String listPath = join(path, field);
        List<String> values = new ArrayList<>();
        List<JsonNode> items = list(node, listPath, false);
        for (int i = 0; i < items.size(); i++) {
            String value = string(items.get(i), listPath + "[" + i + "]", rule);
            if (!value.isEmpty()) {
                values.add(value);
            }
        }
        return values;
    }

    private boolean bool(@Nullable JsonNode node, String path) {
        if (node == null) {
            return false;
        }
        if (!node.isBoolean()) {
            report(path, "expected true or false, got " + describe(node));
            return false;
        }
        return node.booleanValue();
    }

    /** An optional mapping of strings to strings. */
    private Map<String, String> stringMap(
            ObjectNode o, String path, String field, PolicyValues.Rule keyRule, PolicyValues.Rule valueRule) {
        JsonNode node = optional(o, path, field);
        if (node == null) {
            return Map.of();
        }
        String mapPath = join(path, field);
        ObjectNode map = mapping(node, mapPath);
        if (map == null) {
            return Map.of();
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String entryPath = mapPath + "." + e.getKey();
            String keyProblem = keyRule.problem(e.getKey());
            if (keyProblem != null) {
                report(entryPath, "key " + PolicyValues.quote(e.getKey()) + ": " + keyProblem);
                continue;
            }
            JsonNode value = e.getValue();
            if (!value.isTextual()) {
                report(entryPath, "expected a string, got " + describe(value) + quoteHint(value));
                continue;
            }
            String problem = valueRule.problem(value.textValue());
            if (problem != null) {
                report(entryPath, PolicyValues.quote(value.textValue()) + ": " + problem);
                continue;
            }
            result.put(e.getKey(), value.textValue());
        }
        return result;
    }

    private static String quoteHint(JsonNode node) {
        return node.isNumber() || node.isBoolean() ? " (quote it: \"" + node.asText() + "\")" : "";
    }

    static String describe(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "the string " + PolicyValues.quote(node.textValue());
        }
        if (node.isNumber()) {
            return "the number " + node.asText();
        }
        if (node.isBoolean()) {
            return "the boolean " + node.asText();
        }
        return "null";
    }

    /** {@code Kind namespace/name} as far as the document says, before any checking. */
    private static String describeObject(ObjectNode o) {
        JsonNode kind = o.get("kind");
        JsonNode metadata = o.get("metadata");
        String namespace = "?";
        String name = "?";
        if (metadata != null && metadata.isObject()) {
            JsonNode ns = metadata.get("namespace");
            JsonNode n = metadata.get("name");
            namespace = ns != null && ns.isTextual() && !ns.textValue().isEmpty()
                    ? PolicyValues.escape(ns.textValue())
                    : "?";
            name = n != null && n.isTextual() && !n.textValue().isEmpty() ? PolicyValues.escape(n.textValue()) : "?";
        }
        String kindName = kind != null && kind.isTextual() ? PolicyValues.escape(kind.textValue()) : "object";
        return kindName + " " + namespace + "/" + name;
    }
}
