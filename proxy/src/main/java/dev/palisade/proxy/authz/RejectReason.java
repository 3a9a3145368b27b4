package dev.palisade.proxy.authz;

/**
 * Why a request was rejected before any authorization rule saw it: one constant per
 * normalisation rule. The data path answers every rejection with HTTP 400.
 *
 * <p>The rules and the vulnerabilities they close are listed on {@link PathNormalizer} (path) and
 * {@link RequestNormalizer} (method, authority, headers), and in the module README.
 */
public enum RejectReason {
    /** RFC 9112 §3.2: the target is not {@code /path}, an {@code http(s)://} URI, or {@code *} for OPTIONS. */
    NOT_ORIGIN_FORM("request-target is neither origin-form, an http(s) absolute-form URI, nor '*' for OPTIONS"),
    /** A {@code #} in the target: fragments are never sent by clients (Istio CVE-2021-39156). */
    FRAGMENT("request-target contains a fragment ('#')"),
    /** A control character, raw or percent-encoded, such as NUL, CR or LF (Envoy CVE-2019-9900). */
    CONTROL_CHARACTER("request-target contains a control character (raw or percent-encoded)"),
    /**
     * A raw byte RFC 3986 does not allow there: space, anything above 0x7E, or in a path a
     * character outside {@code pchar} such as a double quote, angle brackets or braces.
     */
    INVALID_CHARACTER("request-target contains a character that is not allowed there"),
    /** A raw {@code \} in the path, which some servers treat as {@code /}. */
    BACKSLASH("path contains a backslash"),
    /** A {@code ;}, raw or {@code %3B}: to Tomcat {@code /public/..;/admin} is {@code /admin}. */
    PATH_PARAMETER("path contains ';' (path parameters)"),
    /** A {@code %} not followed by two hexadecimal digits. */
    INVALID_ENCODING("path contains '%' not followed by two hexadecimal digits"),
    /** {@code %2F}, rejected under {@link EscapedSlashAction#REJECT} (Istio CVE-2021-31920). */
    ENCODED_SLASH("path contains an encoded '/' (%2F)"),
    /** {@code %5C}, rejected under {@link EscapedSlashAction#REJECT} (Istio CVE-2021-31920). */
    ENCODED_BACKSLASH("path contains an encoded '\\' (%5C)"),
    /** An overlong UTF-8 form such as {@code %C0%AE} for {@code .} (IIS CVE-2000-0884, RFC 3629 §10). */
    OVERLONG_UTF8("path contains an overlong UTF-8 encoding"),
    /** The scheme is neither {@code http} nor {@code https}. */
    INVALID_SCHEME("scheme is neither http nor https"),
    /** An absolute-form target names another scheme than the request's. */
    SCHEME_MISMATCH("absolute-form request-target names a different scheme than the request"),
    /** The method is not one or more upper-case ASCII letters (so {@code get} never slips past {@code GET}). */
    INVALID_METHOD("method is not one or more upper-case ASCII letters"),
    /** No Host header, no {@code :authority} and no absolute-form authority. */
    MISSING_AUTHORITY("request names no authority (no Host, :authority or absolute-form URI)"),
    /** An authority that is empty, carries userinfo, or has a character or port that is not allowed. */
    INVALID_AUTHORITY("authority is empty, has userinfo, or has an invalid host or port"),
    /** Host, {@code :authority} and the absolute-form authority disagree after normalisation. */
    AUTHORITY_MISMATCH("Host, :authority and the absolute-form authority disagree"),
    /** More than one Host header (RFC 9112 §3.2). */
    DUPLICATE_HOST("request has more than one Host header"),
    /** A header name that is not an RFC 9110 §5.1 token (pseudo-headers included). */
    INVALID_HEADER_NAME("header name is not a token"),
    /** A header value with NUL, CR or LF (RFC 9110 §5.5, Envoy CVE-2019-9900). */
    INVALID_HEADER_VALUE("header value contains NUL, CR or LF");

    private final String message;

    RejectReason(String message) {
        this.message = message;
    }

    /** A short human-readable explanation, safe to put in a 400 body or a flow record. */
    public String message() {
        return message;
    }
}
