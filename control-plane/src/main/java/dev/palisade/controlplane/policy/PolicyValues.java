package dev.palisade.controlplane.policy;

import com.google.common.net.InetAddresses;
import dev.palisade.certs.spiffe.InvalidSpiffeIdException;
import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.spiffe.SpiffeIdRule;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The value rules of the policy language, one method per kind of value, shared by {@link
 * PolicyParser} (which reports a broken rule with its file and field path) and the records'
 * compact constructors (which refuse to hold an invalid value however they are built).
 *
 * <p>Each rule returns {@code null} for a valid value, or a sentence saying what is wrong with it.
 * The sentences never repeat the value: callers prefix it, escaped by {@link #quote}.
 *
 * <p>Path, host and header patterns must be written in the form the sidecar matches against, the
 * normalised request ({@code proxy} {@code RequestNormalizer}, {@code PathNormalizer}): a pattern
 * that no normalised request can ever match would silently narrow an ALLOW rule and, worse,
 * silently widen a DENY rule, so it is refused with the reason.
 */
final class PolicyValues {

    /** The {@code request.headers[...]} prefix of a header condition key. */
    static final String HEADER_KEY_PREFIX = "request.headers[";

    /** The header by which the sidecar tells the application who called; callers cannot set it. */
    static final String PEER_IDENTITY_HEADER = "x-palisade-peer-identity";

    private static final String DOTTED_DECIMAL =
            "must be an IPv4 address in dotted decimal (four numbers from 0 to 255, without leading zeros)";

    private static final int MAX_LABEL_VALUE = 63;
    private static final int MAX_SUBDOMAIN = 253;
    private static final int MAX_PORT_NAME = 15;

    private PolicyValues() {}

    /** A value rule: {@code null} when the value is valid, else what is wrong with it. */
    @FunctionalInterface
    interface Rule {
        @Nullable
        String problem(String value);
    }

    /** Throws {@link IllegalArgumentException} naming {@code what} and the value if {@code rule} refuses it. */
    static String require(String what, String value, Rule rule) {
        if (value == null) {
            throw new NullPointerException(what);
        }
        String problem = rule.problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(what + ": " + quote(value) + ": " + problem);
        }
        return value;
    }

    /** {@link #require} for every element; returns an immutable copy. */
    static List<String> requireAll(String what, List<String> values, Rule rule) {
        if (values == null) {
            throw new NullPointerException(what);
        }
        for (int i = 0; i < values.size(); i++) {
            require(what + "[" + i + "]", values.get(i), rule);
        }
        return List.copyOf(values);
    }

    /** Checks Kubernetes label keys and values. */
    static void requireLabels(String what, Map<String, String> labels) {
        for (Map.Entry<String, String> e : labels.entrySet()) {
            require(what + " key", e.getKey(), PolicyValues::labelKey);
            require(what + "." + e.getKey(), e.getValue(), PolicyValues::labelValue);
        }
    }

    /** The value in single quotes, escaped by {@link #escape}. */
    static String quote(String value) {
        return "'" + escape(value) + "'";
    }

    /** The text with control characters escaped ({@code \x0a}), cut at 200 characters: safe in any log line. */
    static String escape(String value) {
        StringBuilder sb = new StringBuilder(Math.min(value.length(), 210));
        for (int i = 0; i < value.length() && i < 200; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                sb.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (value.length() > 200) {
            sb.append("...");
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- names

    /** A namespace: a DNS-1123 label, as Kubernetes requires. */
    static @Nullable String namespace(String v) {
        if (v.isEmpty()) {
            return "must not be empty";
        }
        if (v.indexOf('*') >= 0) {
            return "namespace patterns are not supported: list the namespaces, or use a principal prefix"
                    + " such as 'spiffe://<trust-domain>/ns/<namespace>/*'";
        }
        return dnsLabel(v, 63);
    }

    /** An object name (metadata.name, a service account): a DNS-1123 subdomain, as Kubernetes requires. */
    static @Nullable String objectName(String v) {
        if (v.isEmpty()) {
            return "must not be empty";
        }
        if (v.length() > MAX_SUBDOMAIN) {
            return "must be at most 253 characters";
        }
        for (String label : v.split("\\.", -1)) {
            String problem = dnsLabel(label, 63);
            if (problem != null) {
                return "must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.',"
                        + " starting and ending with a letter or digit";
            }
        }
        return null;
    }

    private static @Nullable String dnsLabel(String v, int max) {
        if (v.isEmpty() || v.length() > max) {
            return "must be a DNS-1123 label: 1-" + max + " lower-case letters, digits and '-'";
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!alnum && (c != '-' || i == 0 || i == v.length() - 1)) {
                return "must be a DNS-1123 label: lower-case letters, digits and '-',"
                        + " starting and ending with a letter or digit";
            }
        }
        return null;
    }

    /** A port name: an IANA service name ({@code http}, {@code grpc-api}), as Kubernetes requires. */
    static @Nullable String portName(String v) {
        if (v.length() > MAX_PORT_NAME) {
            return "must be at most 15 characters (IANA service name)";
        }
        String problem = dnsLabel(v, MAX_PORT_NAME);
        if (problem != null || v.contains("--") || v.chars().noneMatch(c -> c >= 'a' && c <= 'z')) {
            return "must be an IANA service name: lower-case letters, digits and single '-',"
                    + " with at least one letter";
        }
        return null;
    }

    /** A Kubernetes label key: {@code [prefix/]name}. */
    static @Nullable String labelKey(String v) {
        int slash = v.indexOf('/');
        String name = v;
        if (slash >= 0) {
            String prefix = v.substring(0, slash);
            if (objectName(prefix) != null) {
                return "the prefix before '/' must be a DNS-1123 subdomain";
            }
            name = v.substring(slash + 1);
        }
        if (name.isEmpty() || !isLabelName(name)) {
            return "must be a label name: 1-63 letters, digits, '-', '_' and '.',"
                    + " starting and ending with a letter or digit";
        }
        return null;
    }

    /** A Kubernetes label value: empty, or like a label name. */
    static @Nullable String labelValue(String v) {
        if (v.isEmpty() || isLabelName(v)) {
            return null;
        }
        return "must be a label value: at most 63 letters, digits, '-', '_' and '.',"
                + " starting and ending with a letter or digit";
    }

    private static boolean isLabelName(String v) {
        if (v.length() > MAX_LABEL_VALUE) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            boolean inner = c == '-' || c == '_' || c == '.';
            if (!alnum && !(inner && i > 0 && i < v.length() - 1)) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- source values

    /**
     * A principal: a full SPIFFE ID ({@code spiffe://td/ns/a/sa/b}), a prefix of one ending in
     * {@code *} that includes the whole trust domain and a {@code /}, or {@code *} (any
     * authenticated peer). Identity values are literals; there are no suffix or infix patterns.
     */
    static @Nullable String principal(String v) {
        if (v.equals("*")) {
            return null;
        }
        if (v.isEmpty()) {
            return "must not be empty";
        }
        if (!v.startsWith("spiffe://")) {
            if (!v.contains("://") && v.contains("/ns/")) {
                return "must be a full SPIFFE ID: Istio's '<trust-domain>/ns/<ns>/sa/<sa>' form is written"
                        + " 'spiffe://<trust-domain>/ns/<ns>/sa/<sa>' here";
            }
            return "must be a SPIFFE ID (spiffe://<trust-domain>/<path>), a prefix of one ending in '*', or '*'";
        }
        int star = v.indexOf('*');
        if (star >= 0 && star != v.length() - 1) {
            return "'*' is allowed only at the end of a principal (a prefix) or alone";
        }
        if (star < 0) {
            try {
                SpiffeId.parse(v);
                return null;
            } catch (InvalidSpiffeIdException e) {
                return "not a valid SPIFFE ID: " + e.rule().message();
            }
        }
        String prefix = v.substring(0, v.length() - 1);
        try {
            // A valid prefix is one that some valid workload ID starts with, at any character.
            SpiffeId.parse(prefix + "x");
            return null;
        } catch (InvalidSpiffeIdException e) {
            if (e.rule() == SpiffeIdRule.PATH_REQUIRED || e.rule() == SpiffeIdRule.TRUST_DOMAIN_CHARACTERS) {
                int authorityEnd = prefix.indexOf('/', "spiffe://".length());
                if (authorityEnd < 0) {
                    return "a principal prefix must include the whole trust domain and a '/'"
                            + " (for example 'spiffe://cluster.local/ns/shop/*'), or a peer of another"
                            + " trust domain could match";
                }
            }
            return "not a prefix of a valid SPIFFE ID: " + e.rule().message();
        }
    }

    /**
     * An IP block: an IPv4 or IPv6 address, or a CIDR block {@code address/length} whose host bits
     * are zero. Never resolved through DNS.
     */
    static @Nullable String ipBlock(String v) {
        try {
            parseIpBlock(v);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * The address (in canonical text form) and prefix length of an IP block; a single address is a
     * block of one.
     *
     * @throws IllegalArgumentException saying what is wrong, for an invalid block
     */
    static IpBlock parseIpBlock(String v) {
        int slash = v.indexOf('/');
        InetAddress ip = parseIp(slash < 0 ? v : v.substring(0, slash));
        byte[] bytes = ip.getAddress();
        int bits = bytes.length * 8;
        int length = bits;
        if (slash >= 0) {
            String len = v.substring(slash + 1);
            if (!isCanonicalDecimal(len) || len.length() > 3 || Integer.parseInt(len) > bits) {
                throw new IllegalArgumentException("the prefix length must be a decimal number from 0 to " + bits);
            }
            length = Integer.parseInt(len);
        }
        for (int bit = length; bit < bits; bit++) {
            if ((bytes[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
                throw new IllegalArgumentException("host bits are set: did you mean '" + networkOf(bytes, length) + "/"
                        + length + "'? (a block is written with its network address)");
            }
        }
        return new IpBlock(InetAddresses.toAddrString(ip), length);
    }

    /** A CIDR block, its address in canonical text form. */
    record IpBlock(String address, int prefixLength) {}

    private static String networkOf(byte[] bytes, int length) {
        byte[] network = bytes.clone();
        for (int bit = length; bit < network.length * 8; bit++) {
            network[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddresses.toAddrString(InetAddress.getByAddress(network));
        } catch (UnknownHostException e) {
            throw new AssertionError("a 4- or 16-byte address", e);
        }
    }

    /** An IP address literal (a workload's address). */
    static @Nullable String ipAddress(String v) {
        try {
            parseIp(v);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static InetAddress parseIp(String v) {
        if (v.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean ok =
                    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
            if (!ok) {
                throw new IllegalArgumentException("must be an IPv4 or IPv6 address (no host names, no zone IDs)");
            }
        }
        InetAddress ip;
        try {
            ip = InetAddresses.forString(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    v.indexOf(':') < 0 ? DOTTED_DECIMAL : "must be an IPv4 or IPv6 address", e);
        }
        if (ip instanceof Inet4Address) {
            if (v.indexOf(':') >= 0) {
                throw new IllegalArgumentException(
                        "IPv4-mapped IPv6 addresses are not supported: write the IPv4 address");
            }
            if (!InetAddresses.toAddrString(ip).equals(v)) {
                throw new IllegalArgumentException(DOTTED_DECIMAL);
            }
        }
        return ip;
    }

    // ---------------------------------------------------------------- request values

    /** A method: upper-case ASCII letters, compared exactly (the sidecar rejects any other method). */
    static @Nullable String method(String v) {
        if (v.isEmpty()) {
            return "must not be empty";
        }
        if (v.equals("*")) {
            return "'*' is not a method: omit methods to match any method";
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 'A' || c > 'Z') {
                return "a method must be upper-case letters (methods are case-sensitive, and the sidecar"
                        + " rejects requests with any other method)";
            }
        }
        return null;
    }

    /** A port: a decimal number from 1 to 65535, as a string (Istio's form). */
    static @Nullable String port(String v) {
        if (!isCanonicalDecimal(v) || v.length() > 5 || Integer.parseInt(v) < 1 || Integer.parseInt(v) > 65535) {
            return "must be a port number from 1 to 65535 in decimal";
        }
        return null;
    }

    /** A port number from 1 to 65535. */
    static @Nullable String portNumber(int port) {
        return port >= 1 && port <= 65535 ? null : "must be a port number from 1 to 65535";
    }

    private static boolean isCanonicalDecimal(String v) {
        if (v.isEmpty() || (v.length() > 1 && v.charAt(0) == '0')) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            if (v.charAt(i) < '0' || v.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * A path pattern: {@code /exact}, {@code /prefix*}, {@code *suffix} or {@code *}, in the
     * normalised form the sidecar matches: RFC 3986 path characters, no {@code ;} or {@code \}, no
     * {@code ?} or {@code #}, no dot segments, no {@code //}, and percent-encoding only where the
     * sidecar keeps it (upper-case hex, never of an unreserved character, a slash or a control
     * character).
     */
    static @Nullable String path(String v) {
        if (v.isEmpty()) {
            return "must not be empty";
        }
        if (v.equals("*")) {
            return null;
        }
        String chars = forbiddenCharacter(v);
        if (chars != null) {
            return chars;
        }
        if (v.indexOf('?') >= 0) {
            return "'?' is not allowed: paths are matched without the query";
        }
        if (v.indexOf('#') >= 0) {
            return "'#' is not allowed: requests with a fragment are rejected before any rule sees them";
        }
        String star = starPlacement(v);
        if (star != null) {
            return star;
        }
        boolean suffix = v.startsWith("*");
        boolean prefix = v.endsWith("*");
        String body = suffix ? v.substring(1) : prefix ? v.substring(0, v.length() - 1) : v;
        if (!suffix && !body.startsWith("/")) {
            return "must start with '/', or be '*' or '*suffix'";
        }
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '%') {
                String problem = percentEscape(body, i);
                if (problem != null) {
                    return problem;
                }
                i += 2;
            } else if (c == '\\') {
                return "'\\' is not allowed: requests with a backslash in the path are rejected";
            } else if (c == ';') {
                return "';' is not allowed: requests with path parameters are rejected before any rule sees them";
            } else if (!isPathChar(c)) {
                return "character '" + c + "' is not allowed in a path (RFC 3986 pchar)";
            }
        }
        if (body.contains("//")) {
            return "'//' never matches: the sidecar merges repeated slashes before matching";
        }
        String[] segments = body.split("/", -1);
        // The first segment of a suffix and the last of a prefix may be partial ("*.js", "/v1/.well*").
        int from = suffix ? 1 : 0;
        int to = prefix ? segments.length - 1 : segments.length;
        for (int i = from; i < to; i++) {
            if (segments[i].equals(".") || segments[i].equals("..")) {
                return "dot segments ('.', '..') never match: the sidecar resolves them before matching";
            }
        }
        return null;
    }

    private static @Nullable String percentEscape(String s, int i) {
        if (i + 2 >= s.length()) {
            return "'%' must be followed by two upper-case hex digits";
        }
        char h = s.charAt(i + 1);
        char l = s.charAt(i + 2);
        if (!isUpperHex(h) || !isUpperHex(l)) {
            return "'%' must be followed by two upper-case hex digits (the sidecar upper-cases escapes)";
        }
        int b = Character.digit(h, 16) * 16 + Character.digit(l, 16);
        if (b < 0x20 || b == 0x7f) {
            return "an encoded control character never matches: such requests are rejected";
        }
        if (b == '/' || b == '\\') {
            return "an encoded '/' or '\\' never matches: such requests are rejected";
        }
        if (b == ';') {
            return "an encoded ';' never matches: requests with path parameters are rejected";
        }
        if (isUnreserved((char) b)) {
            return "'%" + h + l + "' encodes '" + (char) b + "': write '" + (char) b
                    + "' (the sidecar decodes it before matching)";
        }
        return null;
    }

    private static boolean isUpperHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '.'
                || c == '_'
                || c == '~';
    }

    /** RFC 3986 pchar and '/', minus ';' and '%' (handled by the caller). */
    private static boolean isPathChar(char c) {
        return isUnreserved(c) || "!$&'()*+,=:@/".indexOf(c) >= 0;
    }

    /** Refuses control characters, whitespace and characters outside Latin-1. */
    private static @Nullable String forbiddenCharacter(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                return "control characters are not allowed";
            }
            if (Character.isWhitespace(c) || c == 0xa0) {
                return "whitespace is not allowed";
            }
            if (c > 0xff) {
                return "characters beyond Latin-1 are not allowed: percent-encode their UTF-8 bytes";
            }
        }
        return null;
    }

    /** Checks that a pattern has at most one '*', at its start or its end. */
    private static @Nullable String starPlacement(String v) {
        int first = v.indexOf('*');
        if (first < 0) {
            return null;
        }
        int last = v.lastIndexOf('*');
        if (first == 0 && last == v.length() - 1 && first != last) {
            return "'*' is allowed at the start or at the end, not both";
        }
        if (first != last || (first != 0 && first != v.length() - 1)) {
            return "'*' is allowed only at the start or end";
        }
        return null;
    }

    /**
     * A host: a host name with an optional port ({@code api.example}, {@code api.example:8443}) or
     * {@code *.domain}, matched case-insensitively against the normalised authority (lower case, no
     * trailing dot, no default port).
     */
    static @Nullable String host(String v) {
        if (v.isEmpty()) {
            return "must not be empty";
        }
        if (v.equals("*")) {
            return "'*' would match any host: omit hosts instead";
        }
        String rest = v;
        if (v.startsWith("*")) {
            if (!v.startsWith("*.")) {
                return "a host wildcard must be '*.' followed by a domain, such as '*.example.com'";
            }
            rest = v.substring(2);
        }
        if (rest.indexOf('*') >= 0) {
            return "'*' is allowed only as a leading '*.'";
        }
        if (rest.startsWith("[")) {
            return "IPv6 literal hosts are not supported";
        }
        int colon = rest.indexOf(':');
        String name = colon < 0 ? rest : rest.substring(0, colon);
        if (colon >= 0) {
            String port = rest.substring(colon + 1);
            if (port(port) != null) {
                return "the port after ':' must be a number from 1 to 65535 in decimal";
            }
            if (port.equals("80") || port.equals("443")) {
                return "the sidecar removes a default port (80, 443) from the authority before matching:"
                        + " write the host without it";
            }
        }
        if (name.endsWith(".")) {
            return "a trailing '.' never matches: the sidecar removes it before matching";
        }
        for (String label : name.split("\\.", -1)) {
            if (label.isEmpty()) {
                return "a host must not have empty labels";
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z')
                        || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9')
                        || c == '-'
                        || c == '_';
                if (!ok) {
                    return "a host may contain only letters, digits, '-', '_' and '.'";
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- conditions

    /**
     * A condition key: {@code request.headers[<name>]}, {@code source.principal}, {@code
     * source.namespace}, {@code source.ip} or {@code destination.port}.
     */
    static @Nullable String conditionKey(String v) {
        if (v.startsWith(HEADER_KEY_PREFIX)) {
            if (!v.endsWith("]")) {
                return "a header key must be written 'request.headers[<name>]'";
            }
            String name = v.substring(HEADER_KEY_PREFIX.length(), v.length() - 1);
            if (name.isEmpty()) {
                return "the header name is empty";
            }
            if (name.startsWith(":")) {
                return "pseudo-headers cannot be tested: use methods, paths or hosts";
            }
            for (int i = 0; i < name.length(); i++) {
                if (!isTokenChar(name.charAt(i))) {
                    return "the header name must be an HTTP token (RFC 9110 §5.1)";
                }
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("host")) {
                return "Host is normalised into the authority: use hosts";
            }
            if (lower.equals(PEER_IDENTITY_HEADER)) {
                return "the sidecar sets " + PEER_IDENTITY_HEADER + " for the application; a caller's copy"
                        + " is not its identity: use source.principal";
            }
            return null;
        }
        return switch (v) {
            case "source.principal", "source.namespace", "source.ip", "destination.port" -> null;
            case "source.remote_ip", "remote.ip" ->
                "not supported: there is no proxy protocol or" + " X-Forwarded-For trust in the mesh; use source.ip";
            case "destination.ip", "connection.sni" -> "not supported: use destination.port or hosts";
            default -> {
                if (v.startsWith("request.auth.") || v.startsWith("request.regex.") || v.startsWith("experimental.")) {
                    yield "not supported: Palisade has no request authentication (JWT)";
                }
                yield "unknown condition key: the supported keys are request.headers[<name>], source.principal,"
                        + " source.namespace, source.ip and destination.port";
            }
        };
    }

    /** The attribute of a valid condition key. */
    static ConditionAttribute attributeOf(String key) {
        if (key.startsWith(HEADER_KEY_PREFIX)) {
            return ConditionAttribute.REQUEST_HEADER;
        }
        return switch (key) {
            case "source.principal" -> ConditionAttribute.SOURCE_PRINCIPAL;
            case "source.namespace" -> ConditionAttribute.SOURCE_NAMESPACE;
            case "source.ip" -> ConditionAttribute.SOURCE_IP;
            case "destination.port" -> ConditionAttribute.DESTINATION_PORT;
            default -> throw new IllegalArgumentException("condition key: " + quote(key) + ": " + conditionKey(key));
        };
    }

    /** The rule for the values of a condition on {@code attribute}. */
    static Rule conditionValueRule(ConditionAttribute attribute) {
        return switch (attribute) {
            case REQUEST_HEADER -> PolicyValues::headerValue;
            case SOURCE_PRINCIPAL -> PolicyValues::principal;
            case SOURCE_NAMESPACE -> PolicyValues::namespace;
            case SOURCE_IP -> PolicyValues::ipBlock;
            case DESTINATION_PORT -> PolicyValues::port;
        };
    }

    /**
     * A header value pattern: exact, {@code prefix*}, {@code *suffix}, or {@code *} (the header is
     * present). No control characters, and no leading or trailing whitespace (the sidecar trims
     * values, so such a pattern would never match).
     */
    static @Nullable String headerValue(String v) {
        if (v.isEmpty()) {
            return "must not be empty";
        }
        if (v.equals("*")) {
            return null;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return "control characters are not allowed";
            }
            if (c > 0xff) {
                return "characters beyond Latin-1 never match a header value";
            }
        }
        String star = starPlacement(v);
        if (star != null) {
            return star;
        }
        String body = v.startsWith("*") ? v.substring(1) : v.endsWith("*") ? v.substring(0, v.length() - 1) : v;
        boolean exactStart = !v.startsWith("*");
        boolean exactEnd = !v.endsWith("*");
        if ((exactStart && isBlank(body.charAt(0))) || (exactEnd && isBlank(body.charAt(body.length() - 1)))) {
            return "leading or trailing whitespace never matches: the sidecar trims header values";
        }
        return null;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
}
