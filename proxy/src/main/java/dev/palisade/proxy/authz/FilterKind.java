package dev.palisade.proxy.authz;

/**
 * The five RBAC filter configs of the contract with the policy compiler, in the order they must
 * arrive: each at most once, each absent when it has no policies, except ALLOW, which is present
 * with no policies under mesh default-deny.
 */
enum FilterKind {
    /** {@code rules.action = DENY}: the DENY policies. */
    DENY("DENY", MultiValueMode.ANY),
    /** {@code rules.action = LOG}: the AUDIT policies. */
    AUDIT("LOG (AUDIT)", MultiValueMode.ANY),
    /** {@code rules.action = ALLOW}: the ALLOW policies. */
    ALLOW("ALLOW", MultiValueMode.EVERY),
    /** No {@code rules}, {@code shadow_rules.action = DENY}: the dry-run DENY policies. */
    DRY_RUN_DENY("dry-run DENY", MultiValueMode.ANY),
    /** No {@code rules}, {@code shadow_rules.action = ALLOW}: the dry-run ALLOW policies. */
    DRY_RUN_ALLOW("dry-run ALLOW", MultiValueMode.EVERY);

    private final String label;
    private final MultiValueMode mode;

    FilterKind(String label, MultiValueMode mode) {
        this.label = label;
        this.mode = mode;
    }

    /** How header conditions in positive position treat several values in this filter. */
    MultiValueMode mode() {
        return mode;
    }

    @Override
    public String toString() {
        return label;
    }
}
