package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

/**
 * {@code requested_server_name}: the TLS SNI against a {@code StringMatcher}; a connection
 * without SNI is matched as the empty string, as Envoy does.
 */
final class ServerNameMatcher implements Matcher {

    private final StringMatch match;

    ServerNameMatcher(StringMatch match) {
        this.match = requireNonNull(match, "match");
    }

    @Override
    public boolean matches(AuthzRequest request) {
        String sni = request.requestedServerName();
        return match.matches(sni == null ? "" : sni);
    }

    @Override
    public Trace trace(AuthzRequest request) {
        String sni = request.requestedServerName();
        return Trace.leaf(
                matches(request),
                Rejection.printable("requested_server_name " + (sni == null ? "(none)" : sni)),
                Rejection.printable(match.describe()));
    }

    @Override
    public String describe() {
        return "requested_server_name " + match.describe();
    }
}
