package dev.palisade.proxy.inbound.http1;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's view of one app connection, after its {@code HttpClientCodec}: whether the last exchange ran to its end
 * with keep-alive on both sides (so the connection may carry another), whether it is leased, and its idle timer. An
 * idle connection that receives anything is closed: a response nobody asked for would be read by the next exchange.
 * Confined to the connection's event loop.
 */
final class PooledConnection extends ChannelDuplexHandler {

    private static final Logger logger = LoggerFactory.getLogger(PooledConnection.class);

    private final InetSocketAddress app;
    private @Nullable ChannelHandlerContext context;
    private boolean leased;
    private boolean keepAlive = true;
    private boolean requestOpen;
    private boolean responseOpen;
    private boolean interim;
    private @Nullable ScheduledFuture<?> idleTimer;

    PooledConnection(InetSocketAddress app) {
        this.app = requireNonNull(app, "app");
    }

    InetSocketAddress app() {
        return app;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    /** Whether the connection may carry another exchange. */
    boolean isReusable() {
        return keepAlive && !requestOpen && !responseOpen && !interim;
    }

    void lease() {
        leased = true;
        cancelIdleTimer();
    }

    /** The exchange is done with the connection, which is about to be closed. */
    void unlease() {
        leased = false;
    }

    void unlease(Duration idleTimeout) {
        leased = false;
        ChannelHandlerContext ctx = context;
        if (ctx != null) {
            cancelIdleTimer();
            idleTimer = ctx.executor().schedule(this::closeIdle, idleTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void closeIdle() {
        idleTimer = null;
        ChannelHandlerContext ctx = context;
        if (ctx != null && !leased) {
            var unused = ctx.close();
        }
    }

    private void cancelIdleTimer() {
        ScheduledFuture<?> timer = idleTimer;
        if (timer != null) {
            timer.cancel(false);
            idleTimer = null;
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpRequest request) {
            requestOpen = true;
            responseOpen = true;
            if (!HttpUtil.isKeepAlive(request)) {
                keepAlive = false;
            }
        }
        if (msg instanceof LastHttpContent) {
            requestOpen = false;
        }
        var unused = ctx.write(msg, promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!leased) {
            logger.debug("{} app sent data on an idle connection; closing it", ctx.channel());
            ReferenceCountUtil.release(msg);
            keepAlive = false;
            var unused = ctx.close();
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                keepAlive = false;
            }
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                interim = true;
            } else if (!HttpUtil.isKeepAlive(response)) {
                keepAlive = false;
            }
        }
        if (msg instanceof LastHttpContent) {
            if (interim) {
                interim = false;
            } else {
                responseOpen = false;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        keepAlive = false;
        cancelIdleTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        keepAlive = false;
        if (!leased || !ctx.channel().isActive()) {
            // Idle, or already failed and handed back: nobody is left to tell (a closed connection's
            // PrematureChannelClosureException arrives after its exchange saw channelInactive).
            logger.debug("{} app connection failed", ctx.channel(), cause);
            var unused = ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
