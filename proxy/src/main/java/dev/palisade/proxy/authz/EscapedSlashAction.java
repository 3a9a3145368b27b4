package dev.palisade.proxy.authz;

/**
 * What {@link PathNormalizer} does with {@code %2F} and {@code %5C} (encoded {@code /} and
 * {@code \}, either hex case) in a path: the equivalent of Istio's mesh setting
 * {@code pathWithEscapedSlashes} and Envoy's {@code path_with_escaped_slashes_action}.
 *
 * <p>An encoded slash is the textbook split-brain: a policy that compares {@code /a%2Fadmin} as
 * text does not match {@code /a/admin}, while many frameworks decode before routing (Istio
 * CVE-2021-31920, Envoy CVE-2021-29492). Istio's {@code KEEP_UNCHANGED} is therefore not offered:
 * it forwards a string that the policy and the application read differently. Nor is
 * {@code UNESCAPE_AND_REDIRECT}, which needs the data path to answer with a redirect.
 */
public enum EscapedSlashAction {
    /** Reject the request (400). The default and the strictest choice. */
    REJECT,
    /**
     * Decode {@code %2F} and {@code %5C} to {@code /} before dot segments are resolved (and,
     * when {@link NormalizationOptions#mergeSlashes()} is on, before slashes are merged: Istio's
     * {@code DECODE_AND_MERGE_SLASHES}), and forward the decoded path. {@code %5C} becomes
     * {@code /}, not {@code \}, as Envoy's path normalisation does: a raw backslash is rejected,
     * so decoding to one would make the output fail its own normalisation.
     */
    DECODE
}
