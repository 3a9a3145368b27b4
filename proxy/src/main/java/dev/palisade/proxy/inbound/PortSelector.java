package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.capture.OriginalDestination;
import dev.palisade.proxy.capture.OriginalDestinationAddress;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * How an inbound listener learns which app port a connection is for.
 *
 * <ul>
 *   <li>{@link #fixed(int)}, explicit mode: the listener is bound for one app port (on a laptop, or for a port that
 *       is not captured); every connection is for that port.
 *   <li>{@link #originalDestination(Set)}, captured mode: iptables REDIRECTed the connection to the listener, and the
 *       kernel still knows where it was going ({@code SO_ORIGINAL_DST}, epoll only). A connection that was not
 *       redirected (someone connected to the listener's port itself), or whose original destination is one of the
 *       sidecar's own ports, is refused: forwarding it would send the sidecar its own traffic, a loop.
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class PortSelector {

    private final int fixedPort;
    private final Set<Integer> ownPorts;
    private final Function<Channel, Optional<OriginalDestinationAddress>> originalDestination;

    private PortSelector(
            int fixedPort,
            Set<Integer> ownPorts,
            Function<Channel, Optional<OriginalDestinationAddress>> originalDestination) {
        this.fixedPort = fixedPort;
        this.ownPorts = ownPorts;
        this.originalDestination = originalDestination;
    }

    /** Explicit mode: every connection is for {@code appPort}. */
    public static PortSelector fixed(int appPort) {
        checkPort(appPort, "appPort");
        return new PortSelector(appPort, Set.of(), channel -> Optional.empty());
    }

    /**
     * Captured mode: the port is the connection's original destination port; {@code ownPorts} are the sidecar's own
     * listening ports (inbound, outbound, admin, health), refused as destinations.
     */
    public static PortSelector originalDestination(Set<Integer> ownPorts) {
        return originalDestination(ownPorts, OriginalDestination::read);
    }

    /** Captured mode with another way to read the original destination: for tests. */
    static PortSelector originalDestination(
            Set<Integer> ownPorts, Function<Channel, Optional<OriginalDestinationAddress>> reader) {
        Set<Integer> ports = Set.copyOf(requireNonNull(ownPorts, "ownPorts"));
        ports.forEach(p -> checkPort(p, "ownPorts"));
        return new PortSelector(0, ports, requireNonNull(reader, "reader"));
    }

    /** Whether this selector reads {@code SO_ORIGINAL_DST}, which needs the epoll transport. */
    public boolean isCaptured() {
        return fixedPort == 0;
    }

    /** What a connection was resolved to: its port and destination, or why it is refused. */
    sealed interface Resolution permits Accepted, Refused {}

    /**
     * @param port the app port the peer meant
     * @param destination the address the peer meant: the original destination, or in explicit mode the listener's
     *     local address with the app port
     */
    record Accepted(int port, InetSocketAddress destination) implements Resolution {}

    /** @param reason the observer's label */
    record Refused(String reason) implements Resolution {}

    /** Resolves an accepted channel. Called once per connection, on its event loop. */
    Resolution resolve(Channel accepted) {
        SocketAddress local = accepted.localAddress();
        if (!(local instanceof InetSocketAddress localAddress)) {
            return new Refused(RefusalReasons.OTHER);
        }
        if (!isCaptured()) {
            return new Accepted(fixedPort, new InetSocketAddress(localAddress.getAddress(), fixedPort));
        }
        Optional<OriginalDestinationAddress> original = originalDestination.apply(accepted);
        if (original.isEmpty()) {
            return new Refused(RefusalReasons.NO_ORIGINAL_DESTINATION);
        }
        int port = original.get().port();
        if (ownPorts.contains(port)) {
            return new Refused(RefusalReasons.LOOP);
        }
        return new Accepted(port, original.get().address());
    }

    private static void checkPort(int port, String name) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + ": " + port + " (expected: 1-65535)");
        }
    }

    @Override
    public String toString() {
        return isCaptured()
                ? "PortSelector(original destination, own ports " + new TreeSet<>(ownPorts) + ")"
                : "PortSelector(fixed " + fixedPort + ")";
    }
}
