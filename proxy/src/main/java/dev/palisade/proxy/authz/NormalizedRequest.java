package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A request as the authorization engine evaluates it and the data path forwards it, produced
 * by {@link RequestNormalizer}: the policy and the application see these values and no others.
 *
 * <p>Header names are lower case; each name maps to its values in arrival order, each value
 * trimmed of surrounding whitespace (RFC 9110 §5.5). Repeated fields stay separate values and
 * comma-joined values stay joined, so that the evaluator can apply a DENY condition when ANY value
 * matches and an ALLOW condition only when EVERY value does (issue 4). {@code host} is not among
 * the headers: its one normalised value is {@link #authority()}, which the data path forwards as
 * Host. Immutable.
 *
 * @param method the method, one or more upper-case ASCII letters
 * @param path the normalised path ({@link NormalizedPath}), or {@code *} for {@code OPTIONS *}
 * @param query the query as received without {@code ?}, or {@code null} when there was none
 * @param authority the normalised authority: lower-case host, no trailing dot, no default port
 * @param headers lower-case name to values in arrival order, without {@code host}
 */
public record NormalizedRequest(
        String method, String path, @Nullable String query, String authority, Map<String, List<String>> headers)
        implements RequestResult {

    public NormalizedRequest {
        requireNonNull(method, "method");
        requireNonNull(path, "path");
        requireNonNull(authority, "authority");
        headers = requireNonNull(headers, "headers").entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    }

    /** The values of a header in arrival order, or an empty list; {@code name} in any case. */
    public List<String> headerValues(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null ? List.of() : values;
    }

    /** The request-target to forward: the path, then {@code ?} and the query when there was one. */
    public String requestTarget() {
        return query == null ? path : path + '?' + query;
    }
}
