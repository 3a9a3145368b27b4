package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * {@code url_path}: the normalised path, without the query, against a {@code StringMatcher}. The
 * path is the one the application receives ({@link PathNormalizer}), so the policy and the
 * application cannot disagree about it. Never matches a TCP connection.
 */
final class UrlPathMatcher implements Matcher {

    private final StringMatch match;

    UrlPathMatcher(StringMatch match) {
        this.match = requireNonNull(match, "match");
    }

    @Override
    public Prefilter prefilter() {
        if (match.ignoreCase()) {
            return Prefilter.NONE;
        }
        return switch (match.kind()) {
            case EXACT -> Prefilter.exactPath(match.pattern());
            case PREFIX -> Prefilter.pathPrefix(match.pattern());
            default -> Prefilter.NONE;
        };
    }

    @Override
    public boolean matches(AuthzRequest request) {
        String path = path(request);
        return path != null && match.matches(path);
    }

    @Override
    public Trace trace(AuthzRequest request) {
        String path = path(request);
        return Trace.leaf(
                matches(request),
                Rejection.printable("url_path " + (path == null ? "(none: not HTTP)" : path)),
                Rejection.printable(match.describe()));
    }

    private static @Nullable String path(AuthzRequest request) {
        NormalizedRequest http = request.http();
        return http == null ? null : http.path();
    }

    @Override
    public String describe() {
        return "url_path " + match.describe();
    }
}
