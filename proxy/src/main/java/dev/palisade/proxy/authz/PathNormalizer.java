package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Normalises an origin-form request-target ({@code /path?query}) into the one path that the policy
 * matches and the application receives, or rejects it when servers could read it differently.
 *
 * <p>Every authorization bypass in Istio's and Envoy's history comes down to the policy matching
 * one string while the application acts on another. The sidecar therefore forwards the normalised
 * path, never the raw one, and rejects rather than guesses wherever two common servers disagree.
 * The rules, in the order they apply:
 *
 * <ol>
 *   <li>The target starts with {@code /} (origin-form, RFC 9112 §3.2.1); {@code *} and
 *       absolute-form are {@link RequestNormalizer}'s business. Otherwise {@link
 *       RejectReason#NOT_ORIGIN_FORM}.
 *   <li>A {@code #} anywhere is {@link RejectReason#FRAGMENT}: clients never send fragments, and a
 *       policy compared against {@code /admin#x} misses {@code /admin} (Istio CVE-2021-39156,
 *       CVE-2020-8595).
 *   <li>The query is split off at the first {@code ?} and kept verbatim for forwarding; path rules
 *       never see it (CVE-2020-8595: an exact path rule must not fail because of {@code ?x}).
 *   <li>Raw characters: a control character (NUL, CR, LF, DEL...) is {@link
 *       RejectReason#CONTROL_CHARACTER} (Envoy CVE-2019-9900); space, anything above 0x7E and
 *       characters outside RFC 3986 {@code pchar} are {@link RejectReason#INVALID_CHARACTER}. The
 *       input comes from a decoder that maps bytes to chars one to one (ISO-8859-1), so a raw
 *       non-ASCII byte, an overlong UTF-8 form among them, is a char above 0x7E. A raw {@code \} is
 *       {@link RejectReason#BACKSLASH} (Envoy, IIS and WHATWG parsers read it as {@code /}); a raw
 *       {@code ;} is {@link RejectReason#PATH_PARAMETER} ({@code /public/..;/admin} is {@code
 *       /admin} to Tomcat: Orange Tsai, "Breaking Parser Logic", Black Hat 2018).
 *   <li>Percent-encoding, exactly once (RFC 3986 §2.3, §6.2.2.2; RFC 9110 §4.2.3): an escape of an
 *       unreserved character ({@code ALPHA DIGIT - . _ ~}) is decoded, so {@code %2e%2e} is {@code
 *       ..}; every other escape stays encoded with upper-case hex, so {@code %252e} stays {@code
 *       %252e} and is never decoded a second time (IIS CVE-2001-0333). A {@code %} without two hex
 *       digits is {@link RejectReason#INVALID_ENCODING}. {@code %2F} and {@code %5C} follow {@link
 *       EscapedSlashAction} (Istio CVE-2021-31920, Envoy CVE-2021-29492). {@code %00}-{@code %1F}
 *       and {@code %7F} are always {@link RejectReason#CONTROL_CHARACTER}; {@code %3B} is {@link
 *       RejectReason#PATH_PARAMETER} (some frameworks strip path parameters after decoding).
 *   <li>Overlong UTF-8 ({@link RejectReason#OVERLONG_UTF8}; RFC 3629 §3 and §10, IIS
 *       CVE-2000-0884): {@code %C0} and {@code %C1}, which can only start an overlong two-byte
 *       form, and the overlong ranges of the longer forms: {@code %E0} followed by {@code
 *       %80}-{@code %9F}, {@code %F0} by {@code %80}-{@code %8F}, and the pre-RFC 3629 five- and
 *       six-byte forms {@code %F8} by {@code %80}-{@code %87} and {@code %FC} by {@code %80}-{@code
 *       %83}. These are the only ways a lenient decoder turns non-ASCII bytes into {@code .} or
 *       {@code /}. Other bytes above 0x7F stay encoded and are forwarded: {@code /caf%C3%A9} is a
 *       legitimate path, and so is a Latin-1 {@code /caf%E9}; full UTF-8 validation would reject
 *       the latter without closing any bypass.
 *   <li>Dot segments are removed as RFC 3986 §5.2.4 says, after decoding (Envoy CVE-2019-9901). A
 *       {@code ..} at the root stays at the root ({@code /../../etc/passwd} is {@code
 *       /etc/passwd}), as in RFC 3986 and Envoy: because the normalised path is what is forwarded,
 *       the application can never act on the {@code ..}, so clamping opens no bypass, and it keeps
 *       the behaviour Istio users' policies were written against.
 *   <li>Then, when {@link NormalizationOptions#mergeSlashes()} is on, runs of {@code /} collapse to
 *       one (Istio CVE-2021-31920; the same order as Istio's {@code MERGE_SLASHES}). A trailing
 *       {@code /} is kept: {@code /a/} and {@code /a} are different resources.
 * </ol>
 *
 * <p>The result is idempotent: normalising a normalised path returns it unchanged, so a second
 * sidecar or {@code palisade authz check} on a forwarded path agrees with the first. Immutable
 * and thread-safe.
 */
public final class PathNormalizer {

    private static final String HEX_DIGITS = "0123456789ABCDEF";

    /** Raw characters allowed in a path: RFC 3986 {@code pchar} and {@code /}, minus {@code ;} and {@code %}. */
    private static final boolean[] PATH_CHARS = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            PATH_CHARS[c] = true;
            PATH_CHARS[Character.toUpperCase(c)] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            PATH_CHARS[c] = true;
        }
        for (char c : "-._~!$&'()*+,=:@/".toCharArray()) {
            PATH_CHARS[c] = true;
        }
    }

    private final NormalizationOptions options;

    public PathNormalizer(NormalizationOptions options) {
        this.options = requireNonNull(options, "options");
    }

    /** The options this normaliser applies. */
    public NormalizationOptions options() {
        return options;
    }

    @Override
    public String toString() {
        return "PathNormalizer{escapedSlashes=" + options.escapedSlashes() + ", mergeSlashes=" + options.mergeSlashes()
                + '}';
    }

    /**
     * Normalises an origin-form request-target.
     *
     * @param rawTarget the request-target as received, each byte one char (ISO-8859-1)
     * @return the normalised path and the verbatim query, or why the target was rejected
     */
    public PathResult normalize(String rawTarget) {
        requireNonNull(rawTarget, "rawTarget");
        if (rawTarget.isEmpty() || rawTarget.charAt(0) != '/') {
            return new Rejection(RejectReason.NOT_ORIGIN_FORM, rawTarget);
        }
        int hash = rawTarget.indexOf('#');
        if (hash >= 0) {
            return new Rejection(RejectReason.FRAGMENT, at(hash, rawTarget));
        }
        int question = rawTarget.indexOf('?');
        String rawPath = question < 0 ? rawTarget : rawTarget.substring(0, question);
        String query = question < 0 ? null : rawTarget.substring(question + 1);

        StringBuilder decoded = new StringBuilder(rawPath.length());
        Rejection rejection = decode(rawPath, decoded);
        if (rejection != null) {
            return rejection;
        }
        if (query != null) {
            rejection = checkQuery(query, question + 1, rawTarget);
            if (rejection != null) {
                return rejection;
            }
        }
        return new NormalizedPath(removeDotSegments(decoded), query);
    }

    /**
     * Checks raw characters and decodes escapes of unreserved characters into {@code out}, which
     * then holds only path characters, {@code /} and upper-case escapes of other bytes.
     */
    private @Nullable Rejection decode(String raw, StringBuilder out) {
        int length = raw.length();
        for (int i = 0; i < length; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int b = escapedByte(raw, i);
                if (b < 0) {
                    return new Rejection(RejectReason.INVALID_ENCODING, at(i, raw));
                }
                Rejection rejection = decodeEscape(b, raw, i, out);
                if (rejection != null) {
                    return rejection;
                }
                i += 2;
            } else if (c < 0x80 && PATH_CHARS[c]) {
                out.append(c);
            } else {
                return rawCharacter(c, i, raw);
            }
        }
        return null;
    }

    private @Nullable Rejection decodeEscape(int b, String raw, int index, StringBuilder out) {
        if (isUnreserved(b)) {
            out.append((char) b);
        } else if (b < 0x20 || b == 0x7F) {
            return new Rejection(RejectReason.CONTROL_CHARACTER, at(index, raw));
        } else if (b == '/' || b == '\\') {
            if (options.escapedSlashes() == EscapedSlashAction.REJECT) {
                return new Rejection(
                        b == '/' ? RejectReason.ENCODED_SLASH : RejectReason.ENCODED_BACKSLASH, at(index, raw));
            }
            out.append('/');
        } else if (b == ';') {
            return new Rejection(RejectReason.PATH_PARAMETER, at(index, raw));
        } else if (isOverlongLead(b, escapedByte(raw, index + 3))) {
            return new Rejection(RejectReason.OVERLONG_UTF8, at(index, raw));
        } else {
            out.append('%').append(HEX_DIGITS.charAt(b >> 4)).append(HEX_DIGITS.charAt(b & 0xF));
        }
        return null;
    }

    /**
     * Whether {@code lead}, followed by {@code next} (the next escaped byte, or -1 when no escape
     * follows), starts a UTF-8 sequence that encodes a code point in more bytes than it needs.
     */
    private static boolean isOverlongLead(int lead, int next) {
        return switch (lead) {
            case 0xC0, 0xC1 -> true;
            case 0xE0 -> next >= 0x80 && next <= 0x9F;
            case 0xF0 -> next >= 0x80 && next <= 0x8F;
            case 0xF8 -> next >= 0x80 && next <= 0x87;
            case 0xFC -> next >= 0x80 && next <= 0x83;
            default -> false;
        };
    }

    private static Rejection rawCharacter(char c, int index, String raw) {
        RejectReason reason;
        if (c < 0x20 || c == 0x7F) {
            reason = RejectReason.CONTROL_CHARACTER;
        } else if (c == '\\') {
            reason = RejectReason.BACKSLASH;
        } else if (c == ';') {
            reason = RejectReason.PATH_PARAMETER;
        } else {
            reason = RejectReason.INVALID_CHARACTER;
        }
        return new Rejection(reason, at(index, raw));
    }

    /**
     * The query is forwarded as received, but bytes that cannot appear in any request-target (RFC
     * 9112 §3.2: no control characters, spaces or raw non-ASCII) are still refused.
     */
    private static @Nullable Rejection checkQuery(String query, int offset, String rawTarget) {
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                return new Rejection(RejectReason.CONTROL_CHARACTER, at(offset + i, rawTarget));
            }
            if (c == ' ' || c > 0x7E) {
                return new Rejection(RejectReason.INVALID_CHARACTER, at(offset + i, rawTarget));
            }
        }
        return null;
    }

    /**
     * RFC 3986 §5.2.4 on a decoded path that starts with {@code /}: {@code .} segments vanish, a
     * {@code ..} removes the segment before it (none at the root), and a dot segment at the end
     * leaves a trailing slash. Empty segments count as segments, as in the RFC; merging them
     * afterwards matches Istio's order (normalise, then merge slashes).
     */
    private String removeDotSegments(CharSequence decoded) {
        List<String> segments = new ArrayList<>();
        int length = decoded.length();
        int start = 1;
        while (true) {
            int end = start;
            while (end < length && decoded.charAt(end) != '/') {
                end++;
            }
            String segment = decoded.subSequence(start, end).toString();
            boolean last = end >= length;
            if (segment.equals("..")) {
                if (!segments.isEmpty()) {
                    segments.remove(segments.size() - 1);
                }
                if (last) {
                    segments.add("");
                }
            } else if (segment.equals(".")) {
                if (last) {
                    segments.add("");
                }
            } else {
                segments.add(segment);
            }
            if (last) {
                break;
            }
            start = end + 1;
        }

        StringBuilder path = new StringBuilder(length);
        for (int i = 0; i < segments.size(); i++) {
            String segment = segments.get(i);
            boolean last = i == segments.size() - 1;
            if (segment.isEmpty() && !last && options.mergeSlashes()) {
                continue;
            }
            path.append('/').append(segment);
        }
        return path.length() == 0 ? "/" : path.toString();
    }

    /** The byte of the escape {@code %XX} at {@code index}, or -1 when there is no valid escape there. */
    private static int escapedByte(String s, int index) {
        if (index + 2 >= s.length() || s.charAt(index) != '%') {
            return -1;
        }
        int high = Character.digit(s.charAt(index + 1), 16);
        int low = Character.digit(s.charAt(index + 2), 16);
        // Character.digit also accepts non-ASCII digits; only 0-9, A-F and a-f are hex here.
        if (high < 0 || low < 0 || s.charAt(index + 1) > 0x7F || s.charAt(index + 2) > 0x7F) {
            return -1;
        }
        return high << 4 | low;
    }

    /** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
    private static boolean isUnreserved(int b) {
        return (b >= 'a' && b <= 'z')
                || (b >= 'A' && b <= 'Z')
                || (b >= '0' && b <= '9')
                || b == '-'
                || b == '.'
                || b == '_'
                || b == '~';
    }

    private static String at(int index, String raw) {
        return "at index " + index + " of " + raw;
    }
}
