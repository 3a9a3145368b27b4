package dev.palisade.proxy.capture;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;

/**
 * Where a captured connection was going before the REDIRECT rule rewrote its destination to the sidecar's port: the
 * address and port the client asked for, which the sidecar connects to (outbound) or authorizes against (inbound,
 * {@code destination_port}). A type of its own so that it is never confused with the socket's local or remote
 * address (STYLE.md §2.3).
 *
 * @param address resolved, never a host name
 */
public record OriginalDestinationAddress(InetSocketAddress address) {

    public OriginalDestinationAddress {
        requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address: " + address + " (expected: an IP address, not a host name)");
        }
    }

    public int port() {
        return address.getPort();
    }

    /** {@code 10.1.2.3:8080} or {@code [fd00::1]:8080}. */
    @Override
    public String toString() {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
