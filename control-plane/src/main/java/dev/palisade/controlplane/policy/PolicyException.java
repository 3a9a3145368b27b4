package dev.palisade.controlplane.policy;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * One problem found in a policy source, located as precisely as the source allows: the file (or
 * object), the document in it, the object, the field path and what is wrong, as in
 *
 * <pre>{@code
 * policies/shop.yaml: document 2 (AuthorizationPolicy shop/payments):
 *     spec.rules[0].to[0].operation.paths[1]: '/v1/a*b': '*' is allowed only at the start or end
 * }</pre>
 *
 * <p>(one line in a real message).
 *
 * <p>Loads collect every problem rather than stopping at the first: see {@link
 * PolicyLoadException#errors()}. Values in messages are quoted with control characters escaped.
 */
public final class PolicyException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int document;
    private final @Nullable String object;
    private final String field;
    private final String problem;

    /**
     * @param source the file (as the operator named it) or object the problem is in
     * @param document the 1-based index of the YAML document in the file, or 0 when the problem is
     *     not in one document (an unreadable file, say)
     * @param object the object, {@code AuthorizationPolicy shop/payments}, as far as it is known
     * @param field the field path, {@code spec.rules[0].from[1].source.principals[0]}, or empty
     * @param problem what is wrong, usually {@code '<value>': <rule>}
     */
    public PolicyException(String source, int document, @Nullable String object, String field, String problem) {
        super(format(source, document, object, field, problem));
        this.source = requireNonNull(source, "source");
        this.document = document;
        this.object = object;
        this.field = requireNonNull(field, "field");
        this.problem = requireNonNull(problem, "problem");
    }

    private static String format(String source, int document, @Nullable String object, String field, String problem) {
        StringBuilder sb = new StringBuilder(source);
        if (document > 0) {
            sb.append(": document ").append(document);
        }
        if (object != null) {
            sb.append(" (").append(object).append(')');
        }
        if (!field.isEmpty()) {
            sb.append(": ").append(field);
        }
        return sb.append(": ").append(problem).toString();
    }

    /** The file or object the problem is in. */
    public String source() {
        return source;
    }

    /** The 1-based document index in the file, or 0. */
    public int document() {
        return document;
    }

    /** The object ({@code Kind namespace/name}) as far as it is known, or {@code null}. */
    public @Nullable String object() {
        return object;
    }

    /** The field path, or empty. */
    public String field() {
        return field;
    }

    /** What is wrong. */
    public String problem() {
        return problem;
    }
}
