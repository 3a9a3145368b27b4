package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

/**
 * The identity of a policy-source object: its kind, namespace and name. Two objects of the same
 * kind may not share a namespace and name.
 *
 * <p>{@link #toString()} is the form every message uses: {@code AuthorizationPolicy shop/payments}.
 */
public record ObjectRef(ObjectKind kind, String namespace, String name) implements Comparable<ObjectRef> {

    public ObjectRef {
        requireNonNull(kind, "kind");
        PolicyValues.require("namespace", namespace, PolicyValues::namespace);
        PolicyValues.require("name", name, PolicyValues::objectName);
    }

    /** {@code namespace/name}. */
    public String qualifiedName() {
        return namespace + "/" + name;
    }

    @Override
    public int compareTo(ObjectRef o) {
        int c = kind.compareTo(o.kind);
        if (c == 0) {
            c = namespace.compareTo(o.namespace);
        }
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return kind.kindName() + " " + qualifiedName();
    }
}
