package dev.palisade.proxy.inbound.h2;

import dev.palisade.proxy.inbound.InboundConnection;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of an inbound HTTP/2 connection's pipeline: the multiplexer passes connection-level frames (SETTINGS, PING,
 * GOAWAY) on after acting on them; they stop here, released. An exception that reaches this far closes the connection.
 */
final class ConnectionFramesHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(ConnectionFramesHandler.class);

    private final InboundConnection connection;

    ConnectionFramesHandler(InboundConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof ClosedChannelException) {
            logger.debug("{} HTTP/2 connection from {} failed", ctx.channel(), connection.peer(), cause);
        } else {
            logger.warn("{} HTTP/2 connection from {} failed", ctx.channel(), connection.peer(), cause);
        }
        ctx.close();
    }
}
