package dev.palisade.controlplane.policy;

import java.util.stream.Collectors;

/** Builds the YAML documents of tests: an object header plus a spec, so that each case shows only what matters. */
final class TestYaml {

    private TestYaml() {}

    /** An {@code AuthorizationPolicy shop/p} with this spec (YAML, unindented). */
    static String authz(String spec) {
        return object("security.palisade.dev/v1", "AuthorizationPolicy", "shop", "p", spec);
    }

    /** A {@code PeerAuthentication shop/pa} with this spec. */
    static String peer(String spec) {
        return object("security.palisade.dev/v1", "PeerAuthentication", "shop", "pa", spec);
    }

    /** A {@code Workload shop/w} with this spec. */
    static String workload(String spec) {
        return object("palisade.dev/v1", "Workload", "shop", "w", spec);
    }

    /** An object of any kind with this spec. */
    static String object(String apiVersion, String kind, String namespace, String name, String spec) {
        return "apiVersion: " + apiVersion + "\n"
                + "kind: " + kind + "\n"
                + "metadata:\n"
                + "  name: " + name + "\n"
                + "  namespace: " + namespace + "\n"
                + "spec:\n"
                + indent(spec);
    }

    /** A rule with one {@code to} operation: {@code operation} is the operation's body. */
    static String operation(String operation) {
        return authz("rules:\n- to:\n  - operation:\n" + indent(indent(indent(operation))));
    }

    /** A rule with one {@code from} source: {@code source} is the source's body. */
    static String source(String source) {
        return authz("rules:\n- from:\n  - source:\n" + indent(indent(indent(source))));
    }

    /** A rule with one {@code when} condition: {@code condition} is the condition's body. */
    static String when(String condition) {
        return authz("rules:\n- when:\n  - " + indent(condition).strip().replace("\n", "\n  ") + "\n");
    }

    static String indent(String yaml) {
        return yaml.lines().map(l -> "  " + l).collect(Collectors.joining("\n", "", "\n"));
    }
}
