package dev.palisade.proxy.inbound.h2;

import dev.palisade.proxy.inbound.InboundConnection;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of an inbound HTTP/2 connection's pipeline: the multiplexer passes connection-level frames (SETTINGS, PING,
 * GOAWAY) on after acting on them; they stop here, released. An exception that reaches this far closes the connection,
 * unless it is an HTTP/2 protocol error, which the codec answers itself.
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
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            // The codec shows its own errors here before acting on them: a stream error resets the stream, a
            // connection error sends GOAWAY with its code (ENHANCE_YOUR_CALM for a reset flood) and closes. Closing
            // here first would send a graceful GOAWAY NO_ERROR instead.
            logger.debug("{} HTTP/2 protocol error from {}", ctx.channel(), connection.peer(), cause);
            return;
        }
        if (cause instanceof IOException || cause instanceof ClosedChannelException) {
            logger.debug("{} HTTP/2 connection from {} failed", ctx.channel(), connection.peer(), cause);
        } else {
            logger.warn("{} HTTP/2 connection from {} failed", ctx.channel(), connection.peer(), cause);
        }
        ctx.close();
    }
}
