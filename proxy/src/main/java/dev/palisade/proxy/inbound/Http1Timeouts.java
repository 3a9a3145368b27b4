package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The two timeouts of an HTTP/1.1 connection, in two handlers that share this state: {@link #bytesHandler()} in front
 * of the codec sees raw bytes arrive, {@link #messagesHandler()} behind it sees requests decoded and responses end.
 *
 * <ul>
 *   <li><b>Header read</b> ({@link InboundLimits#headerReadTimeout()}, slowloris): armed when the connection is
 *       established, and after each exchange when the first byte of the next request arrives; disarmed when the
 *       request's headers are decoded. When it fires, the peer gets {@code 408} and the connection closes.
 *   <li><b>Idle</b> ({@link InboundLimits#idleTimeout()}): no request in flight and no byte received for that long
 *       closes the connection. A keep-alive connection between requests is idle, not slow.
 * </ul>
 *
 * A request in flight (decoded, its final response not fully written) has neither: its body and its response run as
 * long as the peer and the app keep them moving. Confined to the channel's event loop.
 */
final class Http1Timeouts {

    private final InboundLimits limits;
    private final InboundObserver observer;
    /** Requests decoded whose final response is not fully written yet. */
    private int inFlight;
    /** Bytes arrived since the last request's headers were decoded: the next request has started. */
    private boolean requestStarted;
    /** A final response is being written: its LastHttpContent ends the exchange. */
    private boolean finalResponseOpen;

    private long lastReadNanos = System.nanoTime();
    private @Nullable ScheduledFuture<?> headerTimer;
    private @Nullable ScheduledFuture<?> idleTimer;
    private @Nullable ChannelHandlerContext messagesContext;

    Http1Timeouts(InboundLimits limits, InboundObserver observer) {
        this.limits = requireNonNull(limits, "limits");
        this.observer = requireNonNull(observer, "observer");
    }

    /** The handler in front of the codec. */
    ChannelInboundHandlerAdapter bytesHandler() {
        return new BytesHandler();
    }

    /** The handler behind the codec. */
    ChannelDuplexHandler messagesHandler() {
        return new MessagesHandler();
    }

    private final class BytesHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
                lastReadNanos = System.nanoTime();
                requestStarted = true;
                if (inFlight == 0 && headerTimer == null) {
                    armHeaderTimer();
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    private final class MessagesHandler extends ChannelDuplexHandler {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            messagesContext = ctx;
            // From the connection's establishment to the first request's headers.
            armHeaderTimer();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            cancelTimers();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancelTimers();
            ctx.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                inFlight++;
                requestStarted = false;
                cancelTimers();
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpResponse response
                    && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
                finalResponseOpen = true;
            }
            if (msg instanceof LastHttpContent && finalResponseOpen) {
                finalResponseOpen = false;
                if (inFlight > 0 && --inFlight == 0) {
                    if (requestStarted) {
                        armHeaderTimer();
                    } else {
                        armIdleTimer(limits.idleTimeout().toNanos());
                    }
                }
            }
            var unused = ctx.write(msg, promise);
        }
    }

    private void armHeaderTimer() {
        ChannelHandlerContext ctx = messagesContext;
        if (ctx == null) {
            return;
        }
        cancelTimers();
        headerTimer = ctx.executor()
                .schedule(this::headerTimeout, limits.headerReadTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void armIdleTimer(long delayNanos) {
        ChannelHandlerContext ctx = messagesContext;
        if (ctx == null) {
            return;
        }
        cancelTimers();
        idleTimer = ctx.executor().schedule(this::idleCheck, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void headerTimeout() {
        headerTimer = null;
        ChannelHandlerContext ctx = messagesContext;
        if (ctx == null || inFlight > 0 || !ctx.channel().isActive()) {
            return;
        }
        observer.refused(RefusalReasons.HEADER_READ_TIMEOUT);
        FullHttpResponse timeout = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT, Unpooled.EMPTY_BUFFER);
        timeout.headers()
                .set(HttpHeaderNames.CONTENT_LENGTH, 0)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        // Written from this handler's context: it goes to the codec without counting as an exchange's response.
        ctx.writeAndFlush(timeout).addListener(ChannelFutureListener.CLOSE);
    }

    private void idleCheck() {
        idleTimer = null;
        ChannelHandlerContext ctx = messagesContext;
        if (ctx == null || inFlight > 0 || headerTimer != null) {
            return;
        }
        long idleNanos = System.nanoTime() - lastReadNanos;
        long limit = limits.idleTimeout().toNanos();
        if (idleNanos >= limit) {
            var unused = ctx.close();
        } else {
            armIdleTimer(limit - idleNanos);
        }
    }

    private void cancelTimers() {
        ScheduledFuture<?> header = headerTimer;
        if (header != null) {
            header.cancel(false);
            headerTimer = null;
        }
        ScheduledFuture<?> idle = idleTimer;
        if (idle != null) {
            idle.cancel(false);
            idleTimer = null;
        }
    }
}
