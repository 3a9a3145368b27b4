package dev.palisade.proxy.authz;

/** Display helpers for parameterized test names: hostile inputs must not break reports. */
final class TestStrings {

    private TestStrings() {}

    /** {@code raw} with every char outside printable ASCII written as a Java escape. */
    static String escape(String raw) {
        StringBuilder out = new StringBuilder(raw.length() + 2).append('"');
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\' || c == '"') {
                out.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7F) {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.append('"').toString();
    }
}
