package dev.palisade.proxy.capture;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the original destination of a connection that an iptables {@code REDIRECT} rule sent to the sidecar.
 *
 * <p>REDIRECT is destination NAT to a local port: the accepted socket's local address is the sidecar's listener
 * ({@code 10.1.2.3:15006}), and the address the client asked for ({@code 10.1.2.3:8080}) survives only in the
 * connection-tracking entry. Linux hands it out through {@code getsockopt(SOL_IP, SO_ORIGINAL_DST)} (a {@code
 * sockaddr_in}) and, for IPv6, {@code getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST)} (a {@code sockaddr_in6}); both are
 * option 80 ({@code linux/netfilter_ipv4.h}, {@code linux/netfilter_ipv6/ip6_tables.h}). Netty has no named option
 * for them (netty/netty#8044), but its epoll transport reads any option as raw bytes through {@link
 * RawUnixChannelOption}; NIO cannot, so capture needs epoll.
 *
 * <p>The family asked is the socket's: an IPv4 connection accepted on a dual-stack IPv6 listener has an IPv4-mapped
 * local address, which Java reports as an {@link Inet4Address}, and the kernel keeps its conntrack entry as IPv4.
 * Thread-safe: a {@code getsockopt} on the channel's descriptor, callable from any thread while the channel is open.
 */
public final class OriginalDestination {

    private static final Logger logger = LoggerFactory.getLogger(OriginalDestination.class);

    private static final int SOL_IP = 0;
    private static final int SOL_IPV6 = 41;
    private static final int SO_ORIGINAL_DST = 80;
    private static final int IP6T_SO_ORIGINAL_DST = 80;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCKADDR_IN_LENGTH = 16;
    private static final int SOCKADDR_IN6_LENGTH = 28;

    static final RawUnixChannelOption IPV4_OPTION =
            new RawUnixChannelOption("SO_ORIGINAL_DST", SOL_IP, SO_ORIGINAL_DST, SOCKADDR_IN_LENGTH);
    static final RawUnixChannelOption IPV6_OPTION =
            new RawUnixChannelOption("IP6T_SO_ORIGINAL_DST", SOL_IPV6, IP6T_SO_ORIGINAL_DST, SOCKADDR_IN6_LENGTH);

    private OriginalDestination() {}

    /**
     * The original destination of an accepted connection, or empty when it was not redirected: the kernel has no NAT
     * entry for it ({@code ENOENT}, or {@code ENOPROTOOPT} without connection tracking), or the entry's destination is
     * the socket's own local address (a client that connected to the listener's port directly).
     *
     * @param channel an accepted {@link EpollSocketChannel}
     * @throws IllegalArgumentException when the channel is not an epoll socket channel: with NIO the answer would
     *     always be empty, and a sidecar that believed it would treat every captured connection as uncaptured
     */
    public static Optional<OriginalDestinationAddress> read(Channel channel) {
        requireNonNull(channel, "channel");
        if (!(channel instanceof EpollSocketChannel)) {
            throw new IllegalArgumentException("channel: " + channel.getClass().getName()
                    + " (expected: an EpollSocketChannel; SO_ORIGINAL_DST needs the epoll transport)");
        }
        SocketAddress local = channel.localAddress();
        if (!(local instanceof InetSocketAddress localAddress)) {
            return Optional.empty(); // closed already
        }
        boolean ipv6 = localAddress.getAddress() instanceof Inet6Address;
        ByteBuffer sockaddr;
        try {
            sockaddr = channel.config().getOption(ipv6 ? IPV6_OPTION : IPV4_OPTION);
        } catch (ChannelException e) {
            logger.debug("{} no original destination: {}", channel, String.valueOf(e.getCause()));
            return Optional.empty();
        }
        InetSocketAddress original = parse(sockaddr);
        if (original.equals(localAddress)) {
            return Optional.empty();
        }
        return Optional.of(new OriginalDestinationAddress(original));
    }

    /**
     * Decodes a {@code sockaddr_in} or {@code sockaddr_in6} from its first byte to its limit: the family in host byte
     * order, the port and address in network byte order, and for IPv6 the scope id in host order. An IPv4-mapped IPv6
     * address comes back as an {@link Inet4Address}, as everywhere in Java.
     *
     * @throws IllegalArgumentException for an unknown family or a buffer too short for its family
     */
    static InetSocketAddress parse(ByteBuffer sockaddr) {
        ByteBuffer in = sockaddr.duplicate().order(ByteOrder.nativeOrder());
        int base = in.position();
        int length = in.remaining();
        if (length < 4) {
            throw new IllegalArgumentException("sockaddr: " + length + " bytes (expected: at least 4)");
        }
        int family = in.getShort(base) & 0xffff;
        int port = ((in.get(base + 2) & 0xff) << 8) | (in.get(base + 3) & 0xff);
        try {
            if (family == AF_INET) {
                requireLength(family, length, 8);
                byte[] address = new byte[4];
                in.get(base + 4, address);
                return new InetSocketAddress(InetAddress.getByAddress(address), port);
            }
            if (family == AF_INET6) {
                requireLength(family, length, SOCKADDR_IN6_LENGTH);
                byte[] address = new byte[16];
                in.get(base + 8, address);
                int scopeId = in.getInt(base + 24);
                InetAddress ip = InetAddress.getByAddress(address);
                if (scopeId != 0 && ip instanceof Inet6Address) {
                    ip = Inet6Address.getByAddress(null, address, scopeId);
                }
                return new InetSocketAddress(ip, port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of 4 or 16 bytes was refused", e);
        }
        throw new IllegalArgumentException(
                "sockaddr family: " + family + " (expected: AF_INET " + AF_INET + " or AF_INET6 " + AF_INET6 + ")");
    }

    private static void requireLength(int family, int length, int expected) {
        if (length < expected) {
            throw new IllegalArgumentException("sockaddr of family " + family + ": " + length + " bytes (expected: at"
                    + " least " + expected + ")");
        }
    }
}
