package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.AuthzRequest;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.flow.FlowEvent;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An opaque port: one L4 authorization of the connection (peer principal, source address, destination address and
 * port, SNI) with the port's engine, then the bytes are spliced both ways to the app on {@code appHost:port}, and one
 * {@code FlowEvent} is emitted when both sides are closed.
 *
 * <ul>
 *   <li>Backpressure: each side reads only while the other side is writable ({@code autoRead} toggled on
 *       writability), so a slow reader never makes the sidecar buffer.
 *   <li>Half-close: the end of one side's input (a FIN, or a TLS {@code close_notify}) shuts down the other side's
 *       output once what was read is written; the connection closes when both directions are done, or when either
 *       side closes.
 * </ul>
 *
 * The app connection uses the accepted channel's own class (an epoll or NIO socket on the same event loop). Confined
 * to the connection's event loop.
 */
final class TcpSpliceHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(TcpSpliceHandler.class);

    private final InboundServices services;
    private final InboundConnection connection;
    private final Instant start = Instant.now();
    private final long startNanos = System.nanoTime();
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private @Nullable ChannelHandlerContext context;
    private @Nullable Channel upstream;
    private @Nullable AuthzDecision decision;
    private long bytesIn;
    private long bytesOut;
    private boolean clientInputDone;
    private boolean upstreamInputDone;
    private boolean recorded;

    TcpSpliceHandler(InboundServices services, InboundConnection connection) {
        this.services = requireNonNull(services, "services");
        this.connection = requireNonNull(connection, "connection");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        client.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        client.closeFuture().addListener(f -> closed());

        InboundPort port = services.config()
                .current()
                .map(c -> c.inboundPort(connection.port()))
                .orElse(null);
        if (port == null) {
            var unused = client.close();
            return;
        }
        SpiffeId peer = connection.peer();
        AuthzDecision d = port.engine()
                .evaluate(AuthzRequest.connectionBuilder()
                        .peerPrincipal(peer == null ? null : peer.toString())
                        .sourceIp(connection.source().getAddress())
                        .destinationIp(connection.destination().getAddress())
                        .destinationPort(connection.port())
                        .requestedServerName(connection.serverName())
                        .build());
        decision = d;
        if (d.denied()) {
            var unused = client.close();
            return;
        }
        InetSocketAddress app = new InetSocketAddress(services.appHost(), connection.port());
        ChannelFuture connecting = new Bootstrap()
                .group(client.eventLoop())
                .channel(client.getClass())
                .option(
                        ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        connectTimeoutMillis(services.limits().connectTimeout()))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new UpstreamHandler())
                .connect(app);
        upstream = connecting.channel();
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                logger.debug("{} app {} not reachable: {}", client, app, String.valueOf(f.cause()));
                var unused = client.close();
                return;
            }
            Channel up = connecting.channel();
            up.closeFuture().addListener(c -> closed());
            Object msg;
            while ((msg = pending.poll()) != null) {
                up.write(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            }
            up.flush();
            if (clientInputDone) {
                shutdownOutput(up);
            }
            client.config().setAutoRead(up.isWritable());
            up.config().setAutoRead(client.isWritable());
        });
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        Object msg;
        while ((msg = pending.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes) {
            bytesIn += bytes.readableBytes();
        }
        Channel up = upstream;
        if (up == null || !up.isActive()) {
            if (up != null && up.isOpen()) {
                pending.add(msg); // still connecting
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        up.write(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (!up.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel up = upstream;
        if (up != null && up.isActive()) {
            up.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel up = upstream;
        if (up != null && up.isActive()) {
            up.config().setAutoRead(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
            clientInputDone = true;
            Channel up = upstream;
            if (up != null && up.isActive()) {
                shutdownOutput(up);
            }
            closeIfBothDone();
        } else if (evt instanceof InboundDrainEvent) {
            // An opaque stream has no request boundary to stop at: it runs until the drain deadline.
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("{} opaque connection failed", ctx.channel(), cause);
        var unused = ctx.close();
    }

    /** The app side: relays to the peer, mirrors backpressure and half-close. */
    private final class UpstreamHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext up, Object msg) {
            if (msg instanceof ByteBuf bytes) {
                bytesOut += bytes.readableBytes();
            }
            Channel client = client();
            client.write(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            if (!client.isWritable()) {
                up.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext up) {
            client().flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext up) {
            client().config().setAutoRead(up.channel().isWritable());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext up, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                upstreamInputDone = true;
                Channel client = client();
                SslHandler ssl = client.pipeline().get(SslHandler.class);
                if (ssl != null) {
                    // TLS: close_notify ends our direction; the peer may still send (TLS 1.3 half-close).
                    client.flush();
                    var unused = ssl.closeOutbound();
                } else {
                    shutdownOutput(client);
                }
                closeIfBothDone();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext up) {
            // Whatever was read from the app is written before the peer's side closes.
            client().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext up, Throwable cause) {
            logger.debug("{} app side of an opaque connection failed", up.channel(), cause);
            var unused = up.close();
        }
    }

    private Channel client() {
        ChannelHandlerContext ctx = context;
        if (ctx == null) {
            throw new IllegalStateException("not added to a pipeline");
        }
        return ctx.channel();
    }

    private static void shutdownOutput(Channel channel) {
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            if (channel instanceof DuplexChannel duplex && duplex.isActive()) {
                var unused = duplex.shutdownOutput();
            } else {
                var unused = channel.close();
            }
        });
    }

    private void closeIfBothDone() {
        if (clientInputDone && upstreamInputDone) {
            Channel up = upstream;
            if (up != null) {
                var unused = up.close();
            }
            client().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Either side closed: close the other, and record the connection once both are closed. */
    private void closed() {
        Channel up = upstream;
        Channel client = client();
        if (up != null && up.isOpen()) {
            var unused = up.close();
            return;
        }
        if (client.isOpen()) {
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (recorded) {
            return;
        }
        recorded = true;
        try {
            services.flows()
                    .record(new FlowEvent(
                            start,
                            Duration.ofNanos(System.nanoTime() - startNanos),
                            FlowEvent.Direction.INBOUND,
                            connection.peer(),
                            connection.self(),
                            connection.source(),
                            connection.destination(),
                            "TCP",
                            null,
                            null,
                            null,
                            0,
                            null,
                            bytesIn,
                            bytesOut,
                            decision,
                            null,
                            connection.tlsVersion(),
                            connection.cipher(),
                            null));
        } catch (RuntimeException e) {
            logger.warn("{} flow sink failed", client, e);
        }
    }

    private static int connectTimeoutMillis(Duration timeout) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
    }
}
