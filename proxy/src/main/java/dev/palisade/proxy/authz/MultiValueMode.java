package dev.palisade.proxy.authz;

/**
 * How a header condition treats a header with several values (repeated fields), decided per
 * matcher when the policies are compiled.
 *
 * <p>The mode follows the polarity of the filter: a matcher that can only make a request
 * <em>less</em> likely to pass (positive position in a DENY or LOG filter) is {@link #ANY}: it
 * matches when any value, any element of a comma-separated value, or the comma-joined value Envoy
 * would see, matches. A matcher that can
 * make a request <em>more</em> likely to pass (positive position in an ALLOW filter) is {@link
 * #EVERY}: it matches only when every value matches, and at least one exists. Each {@code
 * not_rule}, {@code not_id} or {@code invert_match} flips the mode for what is under it, so a
 * negation never turns a strict check into a loose one. Together these close the class of bypass
 * of Istio CVE-2026-26308 and CVE-2026-31838, where a second {@code x-tenant} field (or a value
 * joined to it) made a DENY condition miss or an ALLOW condition hit.
 */
enum MultiValueMode {
    /** Matches when any value, any comma-separated element of one, or the comma-joined value matches. */
    ANY,
    /** Matches when every value matches and there is at least one. */
    EVERY;

    /** The mode for the operand of a negation. */
    MultiValueMode flip() {
        return this == ANY ? EVERY : ANY;
    }
}
