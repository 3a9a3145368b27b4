package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Normalises a whole HTTP request (method, request-target, authority, header fields) into the
 * {@link NormalizedRequest} that the authorization engine evaluates and the data path forwards,
 * or rejects it when the policy and the application could read it differently.
 *
 * <p>HTTP/1.1 and HTTP/2 requests arrive in the same shape: the caller passes the method, the
 * request-target ({@code :path} in HTTP/2), the HTTP/2 {@code :authority} when there is one, and
 * the regular header fields in arrival order, Host among them. Rules, in the order they apply:
 *
 * <ul>
 *   <li><b>Scheme</b>: {@code http} or {@code https} in any case, else {@link
 *       RejectReason#INVALID_SCHEME}; it decides the default port.
 *   <li><b>Method</b>: one or more upper-case ASCII letters, else {@link
 *       RejectReason#INVALID_METHOD}, as Istio answers 400. Methods are case-sensitive (RFC 9110
 *       §9.1), so {@code get} is not {@code GET}: without this rule a policy about {@code GET}
 *       would not see it, while a lenient application might serve it as one. {@code
 *       X-HTTP-Method-Override}, {@code X-HTTP-Method} and {@code X-Method-Override} never change
 *       the method: they stay ordinary headers that a policy can match, and the method the policy
 *       sees is the one on the request line.
 *   <li><b>Header fields</b>: names must be RFC 9110 §5.1 tokens ({@link
 *       RejectReason#INVALID_HEADER_NAME}; pseudo-headers belong in the parameters) and are
 *       compared case-insensitively, stored lower case. Values containing NUL, CR or LF are {@link
 *       RejectReason#INVALID_HEADER_VALUE} (RFC 9110 §5.5, Envoy CVE-2019-9900: a matcher and the
 *       application must not cut the value at different places), as is a char above 0xFF, which
 *       no byte on the wire decodes to. Values are trimmed of leading and trailing spaces and tabs,
 *       which RFC 9110 §5.5 excludes from the value, so {@code " admin"} cannot dodge a DENY
 *       condition on {@code admin} in an application that trims. Repeated fields are kept as a list
 *       in arrival order, never joined (Istio CVE-2026-26308, CVE-2026-31838: issue 4).
 *   <li><b>Request-target</b>: {@code *} only for {@code OPTIONS} (RFC 9112 §3.2.4), origin-form
 *       through {@link PathNormalizer}, or absolute-form {@code http(s)://authority/path?query}
 *       (RFC 9112 §3.2.2), whose path is normalised like origin-form (an empty path is {@code /})
 *       and whose scheme must be the request's ({@link RejectReason#SCHEME_MISMATCH}). Anything
 *       else, authority-form ({@code CONNECT}) included, is {@link RejectReason#NOT_ORIGIN_FORM}.
 *   <li><b>Authority</b>: more than one Host field is {@link RejectReason#DUPLICATE_HOST} (RFC 9112
 *       §3.2). Each of the absolute-form authority, {@code :authority} and Host that is present is
 *       normalised as RFC 9110 §4.2.3 says: host lower-cased with {@link Locale#ROOT} (Istio
 *       CVE-2021-39155: policies compared Host case-sensitively, routing did not), one trailing dot
 *       stripped, an empty or default port ({@code :80} for http, {@code :443} for https) removed,
 *       leading zeros of a port dropped. Userinfo ({@code @}), percent-encoding, characters outside
 *       letters, digits, {@code - . _}, empty labels and invalid ports are {@link
 *       RejectReason#INVALID_AUTHORITY}; IPv6 literals are checked for their characters and
 *       lower-cased, not rewritten to RFC 5952 form. All present values must then agree ({@link
 *       RejectReason#AUTHORITY_MISMATCH}): RFC 9112 §3.2.2 lets an origin server ignore Host for an
 *       absolute-form target, and RFC 9113 §8.3.1 only says a server SHOULD treat a differing Host
 *       as malformed, so which one an application routes on is a guess; the sidecar refuses to
 *       guess. No authority at all is {@link RejectReason#MISSING_AUTHORITY}, since a policy on
 *       hosts cannot be evaluated without one.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class RequestNormalizer {

    /** RFC 9110 §5.6.2 {@code tchar}. */
    private static final boolean[] TOKEN_CHARS = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN_CHARS[c] = true;
            TOKEN_CHARS[Character.toUpperCase(c)] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            TOKEN_CHARS[c] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN_CHARS[c] = true;
        }
    }

    private static final int MAX_LABEL_LENGTH = 63;
    private static final int MAX_HOST_LENGTH = 253;

    private final PathNormalizer paths;

    public RequestNormalizer(PathNormalizer paths) {
        this.paths = requireNonNull(paths, "paths");
    }

    /** A normaliser with {@link NormalizationOptions#defaults()}. */
    public static RequestNormalizer withDefaults() {
        return new RequestNormalizer(new PathNormalizer(NormalizationOptions.defaults()));
    }

    /**
     * Normalises one request.
     *
     * @param scheme {@code http} or {@code https}: the scheme of the request ({@code :scheme} in
     *     HTTP/2)
     * @param method the method as received
     * @param target the request-target as received ({@code :path} in HTTP/2), each byte one char
     * @param authority the HTTP/2 {@code :authority} pseudo-header, or {@code null} in HTTP/1.x or
     *     when absent
     * @param headers the regular header fields in arrival order, Host included, each byte one char
     * @return the normalised request, or why it was rejected
     */
    public RequestResult normalize(
            String scheme,
            String method,
            String target,
            @Nullable String authority,
            List<? extends Map.Entry<String, String>> headers) {
        requireNonNull(scheme, "scheme");
        requireNonNull(method, "method");
        requireNonNull(target, "target");
        requireNonNull(headers, "headers");

        String normalizedScheme = scheme.toLowerCase(Locale.ROOT);
        if (!normalizedScheme.equals("http") && !normalizedScheme.equals("https")) {
            return new Rejection(RejectReason.INVALID_SCHEME, scheme);
        }
        if (!isUpperCaseLetters(method)) {
            return new Rejection(RejectReason.INVALID_METHOD, method);
        }

        Map<String, List<String>> fields = new LinkedHashMap<>();
        List<String> hosts = new ArrayList<>(1);
        for (Map.Entry<String, String> header : headers) {
            String name = requireNonNull(header.getKey(), "header name");
            String value = requireNonNull(header.getValue(), "header value");
            if (!isToken(name)) {
                return new Rejection(RejectReason.INVALID_HEADER_NAME, name);
            }
            if (!isValidFieldValue(value)) {
                return new Rejection(RejectReason.INVALID_HEADER_VALUE, name + ": " + value);
            }
            String lowerName = name.toLowerCase(Locale.ROOT);
            String trimmed = trimWhitespace(value);
            if (lowerName.equals("host")) {
                hosts.add(trimmed);
            } else {
                fields.computeIfAbsent(lowerName, n -> new ArrayList<>(1)).add(trimmed);
            }
        }

        String originForm = target;
        String targetAuthority = null;
        if (target.equals("*")) {
            if (!method.equals("OPTIONS")) {
                return new Rejection(RejectReason.NOT_ORIGIN_FORM, method + " *");
            }
        } else if (!target.startsWith("/")) {
            String targetScheme = absoluteFormScheme(target);
            if (targetScheme == null) {
                return new Rejection(RejectReason.NOT_ORIGIN_FORM, target);
            }
            if (!targetScheme.equals(normalizedScheme)) {
                return new Rejection(RejectReason.SCHEME_MISMATCH, normalizedScheme + " request for " + target);
            }
            int authorityStart = targetScheme.length() + 3;
            int authorityEnd = authorityStart;
            while (authorityEnd < target.length() && "/?#".indexOf(target.charAt(authorityEnd)) < 0) {
                authorityEnd++;
            }
            targetAuthority = target.substring(authorityStart, authorityEnd);
            String rest = target.substring(authorityEnd);
            // RFC 9110 §4.2.3: an empty path is equivalent to "/".
            originForm = rest.startsWith("/") ? rest : "/" + rest;
        }

        String path;
        String query;
        if (originForm.equals("*")) {
            path = "*";
            query = null;
        } else {
            PathResult result = paths.normalize(originForm);
            if (result instanceof Rejection rejection) {
                return rejection;
            }
            NormalizedPath normalized = (NormalizedPath) result;
            path = normalized.path();
            query = normalized.query();
        }

        if (hosts.size() > 1) {
            return new Rejection(RejectReason.DUPLICATE_HOST, String.join(", ", hosts));
        }
        String resolved = null;
        String resolvedFrom = null;
        List<Map.Entry<String, String>> sources = new ArrayList<>(3);
        if (targetAuthority != null) {
            sources.add(Map.entry("absolute-form authority", targetAuthority));
        }
        if (authority != null) {
            sources.add(Map.entry(":authority", authority));
        }
        if (!hosts.isEmpty()) {
            sources.add(Map.entry("Host", hosts.get(0)));
        }
        for (Map.Entry<String, String> source : sources) {
            String raw = source.getValue();
            String normalized = normalizeAuthority(raw, normalizedScheme);
            if (normalized == null) {
                return new Rejection(RejectReason.INVALID_AUTHORITY, source.getKey() + " " + raw);
            }
            if (resolved == null) {
                resolved = normalized;
                resolvedFrom = source.getKey();
            } else if (!resolved.equals(normalized)) {
                return new Rejection(
                        RejectReason.AUTHORITY_MISMATCH,
                        resolvedFrom + " " + resolved + " vs " + source.getKey() + " " + normalized);
            }
        }
        if (resolved == null) {
            return new Rejection(RejectReason.MISSING_AUTHORITY, method + " " + target);
        }
        return new NormalizedRequest(method, path, query, resolved, fields);
    }

    /**
     * The normalised form of an authority ({@code host[:port]}), or {@code null} when it is not a
     * valid one. RFC 9110 §4.2.3 and §7.2, RFC 3986 §3.2.
     */
    static @Nullable String normalizeAuthority(String raw, String scheme) {
        if (raw.isEmpty() || raw.indexOf('@') >= 0) {
            return null;
        }
        String host;
        String port;
        if (raw.charAt(0) == '[') {
            int close = raw.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = ipLiteral(raw.substring(1, close));
            String rest = raw.substring(close + 1);
            if (rest.isEmpty()) {
                port = null;
            } else if (rest.charAt(0) == ':') {
                port = rest.substring(1);
            } else {
                return null;
            }
        } else {
            int colon = raw.indexOf(':');
            host = regName(colon < 0 ? raw : raw.substring(0, colon));
            port = colon < 0 ? null : raw.substring(colon + 1);
        }
        if (host == null) {
            return null;
        }
        if (port == null || port.isEmpty()) {
            // RFC 3986 §6.2.3: an empty port is the same as no port.
            return host;
        }
        int number = parsePort(port);
        if (number < 0) {
            return null;
        }
        int defaultPort = scheme.equals("https") ? 443 : 80;
        return number == defaultPort ? host : host + ':' + number;
    }

    /** A DNS name or IPv4 address, lower-cased, one trailing dot stripped; null when invalid. */
    private static @Nullable String regName(String host) {
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (name.isEmpty() || name.length() > MAX_HOST_LENGTH) {
            return null;
        }
        int labelLength = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (labelLength == 0) {
                    return null;
                }
                labelLength = 0;
            } else if (isAsciiLetterOrDigit(c) || c == '-' || c == '_') {
                if (++labelLength > MAX_LABEL_LENGTH) {
                    return null;
                }
            } else {
                return null;
            }
        }
        if (labelLength == 0) {
            return null;
        }
        return name.toLowerCase(Locale.ROOT);
    }

    /** The inside of an IP literal, checked for IPv6 characters and lower-cased; null when invalid. */
    private static @Nullable String ipLiteral(String inside) {
        if (inside.indexOf(':') < 0) {
            // No zone IDs (RFC 6874) and no IPvFuture: neither has a place in a mesh.
            return null;
        }
        for (int i = 0; i < inside.length(); i++) {
            char c = inside.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex && c != ':' && c != '.') {
                return null;
            }
        }
        return "[" + inside.toLowerCase(Locale.ROOT) + "]";
    }

    /** 1 to 65535 in at most five decimal digits, or -1. */
    private static int parsePort(String port) {
        if (port.length() > 5) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < port.length(); i++) {
            char c = port.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value >= 1 && value <= 65535 ? value : -1;
    }

    /** {@code http} or {@code https} when the target starts with {@code http://} or {@code https://} in any case. */
    private static @Nullable String absoluteFormScheme(String target) {
        if (target.regionMatches(true, 0, "http://", 0, 7)) {
            return "http";
        }
        if (target.regionMatches(true, 0, "https://", 0, 8)) {
            return "https";
        }
        return null;
    }

    private static boolean isUpperCaseLetters(String method) {
        if (method.isEmpty()) {
            return false;
        }
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (c < 'A' || c > 'Z') {
                return false;
            }
        }
        return true;
    }

    private static boolean isToken(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x80 || !TOKEN_CHARS[c]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isValidFieldValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\0' || c == '\r' || c == '\n' || c > 0xFF) {
                return false;
            }
        }
        return true;
    }

    private static String trimWhitespace(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && isWhitespace(value.charAt(start))) {
            start++;
        }
        while (end > start && isWhitespace(value.charAt(end - 1))) {
            end--;
        }
        return value.substring(start, end);
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
