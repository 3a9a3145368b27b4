package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw bytes both ways between two established channels on one event loop, after an HTTP/1.1 protocol switch (a
 * WebSocket upgrade): the same relay as {@link TcpSpliceHandler}'s. Backpressure: each side reads only while the other
 * is writable. Either side closing closes the other once what was read from it is written; when both are closed, the
 * listener gets the byte counts once. Anything but bytes (an HTTP codec's leftovers) is dropped.
 */
final class ByteSplice {

    private static final Logger logger = LoggerFactory.getLogger(ByteSplice.class);

    /** Told once, when both channels are closed. */
    interface Listener {
        void ended(long bytesFromClient, long bytesFromApp);
    }

    private final Channel client;
    private final Channel app;
    private final Listener listener;
    private long fromClient;
    private long fromApp;
    private boolean ended;

    ByteSplice(Channel client, Channel app, Listener listener) {
        this.client = requireNonNull(client, "client");
        this.app = requireNonNull(app, "app");
        this.listener = requireNonNull(listener, "listener");
        client.closeFuture().addListener(f -> closed());
        app.closeFuture().addListener(f -> closed());
    }

    ChannelInboundHandlerAdapter clientHandler() {
        return new Side(true);
    }

    ChannelInboundHandlerAdapter appHandler() {
        return new Side(false);
    }

    /** Starts reading on both sides (or closes both when one is gone already). */
    void start() {
        if (!client.isActive() || !app.isActive()) {
            var unused = client.close();
            var unused2 = app.close();
            return;
        }
        client.config().setAutoRead(app.isWritable());
        app.config().setAutoRead(client.isWritable());
    }

    private void closed() {
        if (app.isOpen()) {
            closeAfterFlush(app);
            return;
        }
        if (client.isOpen()) {
            closeAfterFlush(client);
            return;
        }
        if (ended) {
            return;
        }
        ended = true;
        listener.ended(fromClient, fromApp);
    }

    private static void closeAfterFlush(Channel channel) {
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private final class Side extends ChannelInboundHandlerAdapter {
        private final boolean fromClientSide;

        Side(boolean fromClientSide) {
            this.fromClientSide = fromClientSide;
        }

        private Channel other() {
            return fromClientSide ? app : client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf bytes)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (fromClientSide) {
                fromClient += bytes.readableBytes();
            } else {
                fromApp += bytes.readableBytes();
            }
            Channel other = other();
            if (!other.isActive()) {
                bytes.release();
                return;
            }
            other.write(bytes).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            if (!other.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            other().flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Channel other = other();
            if (other.isActive()) {
                other.config().setAutoRead(ctx.channel().isWritable());
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof InboundDrainEvent) {
                return; // no request boundary to stop at: runs until the drain deadline
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            logger.debug("{} upgraded connection failed", ctx.channel(), cause);
            var unused = ctx.close();
        }
    }
}
