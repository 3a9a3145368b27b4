package dev.palisade.proxy.authz;

/**
 * {@code destination_port} (one port) and {@code destination_port_range} ({@code [start, end)}):
 * the original destination port of the connection. An unknown port (0) matches nothing.
 */
final class DestinationPortMatcher implements Matcher {

    private final int start;
    private final int end;
    private final String expected;

    private DestinationPortMatcher(int start, int end, String expected) {
        this.start = start;
        this.end = end;
        this.expected = expected;
    }

    /** {@code destination_port}: exactly {@code port}, 1..65535. */
    static DestinationPortMatcher port(int port) {
        return new DestinationPortMatcher(port, port + 1, Integer.toString(port));
    }

    /** {@code destination_port_range}: {@code start} inclusive to {@code end} exclusive. */
    static DestinationPortMatcher range(int start, int end) {
        return new DestinationPortMatcher(start, end, "[" + start + ", " + end + ")");
    }

    @Override
    public boolean matches(AuthzRequest request) {
        int port = request.destinationPort();
        return port != 0 && port >= start && port < end;
    }

    @Override
    public Trace trace(AuthzRequest request) {
        int port = request.destinationPort();
        return Trace.leaf(
                matches(request), "destination_port " + (port == 0 ? "(unknown)" : Integer.toString(port)), expected);
    }

    @Override
    public String describe() {
        return "destination_port " + expected;
    }
}
