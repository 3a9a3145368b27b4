package dev.palisade.controlplane.admin;

import dev.palisade.controlplane.config.AdminToken;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Who may read what on the admin port. {@code /ready}, {@code /live} and {@code /metrics} are open (kubelet probes,
 * Prometheus). The auditor's page ({@code /ui} and {@code /ui/...}, static files without data) is open too when a
 * token is configured (the page asks for the token and sends it on its API calls); without a token it is loopback
 * only, like the API. Every other path — {@code /config}, {@code /api/...}, paths that do not exist, and any added later —
 * needs, when a token is configured, {@code Authorization: Bearer <token>} (else 401); without a token, a loopback
 * peer (else 403: the flow records and the policy configuration are not for every pod of the cluster).
 *
 * <p>The open paths are matched exactly against the path the router dispatches on ({@link AdminServer#routedPath}:
 * percent-decoded, query removed), so {@code /%61pi/flows} is {@code /api/flows} to both, and neither
 * {@code /metrics/../api/flows} nor {@code //metrics} is open. Unknown paths are guarded too: a caller without
 * access learns nothing, not even which paths exist.
 *
 * <p>Immutable and thread-safe; {@link #decide} is called on the event loop for every request before any endpoint
 * runs.
 */
public final class AdminAccess {
    /** The paths anyone may read. */
    static final Set<String> OPEN_PATHS = Set.of("/ready", "/live", "/metrics");

    /** {@code WWW-Authenticate} of every 401 (RFC 6750 §3). */
    static final String CHALLENGE = "Bearer realm=\"palisade\"";

    private final @Nullable AdminToken token;

    private AdminAccess(@Nullable AdminToken token) {
        this.token = token;
    }

    /** Bearer-token access when {@code token} is given, else loopback-only. */
    public static AdminAccess of(@Nullable AdminToken token) {
        return new AdminAccess(token);
    }

    /** Loopback-only access: what runs when no token is configured. */
    public static AdminAccess loopbackOnly() {
        return new AdminAccess(null);
    }

    /** Whether a token guards the API (otherwise it is loopback-only). */
    public boolean hasToken() {
        return token != null;
    }

    /** What a request is allowed: {@link #ALLOWED}, or the status and body to answer it with instead. */
    record Decision(int status, String body) {
        boolean allowed() {
            return status == 200;
        }
    }

    static final Decision ALLOWED = new Decision(200, "");

    static final Decision NOT_LOOPBACK = new Decision(
            403,
            "forbidden: without an admin token this API answers loopback clients only; start the control plane with"
                    + " --admin-token-file FILE or " + AdminToken.ENV
                    + " (Helm: controlPlane.ui.bearerTokenSecret), or use kubectl port-forward\n");

    /**
     * Decides one request.
     *
     * @param path the path as the router sees it ({@link AdminServer#routedPath})
     * @param remote the peer's address, or null when unknown (treated as not loopback)
     * @param authorization every {@code Authorization} header of the request, in order
     */
    Decision decide(String path, @Nullable InetAddress remote, List<String> authorization) {
        if (OPEN_PATHS.contains(path)) {
            return ALLOWED;
        }
        AdminToken expected = token;
        if (expected != null && isPage(path)) {
            // The page's static files hold no data, and a browser navigation cannot send the token: open to
            // whoever reaches /ready. Without a token they fall under the loopback rule below, like /api.
            return ALLOWED;
        }
        if (expected == null) {
            return remote != null && remote.isLoopbackAddress() ? ALLOWED : NOT_LOOPBACK;
        }
        if (authorization.isEmpty()) {
            return unauthorized("missing Authorization header: send 'Authorization: Bearer <admin token>'");
        }
        if (authorization.size() > 1) {
            return unauthorized("more than one Authorization header");
        }
        // RFC 7235 §2.1: the scheme is case-insensitive and 1*SP separates it from the credentials. Only what the
        // caller sent is described, never its token.
        String header = authorization.get(0).strip();
        int space = header.indexOf(' ');
        String scheme = space < 0 ? header : header.substring(0, space);
        if (!scheme.toLowerCase(Locale.ROOT).equals("bearer")) {
            return unauthorized("the Authorization scheme is not Bearer: send 'Authorization: Bearer <admin token>'");
        }
        String presented = space < 0 ? "" : header.substring(space + 1).strip();
        if (presented.isEmpty()) {
            return unauthorized("the Bearer credentials are empty: send 'Authorization: Bearer <admin token>'");
        }
        return expected.matches(presented) ? ALLOWED : unauthorized("wrong admin token");
    }

    /** {@code /ui} and {@code /ui/...}: the auditor's page (static files, or a 404). */
    static boolean isPage(String path) {
        return path.equals("/ui") || path.startsWith("/ui/");
    }

    private static Decision unauthorized(String why) {
        return new Decision(401, "unauthorized: " + why + "\n");
    }

    @Override
    public String toString() {
        return token == null ? "AdminAccess(loopback only)" : "AdminAccess(bearer token " + token + ")";
    }
}
