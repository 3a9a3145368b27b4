package dev.palisade.injector.webhook;

import java.util.Locale;

/**
 * What the webhook answers for a pod it cannot inject (a bad annotation, an unreadable pod, an internal error), named
 * and meant like the {@code failurePolicy} of the MutatingWebhookConfiguration, which covers the webhook being
 * unreachable: the chart sets both from one value.
 */
public enum FailurePolicy {
    /** The pod is refused ({@code allowed: false}) with the reason; nothing runs without its proxy. */
    FAIL("Fail"),
    /** The pod is admitted without the proxy, and the reason is returned as a warning that kubectl prints. */
    IGNORE("Ignore");

    private final String kubernetesName;

    FailurePolicy(String kubernetesName) {
        this.kubernetesName = kubernetesName;
    }

    /** Parses {@code Fail} or {@code Ignore}, in any case. */
    public static FailurePolicy parse(String text) {
        for (FailurePolicy policy : values()) {
            if (policy.kubernetesName
                    .toLowerCase(Locale.ROOT)
                    .equals(text.strip().toLowerCase(Locale.ROOT))) {
                return policy;
            }
        }
        throw new IllegalArgumentException("invalid failure policy '" + text + "' (expected: Fail or Ignore)");
    }

    @Override
    public String toString() {
        return kubernetesName;
    }
}
