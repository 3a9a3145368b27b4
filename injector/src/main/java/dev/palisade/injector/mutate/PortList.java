package dev.palisade.injector.mutate;

import java.util.ArrayList;
import java.util.List;

/** Comma-separated port lists as annotations carry them: {@code "8080, 9090"}. */
final class PortList {

    private PortList() {}

    /**
     * Parses a list; blank means none.
     *
     * @throws IllegalArgumentException naming the first bad entry: empty, not a number, or outside 1-65535
     */
    static List<Integer> parse(String text) {
        List<Integer> ports = new ArrayList<>();
        if (text.isBlank()) {
            return ports;
        }
        for (String part : text.split(",", -1)) {
            String entry = part.strip();
            if (entry.isEmpty()) {
                throw new IllegalArgumentException("empty entry");
            }
            int port;
            try {
                port = entry.length() > 5 || !entry.chars().allMatch(c -> c >= '0' && c <= '9')
                        ? -1
                        : Integer.parseInt(entry);
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("'" + entry + "' is not a port");
            }
            ports.add(port);
        }
        return ports;
    }

    /** Formats ports as the {@code palisade init-iptables} flags take them: {@code 15000,15021}. */
    static String format(Iterable<Integer> ports) {
        StringBuilder sb = new StringBuilder();
        for (int port : ports) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(port);
        }
        return sb.toString();
    }
}
