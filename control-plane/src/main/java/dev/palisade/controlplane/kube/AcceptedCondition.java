package dev.palisade.controlplane.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code Accepted} condition of a policy resource's {@code status.conditions} (the shape of
 * {@code metav1.Condition}): {@code True} with reason {@value #REASON_ACCEPTED} when the resource is valid,
 * {@code False} with reason {@value #REASON_INVALID} and the parser's problems as the message when it is not.
 *
 * <p>The condition is a function of the resource's content only (and its generation), never of what this control
 * plane has seen before: replicas that read the same resource write the same condition, so they never undo each
 * other's writes. {@code lastTransitionTime} changes only when the status flips.
 */
final class AcceptedCondition {
    static final String TYPE = "Accepted";
    static final String REASON_ACCEPTED = "Accepted";
    static final String REASON_INVALID = "Invalid";
    static final String MESSAGE_ACCEPTED = "the policy is valid and in force";
    /** {@code message} is at most 32 KiB in {@code metav1.Condition}. */
    static final int MAX_MESSAGE = 32 * 1024;

    private final boolean accepted;
    private final String message;
    private final @Nullable Long observedGeneration;

    private AcceptedCondition(boolean accepted, String message, @Nullable Long observedGeneration) {
        this.accepted = accepted;
        this.message = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
        this.observedGeneration = observedGeneration;
    }

    /** The condition a resource that read as {@code result} should carry. */
    static AcceptedCondition of(PolicyResourceReader.Result result, GenericKubernetesResource resource) {
        Long generation =
                resource.getMetadata() == null ? null : resource.getMetadata().getGeneration();
        return result.isValid()
                ? new AcceptedCondition(true, MESSAGE_ACCEPTED, generation)
                : new AcceptedCondition(false, result.describeProblems(), generation);
    }

    String status() {
        return accepted ? "True" : "False";
    }

    String reason() {
        return accepted ? REASON_ACCEPTED : REASON_INVALID;
    }

    String message() {
        return message;
    }

    /** Whether {@code resource} already carries this condition; {@code lastTransitionTime} is not compared. */
    boolean isCurrent(GenericKubernetesResource resource) {
        Map<String, Object> current = find(resource);
        return current != null
                && status().equals(current.get("status"))
                && reason().equals(current.get("reason"))
                && message.equals(current.get("message"))
                && Objects.equals(observedGeneration, asLong(current.get("observedGeneration")));
    }

    /**
     * The status {@code resource} should have: its current one, other conditions and fields kept, with this
     * condition in place of any earlier {@code Accepted} one.
     */
    Map<String, Object> applyTo(GenericKubernetesResource resource, Instant now) {
        Map<String, Object> status = new LinkedHashMap<>();
        Object existing = resource.getAdditionalProperties().get("status");
        if (existing instanceof Map<?, ?> map) {
            map.forEach((k, v) -> status.put(String.valueOf(k), v));
        }
        Map<String, Object> previous = find(resource);
        String since = previous != null
                        && status().equals(previous.get("status"))
                        && previous.get("lastTransitionTime") != null
                ? String.valueOf(previous.get("lastTransitionTime"))
                : now.truncatedTo(ChronoUnit.SECONDS).toString();
        Map<String, Object> condition = new LinkedHashMap<>();
        condition.put("type", TYPE);
        condition.put("status", status());
        condition.put("reason", reason());
        condition.put("message", message);
        if (observedGeneration != null) {
            condition.put("observedGeneration", observedGeneration);
            status.put("observedGeneration", observedGeneration);
        }
        condition.put("lastTransitionTime", since);
        List<Object> conditions = new ArrayList<>();
        if (status.get("conditions") instanceof List<?> list) {
            for (Object c : list) {
                if (!(c instanceof Map<?, ?> m && TYPE.equals(m.get("type")))) {
                    conditions.add(c);
                }
            }
        }
        conditions.add(condition);
        status.put("conditions", conditions);
        return status;
    }

    /** The resource's current {@code Accepted} condition, if it has one. */
    static @Nullable Map<String, Object> find(GenericKubernetesResource resource) {
        Object status = resource.getAdditionalProperties().get("status");
        if (status instanceof Map<?, ?> s && s.get("conditions") instanceof List<?> conditions) {
            for (Object c : conditions) {
                if (c instanceof Map<?, ?> m && TYPE.equals(m.get("type"))) {
                    Map<String, Object> copy = new LinkedHashMap<>();
                    m.forEach((k, v) -> copy.put(String.valueOf(k), v));
                    return copy;
                }
            }
        }
        return null;
    }

    private static @Nullable Long asLong(@Nullable Object value) {
        return value instanceof Number n ? n.longValue() : null;
    }

    @Override
    public String toString() {
        return TYPE + "=" + status() + " (" + reason() + "): " + message;
    }
}
