package dev.palisade.controlplane.policy;

import java.util.List;
import java.util.Locale;

/**
 * {@code rules[].when[]}: an extra condition on the request or its source. The condition holds when
 * the attribute matches one of {@link #values} (if any are given) and none of {@link #notValues};
 * at least one of the two is non-empty.
 *
 * @param key {@code request.headers[<name>]}, {@code source.principal}, {@code source.namespace},
 *     {@code source.ip} or {@code destination.port}; nothing else is accepted
 * @param values the values, in the forms of the attribute (header patterns like paths, principals,
 *     namespaces, IP blocks or ports)
 * @param notValues values that must not match, same forms
 */
public record Condition(String key, List<String> values, List<String> notValues) {

    public Condition {
        PolicyValues.require("key", key, PolicyValues::conditionKey);
        PolicyValues.Rule rule = PolicyValues.conditionValueRule(PolicyValues.attributeOf(key));
        values = PolicyValues.requireAll("values", values, rule);
        notValues = PolicyValues.requireAll("notValues", notValues, rule);
        if (values.isEmpty() && notValues.isEmpty()) {
            throw new IllegalArgumentException("condition " + key + ": values or notValues must be set");
        }
    }

    /** The attribute the key names. */
    public ConditionAttribute attribute() {
        return PolicyValues.attributeOf(key);
    }

    /**
     * The header name of a {@code request.headers[<name>]} key, lower case (header names are
     * case-insensitive).
     *
     * @throws IllegalStateException for any other key
     */
    public String headerName() {
        if (attribute() != ConditionAttribute.REQUEST_HEADER) {
            throw new IllegalStateException(key + " is not a request header condition");
        }
        return key.substring(PolicyValues.HEADER_KEY_PREFIX.length(), key.length() - 1)
                .toLowerCase(Locale.ROOT);
    }
}
