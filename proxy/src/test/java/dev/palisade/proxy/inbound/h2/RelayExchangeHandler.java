package dev.palisade.proxy.inbound.h2;

import dev.palisade.proxy.authz.AuthzResponse;
import dev.palisade.proxy.inbound.AppStreams;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

/**
 * A stand-in for the real exchange handler (built elsewhere), just enough to test both halves of HTTP/2: each
 * stream's {@code HttpObject}s go to an {@link AppStreams} stream and the answer comes back. A path ending in {@code
 * /Denied} is answered with {@link AuthzResponse#denied} as the real handler will (one {@code FullHttpResponse}, see
 * the package documentation); {@code /local} is answered {@code 200 ok} without the app. Every request it sees is
 * recorded in {@link #seen}.
 */
final class RelayExchangeHandler extends ChannelInboundHandlerAdapter {
    private final AppStreams app;
    private final InetSocketAddress appAddress;
    private final Queue<HttpHeaders> seen;
    private final Queue<Object> queued = new ArrayDeque<>();
    private @Nullable Channel upstream;
    private boolean answered;
    private boolean inboundDone;

    RelayExchangeHandler(AppStreams app, InetSocketAddress appAddress, ConcurrentLinkedQueue<HttpHeaders> seen) {
        this.app = app;
        this.appAddress = appAddress;
        this.seen = seen;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answered) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request) {
            HttpHeaders copy = request.headers().copy();
            copy.set("x-test-uri", request.uri());
            seen.add(copy);
            if (request.uri().endsWith("/Denied")) {
                answered = true;
                ReferenceCountUtil.release(msg);
                ctx.writeAndFlush(denied(AuthzResponse.denied("req-1", true)));
                return;
            }
            if (request.uri().equals("/local")) {
                answered = true;
                ReferenceCountUtil.release(msg);
                FullHttpResponse ok = new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1,
                        HttpResponseStatus.OK,
                        Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII));
                ok.headers().setInt("content-length", 2);
                ctx.writeAndFlush(ok);
                return;
            }
            queued.add(msg);
            app.open(ctx.channel().eventLoop(), appAddress).addListener(f -> {
                if (!f.isSuccess()) {
                    releaseQueued();
                    answered = true;
                    ctx.writeAndFlush(new DefaultFullHttpResponse(
                            HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY, Unpooled.EMPTY_BUFFER));
                    return;
                }
                Channel stream = (Channel) f.getNow();
                if (inboundDone) {
                    app.release(stream, false);
                    return;
                }
                upstream = stream;
                stream.pipeline().addLast(new Back(ctx.channel()));
                Object next;
                while ((next = queued.poll()) != null) {
                    stream.write(next);
                }
                stream.flush();
            });
            return;
        }
        Channel up = upstream;
        if (up != null) {
            up.writeAndFlush(msg);
        } else {
            queued.add(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inboundDone = true;
        releaseQueued();
        Channel up = upstream;
        if (up != null) {
            app.release(up, false);
        }
        ctx.fireChannelInactive();
    }

    private void releaseQueued() {
        Object next;
        while ((next = queued.poll()) != null) {
            ReferenceCountUtil.release(next);
        }
    }

    static FullHttpResponse denied(AuthzResponse answer) {
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(answer.status()),
                Unpooled.wrappedBuffer(answer.body()));
        answer.headers().forEach(response.headers()::set);
        return response;
    }

    /** The app's answer, back to the peer's stream. */
    private final class Back extends ChannelInboundHandlerAdapter {
        private final Channel inbound;
        private boolean complete;

        Back(Channel inbound) {
            this.inbound = inbound;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            boolean last = msg instanceof LastHttpContent;
            inbound.writeAndFlush(msg);
            if (last) {
                complete = true;
                app.release(ctx.channel(), true);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!complete) {
                inbound.close();
            }
        }
    }
}
