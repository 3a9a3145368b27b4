package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

/**
 * The mesh-wide settings of {@link PathNormalizer}.
 *
 * <p>{@link #defaults()} is the strictest combination: encoded slashes are rejected and repeated
 * slashes merged, which is what Istio recommends against CVE-2021-31920 (its
 * {@code MERGE_SLASHES} normalisation with {@code REJECT_REQUEST} for escaped slashes).
 *
 * @param escapedSlashes what to do with {@code %2F} and {@code %5C} in a path
 * @param mergeSlashes whether {@code //} (and longer runs) collapse to {@code /}; off, empty
 *     segments are kept as RFC 3986 §5.2.4 keeps them
 */
public record NormalizationOptions(EscapedSlashAction escapedSlashes, boolean mergeSlashes) {

    private static final NormalizationOptions DEFAULTS = new NormalizationOptions(EscapedSlashAction.REJECT, true);

    public NormalizationOptions {
        requireNonNull(escapedSlashes, "escapedSlashes");
    }

    /** Reject encoded slashes, merge repeated slashes. */
    public static NormalizationOptions defaults() {
        return DEFAULTS;
    }
}
