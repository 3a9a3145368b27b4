package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

/**
 * A request or path that normalisation refused: the caller answers 400 and records the reason.
 *
 * <p>{@code detail} echoes the offending value for flow records and {@code palisade authz check}.
 * The value comes from the client, so the constructor makes it safe to log: every character
 * outside printable ASCII becomes {@code \xNN} (or {@code \}{@code uNNNN}), a backslash becomes
 * {@code \\}, and the result is cut at {@value #MAX_DETAIL_LENGTH} characters. A 400 body should
 * carry {@link RejectReason#message()}, not the detail.
 *
 * @param reason the rule that rejected the request
 * @param detail the offending value and where it was found, escaped as described above
 */
public record Rejection(RejectReason reason, String detail) implements PathResult, RequestResult {

    /** Longest detail kept, before the {@code ...} that marks a cut. */
    public static final int MAX_DETAIL_LENGTH = 200;

    public Rejection {
        requireNonNull(reason, "reason");
        detail = printable(requireNonNull(detail, "detail"));
    }

    /** {@code raw} made safe to log and show: see the class comment. */
    static String printable(String raw) {
        StringBuilder out = new StringBuilder(Math.min(raw.length(), MAX_DETAIL_LENGTH) + 8);
        for (int i = 0; i < raw.length(); i++) {
            if (out.length() >= MAX_DETAIL_LENGTH) {
                return out.append("...").toString();
            }
            char c = raw.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c >= 0x20 && c < 0x7F) {
                out.append(c);
            } else if (c <= 0xFF) {
                out.append("\\x").append(hex(c >> 4)).append(hex(c));
            } else {
                out.append("\\u")
                        .append(hex(c >> 12))
                        .append(hex(c >> 8))
                        .append(hex(c >> 4))
                        .append(hex(c));
            }
        }
        return out.toString();
    }

    private static char hex(int nibble) {
        return "0123456789ABCDEF".charAt(nibble & 0xF);
    }
}
