package dev.palisade.proxy.outbound;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one direction of a relayed connection: what this channel reads is written to {@code peer}.
 *
 * <p>Backpressure: after a batch of reads the peer is flushed; when its outbound buffer is above the high water mark
 * this channel stops reading (auto-read off), and it resumes when the peer becomes writable again. Half-close: when
 * this channel's input ends (a FIN, or a TLS {@code close_notify}), the peer's output is shut after the pending writes
 *; the connection closes when both directions ended, or
 * when either side closes or fails.
 *
 * <p>Ownership (STYLE.md §2.5): each buffer read is handed to {@code peer.write}, which releases it on success and on
 * failure; nothing is held across events.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(RelayHandler.class);

    private final Channel peer;
    private final LongConsumer bytesRead;
    private final OutboundConnection connection;
    private boolean inputEnded;

    /**
     * @param peer where this channel's bytes go
     * @param bytesRead counts this channel's payload bytes
     */
    RelayHandler(Channel peer, LongConsumer bytesRead, OutboundConnection connection) {
        this.peer = requireNonNull(peer, "peer");
        this.bytesRead = requireNonNull(bytesRead, "bytesRead");
        this.connection = requireNonNull(connection, "connection");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            bytesRead.accept(buf.readableBytes());
        }
        peer.write(msg).addListener(closeBothOnFailure(ctx.channel()));
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // This channel drained below the low water mark: the peer may read again.
        if (ctx.channel().isWritable()) {
            resumeReading(peer);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            endInput(ctx.channel());
        } else if (evt instanceof SslCloseCompletionEvent) {
            // SslHandler fires this from inside its unwrap, before the plaintext decoded in the same read has been
            // passed on: ending the direction later, once that read is over, keeps the tail of the stream.
            Channel self = ctx.channel();
            ctx.executor().execute(() -> endInput(self));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(peer);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("{} relay failed", ctx.channel(), cause);
        ctx.close();
        closeOnFlush(peer);
    }

    private void endInput(Channel self) {
        if (inputEnded) {
            return;
        }
        inputEnded = true;
        boolean both = connection.directionDone();
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(flushed -> {
            if (!flushed.isSuccess() || both) {
                self.close();
                peer.close();
                return;
            }
            // A TCP FIN, without a close_notify first: SslHandler.closeOutbound() also ends the reading of what the
            // server still sends (the echo tests lost the tail of the stream), and TLS 1.3 half-close is not what
            // the inbound sidecar expects either. The full close that follows sends close_notify.
            shutdownOutput(peer);
        });
    }

    private static void shutdownOutput(Channel channel) {
        if (channel instanceof DuplexChannel duplex && channel.isActive()) {
            duplex.shutdownOutput();
        } else {
            channel.close();
        }
    }

    private ChannelFutureListener closeBothOnFailure(Channel self) {
        return f -> {
            if (!f.isSuccess()) {
                logger.debug("{} write to {} failed", self, peer, f.cause());
                self.close();
                peer.close();
            }
        };
    }

    /**
     * Turns reading of {@code channel} back on, unless its input has ended. Netty 4.2.18's epoll transport takes a
     * socket out of epoll once it waits for no event at all (its input ended and reading is paused), yet still treats
     * it as registered: asking for input again then fails with ENOENT, which used to end the relay before the answer
     * to a half-closed request was sent. With the input ended there is nothing left to read anyway.
     */
    static void resumeReading(Channel channel) {
        if (channel instanceof DuplexChannel duplex && duplex.isInputShutdown()) {
            return;
        }
        channel.config().setAutoRead(true);
    }

    static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
