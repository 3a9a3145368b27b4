package dev.palisade.proxy.admin;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches aggregated requests to {@link Endpoint}s by exact path (the query is ignored): an unknown path is 404, a
 * known path with another method 405 (with {@code Allow}), a request the codec could not parse 400 and the connection
 * is closed. An endpoint that throws answers 500. The request is released by the base class.
 */
final class EndpointHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger logger = LoggerFactory.getLogger(EndpointHandler.class);

    private final Map<String, Endpoint> endpoints;

    EndpointHandler(Map<String, Endpoint> endpoints) {
        this.endpoints = Map.copyOf(requireNonNull(endpoints, "endpoints"));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            send(ctx, request, Response.text(HttpResponseStatus.BAD_REQUEST, "malformed request\n"), false);
            return;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        Endpoint endpoint = endpoints.get(path);
        Response response;
        if (endpoint == null) {
            response = Response.text(HttpResponseStatus.NOT_FOUND, "not found\n");
        } else if (!endpoint.method().equals(request.method())) {
            response = Response.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            FullHttpResponse r = toHttp(ctx, response);
            r.headers().set(HttpHeaderNames.ALLOW, endpoint.method().name());
            write(ctx, request, r, HttpUtil.isKeepAlive(request));
            return;
        } else {
            try {
                response = endpoint.handler().handle(request);
            } catch (Exception e) {
                logger.warn("{} {} {} failed", ctx.channel(), request.method(), path, e);
                response = Response.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
            }
        }
        send(ctx, request, response, HttpUtil.isKeepAlive(request));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("{} admin connection failed", ctx.channel(), cause);
        ctx.close();
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, Response response, boolean keepAlive) {
        write(ctx, request, toHttp(ctx, response), keepAlive);
    }

    private static FullHttpResponse toHttp(ChannelHandlerContext ctx, Response response) {
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                response.status(),
                response.body().length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body()));
        r.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, response.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return r;
    }

    private static void write(
            ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response, boolean keepAlive) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ChannelFuture f = ctx.writeAndFlush(response);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
