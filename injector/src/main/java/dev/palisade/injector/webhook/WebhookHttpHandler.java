package dev.palisade.injector.webhook;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes webhook requests and writes the answers.
 *
 * <pre>
 *   POST /mutate          AdmissionReview from the webhook that selects labelled namespaces
 *   POST /mutate/opt-in   AdmissionReview from the webhook that selects pods labelled palisade.dev/inject=true
 *   GET  /ready, /live    200 "ok" (kubelet probes; HEAD too)
 * </pre>
 *
 * <p>Another method on a known path is 405 with {@code Allow}; another path is 404; a body that is not
 * {@code application/json} is 415; a request Netty could not decode is 400 and the connection is closed. Keep-alive is
 * honoured otherwise: the API server reuses its connections. The aggregated request is released by the superclass.
 */
final class WebhookHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    static final String MUTATE = "/mutate";
    static final String MUTATE_OPT_IN = "/mutate/opt-in";

    private static final Logger logger = LoggerFactory.getLogger(WebhookHttpHandler.class);

    private final AdmissionReviewHandler handler;

    WebhookHttpHandler(AdmissionReviewHandler handler) {
        this.handler = handler;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            logger.debug(
                    "{} undecodable request",
                    ctx.channel(),
                    request.decoderResult().cause());
            respond(ctx, request, text(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request"), false);
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        HttpMethod method = request.method();
        switch (path) {
            case MUTATE, MUTATE_OPT_IN -> {
                if (!method.equals(HttpMethod.POST)) {
                    respond(ctx, request, notAllowed("POST", method), true);
                } else if (!isJson(request)) {
                    respond(
                            ctx,
                            request,
                            text(
                                    HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                                    "content-type '" + request.headers().get(HttpHeaderNames.CONTENT_TYPE, "")
                                            + "' (expected: application/json)"),
                            true);
                } else {
                    byte[] body = ByteBufUtil.getBytes(request.content());
                    WebhookReply reply = handler.handle(body, path.equals(MUTATE));
                    respond(ctx, request, toResponse(ctx, reply), true);
                }
            }
            case "/ready", "/live" -> {
                if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
                    FullHttpResponse ok = text(HttpResponseStatus.OK, "ok");
                    if (method.equals(HttpMethod.HEAD)) {
                        ok.content().clear();
                    }
                    respond(ctx, request, ok, true);
                } else {
                    respond(ctx, request, notAllowed("GET, HEAD", method), true);
                }
            }
            default -> respond(ctx, request, text(HttpResponseStatus.NOT_FOUND, "no such path: " + path), true);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (isExpected(cause)) {
            logger.debug("{} closed: {}", ctx.channel(), cause.toString());
        } else {
            logger.warn("{} unexpected error; closing", ctx.channel(), cause);
        }
        var unused = ctx.close();
    }

    private static boolean isExpected(Throwable cause) {
        Throwable c = cause;
        if (c instanceof io.netty.handler.codec.DecoderException && c.getCause() != null) {
            c = c.getCause();
        }
        return c instanceof ReadTimeoutException
                || c instanceof SSLException
                || c instanceof ClosedChannelException
                || c instanceof IOException;
    }

    private static boolean isJson(FullHttpRequest request) {
        CharSequence mime = HttpUtil.getMimeType(request);
        return mime != null
                && mime.toString()
                        .strip()
                        .toLowerCase(Locale.ROOT)
                        .equals(HttpHeaderValues.APPLICATION_JSON.toString());
    }

    private static FullHttpResponse notAllowed(String allow, HttpMethod method) {
        FullHttpResponse response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method " + method + " not allowed");
        response.headers().set(HttpHeaderNames.ALLOW, allow);
        return response;
    }

    private static FullHttpResponse toResponse(ChannelHandlerContext ctx, WebhookReply reply) {
        byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
        ByteBuf content = ctx.alloc().buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse response =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(reply.status()), content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
        return response;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String message) {
        byte[] bytes = (message + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, io.netty.buffer.Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, WebhookReply.TEXT);
        return response;
    }

    /** Writes {@code response} (ownership passes to Netty) and closes afterwards unless the connection stays open. */
    private static void respond(
            ChannelHandlerContext ctx, @Nullable FullHttpRequest request, FullHttpResponse response, boolean canKeep) {
        boolean keepAlive = canKeep && request != null && HttpUtil.isKeepAlive(request);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
