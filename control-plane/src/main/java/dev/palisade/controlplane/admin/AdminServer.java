package dev.palisade.controlplane.admin;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small read-only HTTP/1.1 server: {@code GET /ready} (200 or 503), {@code GET /live}, {@code GET /metrics}, and
 * any extra text endpoints the caller registers. Requests bigger than 8 KiB, other methods (405) and other paths
 * (404) are answered and never reach a handler; idle connections close after 30 seconds.
 *
 * <p>{@link AdminAccess} decides every request first, on the same path the router dispatches on
 * ({@link #routedPath}): a request it refuses (401, 403) reaches neither an endpoint nor the 404/405 answers.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(AdminServer.class);
    static final int MAX_REQUEST_BYTES = 8 * 1024;

    /** A text endpoint: content type and a handler of the request's query parameters, called per request. */
    public record Endpoint(String contentType, Function<Map<String, List<String>>, Response> handler) {
        /** An endpoint whose body does not depend on the query. */
        public Endpoint(String contentType, Supplier<String> body) {
            this(contentType, query -> Response.ok(body.get()));
        }
    }

    /**
     * What an endpoint answers.
     *
     * @param status the HTTP status code
     * @param body the body, in the endpoint's content type (errors: in the same type, e.g. a JSON object)
     */
    public record Response(int status, String body) {
        public static Response ok(String body) {
            return new Response(200, body);
        }
    }

    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    /**
     * Binds the admin server.
     *
     * @param endpoints extra GET endpoints by exact path, besides /ready, /live and /metrics
     * @param access who may read what (the open paths and the token or loopback rule)
     */
    public static AdminServer start(
            EventLoopGroup group,
            InetSocketAddress address,
            BooleanSupplier ready,
            ControlPlaneMetrics metrics,
            Map<String, Endpoint> endpoints,
            AdminAccess access)
            throws InterruptedException {
        return start(group, address, ready, metrics, endpoints, access, StaticFiles.ofDefault());
    }

    /**
     * Binds the admin server.
     *
     * @param endpoints extra GET endpoints by exact path, besides /ready, /live and /metrics
     * @param access who may read what (the open paths and the token or loopback rule)
     * @param page the files served under {@code /ui/}
     */
    public static AdminServer start(
            EventLoopGroup group,
            InetSocketAddress address,
            BooleanSupplier ready,
            ControlPlaneMetrics metrics,
            Map<String, Endpoint> endpoints,
            AdminAccess access,
            StaticFiles page)
            throws InterruptedException {
        requireNonNull(ready, "ready");
        requireNonNull(page, "page");
        requireNonNull(metrics, "metrics");
        requireNonNull(access, "access");
        Map<String, Endpoint> routes = Map.copyOf(endpoints);
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec(4096, MAX_REQUEST_BYTES, MAX_REQUEST_BYTES))
                                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(new Handler(ready, metrics, routes, access, page));
                    }
                })
                .bind(address)
                .sync()
                .channel();
        logger.info(
                "admin server listening on {}; /config and /api/ {}",
                channel.localAddress(),
                access.hasToken() ? "need the admin bearer token" : "answer loopback clients only (no admin token)");
        return new AdminServer(channel);
    }

    /**
     * The path a request is routed (and its access decided) on: the request target's path, percent-decoded, without
     * the query. Exact: no normalisation of {@code ..} or {@code //}, so such a path matches no route.
     */
    static String routedPath(String requestUri) {
        return requestTarget(requestUri).path();
    }

    private static QueryStringDecoder requestTarget(String requestUri) {
        return new QueryStringDecoder(requestUri, StandardCharsets.UTF_8);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final BooleanSupplier ready;
        private final ControlPlaneMetrics metrics;
        private final Map<String, Endpoint> routes;
        private final AdminAccess access;
        private final StaticFiles page;

        Handler(
                BooleanSupplier ready,
                ControlPlaneMetrics metrics,
                Map<String, Endpoint> routes,
                AdminAccess access,
                StaticFiles page) {
            this.ready = ready;
            this.metrics = metrics;
            this.routes = routes;
            this.access = access;
            this.page = page;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!request.decoderResult().isSuccess()) {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "text/plain", "malformed request\n", true);
                return;
            }
            QueryStringDecoder uri = requestTarget(request.uri());
            // The one path both the access decision and the routing below use (routedPath).
            String path = uri.path();
            AdminAccess.Decision decision =
                    access.decide(path, remoteAddress(ctx), request.headers().getAll(HttpHeaderNames.AUTHORIZATION));
            if (!decision.allowed()) {
                logger.debug("{} {} {}: {}", ctx.channel(), request.method(), path, decision.status());
                refuse(ctx, request, decision);
                return;
            }
            if (AdminAccess.isPage(path)) {
                servePage(ctx, request, path);
                return;
            }
            Endpoint endpoint =
                    switch (path) {
                        case "/ready" -> null;
                        case "/live" -> new Endpoint("text/plain", () -> "live\n");
                        case "/metrics" -> new Endpoint("text/plain; version=0.0.4; charset=utf-8", metrics::scrape);
                        default -> routes.get(path);
                    };
            boolean known = endpoint != null || path.equals("/ready");
            if (!known) {
                respond(ctx, request, HttpResponseStatus.NOT_FOUND, "text/plain", "not found\n", false);
                return;
            }
            if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                respond(
                        ctx,
                        request,
                        HttpResponseStatus.METHOD_NOT_ALLOWED,
                        "text/plain",
                        "read-only: use GET\n",
                        false);
                return;
            }
            if (endpoint == null) {
                boolean isReady = ready.getAsBoolean();
                respond(
                        ctx,
                        request,
                        isReady ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "text/plain",
                        isReady ? "ready\n" : "not ready\n",
                        false);
                return;
            }
            Response response = endpoint.handler().apply(uri.parameters());
            respond(
                    ctx,
                    request,
                    HttpResponseStatus.valueOf(response.status()),
                    endpoint.contentType(),
                    response.body(),
                    false);
        }

        /** {@code /ui} → redirect to {@code /ui/}; {@code /ui/<name>} → the file, or 404 ({@link StaticFiles}). */
        private void servePage(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
            FullHttpResponse response;
            if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                response =
                        response(request, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "read-only: use GET\n");
            } else if (path.equals("/ui")) {
                response = response(request, HttpResponseStatus.MOVED_PERMANENTLY, "text/plain", "see /ui/\n");
                response.headers().set(HttpHeaderNames.LOCATION, "/ui/");
            } else {
                StaticFiles.File file = page.resolve(path).orElse(null);
                if (file == null) {
                    response = response(request, HttpResponseStatus.NOT_FOUND, "text/plain", "not found\n");
                } else {
                    ByteBuf content = request.method().equals(HttpMethod.HEAD)
                            ? Unpooled.EMPTY_BUFFER
                            : Unpooled.wrappedBuffer(file.content());
                    response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
                    response.headers()
                            .set(HttpHeaderNames.CONTENT_TYPE, file.contentType())
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, file.content().length);
                }
            }
            response.headers()
                    .set("Content-Security-Policy", StaticFiles.CONTENT_SECURITY_POLICY)
                    .set("X-Content-Type-Options", "nosniff")
                    .set("Referrer-Policy", "no-referrer")
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
            send(ctx, request, response, false);
        }

        private static @Nullable InetAddress remoteAddress(ChannelHandlerContext ctx) {
            return ctx.channel().remoteAddress() instanceof InetSocketAddress remote ? remote.getAddress() : null;
        }

        private static void refuse(ChannelHandlerContext ctx, FullHttpRequest request, AdminAccess.Decision decision) {
            HttpResponseStatus status = HttpResponseStatus.valueOf(decision.status());
            FullHttpResponse response = response(request, status, "text/plain; charset=utf-8", decision.body());
            if (decision.status() == 401) {
                response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, AdminAccess.CHALLENGE);
            }
            send(ctx, request, response, false);
        }

        private static void respond(
                ChannelHandlerContext ctx,
                FullHttpRequest request,
                HttpResponseStatus status,
                String contentType,
                String body,
                boolean close) {
            send(ctx, request, response(request, status, contentType, body), close);
        }

        private static FullHttpResponse response(
                FullHttpRequest request, HttpResponseStatus status, String contentType, String body) {
            ByteBuf content = request.method().equals(HttpMethod.HEAD)
                    ? Unpooled.EMPTY_BUFFER
                    : Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.getBytes(StandardCharsets.UTF_8).length)
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
            return response;
        }

        private static void send(
                ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response, boolean close) {
            boolean keepAlive = !close && HttpUtil.isKeepAlive(request);
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            var future = ctx.writeAndFlush(response);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            logger.debug("{} admin connection failed", ctx.channel(), cause);
            ctx.close();
        }
    }
}
