package dev.palisade.proxy.outbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.capture.OriginalDestination;
import dev.palisade.proxy.capture.OriginalDestinationAddress;
import dev.palisade.proxy.config.Destination;
import dev.palisade.proxy.config.ProxyConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The outbound listener: accepts the app's plaintext connections and carries each over its own mTLS connection to the
 * destination's sidecar.
 *
 * <p>Two modes. <b>Captured</b> ({@link #captured}): iptables redirects the app's outbound TCP to one port (15001); the
 * original destination is read from the socket (needs the epoll transport), refused when it is one of the sidecar's
 * own ports, looked up in the current {@link ProxyConfig}: a mesh destination gets mTLS with its {@link
 * Destination#expectedPeer()}, anything else is passed through as plain TCP or refused ({@link OutsideMeshPolicy}).
 * <b>Explicit</b> ({@link #explicit}): one local port per {@link ExplicitUpstream}, each going to a fixed remote
 * sidecar.
 *
 * <p>Per connection, the app's first bytes choose ALPN ({@code h2} for the HTTP/2 preface, else {@code http/1.1}), the
 * server's SPIFFE ID is checked after the handshake and before any app byte is sent, then bytes are relayed both ways
 * with backpressure and half-close. One {@code FlowEvent} (direction {@code OUTBOUND}) per app connection, and the
 * observer's {@code refused(reason)} with one of {@code not_redirected}, {@code reserved_port}, {@code no_config},
 * {@code outside_mesh}, {@code connect_failed}, {@code peer_mismatch}, {@code untrusted_certificate}, {@code
 * expired_certificate}, {@code invalid_svid}, {@code handshake_timeout}, {@code other}.
 *
 * <p>No connection is pooled or shared between app connections, so nothing is keyed by address alone. The event loop
 * group is borrowed: {@link #close()} closes the listeners and every connection, never the group.
 */
public final class OutboundServer implements AutoCloseable {

    private final List<Channel> listeners;
    private final Map<String, InetSocketAddress> addresses;
    private final ChannelGroup connections;

    private OutboundServer(
            List<Channel> listeners, Map<String, InetSocketAddress> addresses, ChannelGroup connections) {
        this.listeners = List.copyOf(listeners);
        this.addresses = Map.copyOf(addresses);
        this.connections = connections;
    }

    /**
     * Starts the captured-mode listener on {@code bind} (15001 in a pod).
     *
     * @param group an epoll group: the original destination is read with {@code SO_ORIGINAL_DST}, which NIO cannot
     * @throws IllegalArgumentException when {@code group} is not an epoll group
     */
    public static OutboundServer captured(EventLoopGroup group, InetSocketAddress bind, OutboundServices services)
            throws InterruptedException {
        if (!isEpoll(group)) {
            throw new IllegalArgumentException(
                    "group: not an epoll group (expected: epoll; SO_ORIGINAL_DST needs the epoll transport)");
        }
        return captured(group, bind, services, OriginalDestination::read);
    }

    /** {@link #captured(EventLoopGroup, InetSocketAddress, OutboundServices)} with another source of destinations. */
    static OutboundServer captured(
            EventLoopGroup group,
            InetSocketAddress bind,
            OutboundServices services,
            Function<Channel, Optional<OriginalDestinationAddress>> originalDestinations)
            throws InterruptedException {
        requireNonNull(services, "services");
        Function<Channel, OutboundTarget> targets = ch -> capturedTarget(services, originalDestinations.apply(ch));
        ChannelGroup connections = newConnectionGroup();
        Channel listener = bind(group, bind, services, targets, connections);
        return new OutboundServer(List.of(listener), Map.of("", localAddress(listener)), connections);
    }

    /** Starts one listener per upstream on {@code bindAddress} (127.0.0.1 on a laptop). */
    public static OutboundServer explicit(
            EventLoopGroup group, InetAddress bindAddress, List<ExplicitUpstream> upstreams, OutboundServices services)
            throws InterruptedException {
        requireNonNull(bindAddress, "bindAddress");
        requireNonNull(services, "services");
        List<Channel> listeners = new ArrayList<>();
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        ChannelGroup connections = newConnectionGroup();
        try {
            for (ExplicitUpstream upstream : upstreams) {
                if (addresses.containsKey(upstream.name())) {
                    throw new IllegalArgumentException("upstream " + upstream.name() + ": declared twice");
                }
                OutboundTarget target = new OutboundTarget.Mesh(
                        upstream.name(),
                        InetSocketAddress.createUnresolved(upstream.host(), upstream.port()),
                        upstream.expectedPeer());
                Channel listener = bind(
                        group,
                        new InetSocketAddress(bindAddress, upstream.listenPort()),
                        services,
                        ch -> target,
                        connections);
                listeners.add(listener);
                addresses.put(upstream.name(), localAddress(listener));
            }
        } catch (RuntimeException | InterruptedException e) {
            listeners.forEach(Channel::close);
            throw e;
        }
        return new OutboundServer(listeners, addresses, connections);
    }

    /** The captured-mode listener's address. */
    public InetSocketAddress localAddress() {
        return requireNonNull(addresses.get(""), "not a captured-mode server");
    }

    /** The local address of the explicit upstream {@code name}. */
    public InetSocketAddress localAddress(String name) {
        InetSocketAddress address = addresses.get(name);
        if (address == null) {
            throw new IllegalArgumentException("upstream: " + name + " (expected one of " + addresses.keySet() + ")");
        }
        return address;
    }

    /** Stops accepting; open connections continue (drain). */
    public void stopAccepting() {
        for (Channel listener : listeners) {
            listener.close().syncUninterruptibly();
        }
    }

    /** Stops accepting and closes every open connection. */
    @Override
    public void close() {
        stopAccepting();
        connections.close().syncUninterruptibly();
    }

    private static ChannelGroup newConnectionGroup() {
        return new DefaultChannelGroup("palisade-outbound", GlobalEventExecutor.INSTANCE);
    }

    static OutboundTarget capturedTarget(OutboundServices services, Optional<OriginalDestinationAddress> original) {
        if (original.isEmpty()) {
            return new OutboundTarget.Refused("not_redirected", null);
        }
        InetSocketAddress address = original.get().address();
        if (services.settings().reservedPorts().contains(address.getPort())) {
            return new OutboundTarget.Refused("reserved_port", address);
        }
        Optional<ProxyConfig> config = services.config().current();
        if (config.isEmpty()) {
            // Before the first config every destination would look outside the mesh: refuse rather than send a
            // mesh call in plaintext.
            return new OutboundTarget.Refused("no_config", address);
        }
        Destination destination = config.get().destination(address);
        if (destination != null) {
            return new OutboundTarget.Mesh(destination.cluster(), address, destination.expectedPeer());
        }
        return services.settings().outsideMesh() == OutsideMeshPolicy.ALLOW
                ? new OutboundTarget.Passthrough(address)
                : new OutboundTarget.Refused("outside_mesh", address);
    }

    private static Channel bind(
            EventLoopGroup group,
            InetSocketAddress address,
            OutboundServices services,
            Function<Channel, OutboundTarget> targets,
            ChannelGroup connections)
            throws InterruptedException {
        boolean epoll = isEpoll(group);
        Class<? extends ServerChannel> serverClass =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends Channel> clientClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        return new ServerBootstrap()
                .group(group)
                .channel(serverClass)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch); // removed again when it closes
                        ch.pipeline()
                                .addLast("outbound", new OutboundConnectionHandler(services, targets, clientClass));
                    }
                })
                .bind(address)
                .sync()
                .channel();
    }

    private static boolean isEpoll(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class);
    }

    private static InetSocketAddress localAddress(Channel listener) {
        return (InetSocketAddress) listener.localAddress();
    }
}
