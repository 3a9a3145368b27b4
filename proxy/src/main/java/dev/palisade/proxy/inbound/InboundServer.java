package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound listener, the sidecar's enforcement point: accepts peers' connections, terminates mTLS (or accepts
 * plaintext on PERMISSIVE ports), authorizes every HTTP request (or every opaque TCP connection), and forwards what
 * is allowed to the app. The event loops are borrowed, never shut down here.
 *
 * <pre>{@code
 * InboundServer inbound = InboundServer.start(services, boss, workers, EpollServerSocketChannel.class,
 *         new InetSocketAddress(15006), PortSelector.originalDestination(Set.of(15000, 15001, 15006, 15021)));
 * ...
 * inbound.drain(Duration.ofSeconds(20)).join();   // on SIGTERM
 * }</pre>
 */
public final class InboundServer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(InboundServer.class);

    private final Channel serverChannel;
    private final ChannelGroup connections;

    private InboundServer(Channel serverChannel, ChannelGroup connections) {
        this.serverChannel = serverChannel;
        this.connections = connections;
    }

    /**
     * Binds a listener and starts accepting.
     *
     * @param services what every connection shares
     * @param boss the group that accepts
     * @param workers the group that serves connections (and their app connections, on the same loop)
     * @param channelType the server channel class; {@link EpollServerSocketChannel} for {@link
     *     PortSelector#originalDestination captured mode}, which reads {@code SO_ORIGINAL_DST}
     * @param bind where to listen
     * @param ports how a connection's app port is found
     * @throws UncheckedIOException when the address cannot be bound
     * @throws IllegalArgumentException when captured mode is asked of a transport other than epoll
     */
    public static InboundServer start(
            InboundServices services,
            EventLoopGroup boss,
            EventLoopGroup workers,
            Class<? extends ServerChannel> channelType,
            InetSocketAddress bind,
            PortSelector ports) {
        requireNonNull(services, "services");
        requireNonNull(boss, "boss");
        requireNonNull(workers, "workers");
        requireNonNull(channelType, "channelType");
        requireNonNull(bind, "bind");
        requireNonNull(ports, "ports");
        if (ports.isCaptured() && !EpollServerSocketChannel.class.isAssignableFrom(channelType)) {
            throw new IllegalArgumentException("channelType: " + channelType.getName()
                    + " (expected: EpollServerSocketChannel; the original destination needs the epoll transport)");
        }
        ChannelGroup connections = new DefaultChannelGroup("inbound " + bind, GlobalEventExecutor.INSTANCE);
        ChannelFuture bound = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelType)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new InboundChannelInitializer(services, ports, connections))
                .bind(bind)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            IOException io = cause instanceof IOException e ? e : new IOException(String.valueOf(cause), cause);
            throw new UncheckedIOException("cannot listen on " + bind, io);
        }
        logger.info("inbound listener on {} ({})", bound.channel().localAddress(), ports);
        return new InboundServer(bound.channel(), connections);
    }

    /** The bound address (with the actual port when asked for port 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The number of open connections. */
    public int openConnections() {
        return connections.size();
    }

    /**
     * Stops accepting, lets in-flight work finish, then closes what is left at the deadline. Each open connection
     * gets an {@link InboundDrainEvent}: HTTP/1.1 connections close when idle or after their current response,
     * connections still in their handshake close at once, opaque splices run on until the deadline.
     *
     * @return completes when every connection is closed
     */
    public CompletableFuture<Void> drain(Duration deadline) {
        requireNonNull(deadline, "deadline");
        CompletableFuture<Void> drained = new CompletableFuture<>();
        serverChannel.close().addListener(f -> {
            List<Channel> open = new ArrayList<>(connections);
            if (open.isEmpty()) {
                drained.complete(null);
                return;
            }
            for (Channel ch : open) {
                ch.closeFuture().addListener(c -> {
                    if (connections.isEmpty()) {
                        drained.complete(null);
                    }
                });
                ch.eventLoop().execute(() -> {
                    AcceptedConnection accepted =
                            ch.attr(AcceptedConnection.KEY).get();
                    if (accepted == null || !accepted.isEstablished()) {
                        var unused = ch.close();
                    } else {
                        ch.pipeline().fireUserEventTriggered(InboundDrainEvent.INSTANCE);
                    }
                });
            }
            var unused = GlobalEventExecutor.INSTANCE.schedule(
                    () -> {
                        if (!drained.isDone()) {
                            connections.close().addListener(c -> drained.complete(null));
                        }
                    },
                    deadline.toNanos(),
                    TimeUnit.NANOSECONDS);
        });
        return drained;
    }

    /** Stops accepting; open connections go on (see {@link #drain}, and close them with the event loops). */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
    }

    /** Stops accepting and closes every open connection now. */
    public void closeNow() {
        serverChannel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly();
    }
}
