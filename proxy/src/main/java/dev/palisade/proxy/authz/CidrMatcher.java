package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * An address range against the peer's address ({@code direct_remote_ip}, {@code remote_ip},
 * {@code source_ip}: the same address for a sidecar, which trusts no forwarding header) or the
 * original destination address ({@code destination_ip}). An unknown address matches nothing.
 */
final class CidrMatcher implements Matcher {

    private final String field;
    private final Cidr range;
    private final boolean destination;

    /**
     * @param field the proto field name, for explanations
     * @param range the range
     * @param destination whether to test the destination address rather than the peer's
     */
    CidrMatcher(String field, Cidr range, boolean destination) {
        this.field = requireNonNull(field, "field");
        this.range = requireNonNull(range, "range");
        this.destination = destination;
    }

    @Override
    public boolean matches(AuthzRequest request) {
        InetAddress ip = address(request);
        return ip != null && range.contains(ip);
    }

    @Override
    public Trace trace(AuthzRequest request) {
        InetAddress ip = address(request);
        return Trace.leaf(
                matches(request), field + " " + (ip == null ? "(unknown)" : ip.getHostAddress()), range.toString());
    }

    private @Nullable InetAddress address(AuthzRequest request) {
        return destination ? request.destinationIp() : request.sourceIp();
    }

    @Override
    public String describe() {
        return field + " " + range;
    }
}
