package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * A path in the one form that the policy matches and the application receives, produced by
 * {@link PathNormalizer}.
 *
 * <p>The path starts with {@code /}, has no dot segments, no {@code ;}, no backslash, no
 * fragment, decodes no further unreserved characters, and writes every remaining escape with
 * upper-case hex digits; normalising it again returns it unchanged. The record cannot check
 * that itself, so only the normalisers should make one outside tests.
 *
 * @param path the normalised path, without the query
 * @param query the query exactly as received, without the {@code ?}; {@code null} when the target
 *     had no {@code ?}, empty when it ended with one. It is not normalised: Envoy's
 *     {@code url_path} matcher (and so every path rule) ignores it, and the application decodes
 *     it on its own terms
 */
public record NormalizedPath(String path, @Nullable String query) implements PathResult {

    public NormalizedPath {
        requireNonNull(path, "path");
    }

    /** The request-target to forward: the path, then {@code ?} and the query when there was one. */
    public String requestTarget() {
        return query == null ? path : path + '?' + query;
    }
}
