package dev.palisade.controlplane.admin;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    public record Response(int status, String body, @Nullable Streamed stream) {
        public Response(int status, String body) {
            this(status, body, null);
        }

        public static Response ok(String body) {
            return new Response(200, body);
        }

        /** A 200 whose body is {@code stream}, written in chunks ({@link Streamed}). */
        public static Response streamed(Streamed stream) {
            return new Response(200, "", requireNonNull(stream, "stream"));
        }
    }

    /**
     * A body produced a piece at a time, on a thread of the admin server's own (never the event loop), and sent with
     * {@code Transfer-Encoding: chunked}: at most two chunks of ~{@value #CHUNK_CHARS} characters are in flight, so a
     * client that reads slowly slows the producer down instead of filling memory; one that stops reading for
     * {@value #STALL_SECONDS} s is disconnected. The connection closes after the body (the read timeout does not apply
     * while it is written). An exception from the body closes the connection mid-stream, so the client sees an
     * incomplete chunked body, never a silently short one.
     *
     * @param contentType the response's content type
     * @param headers extra response headers (e.g. {@code Content-Disposition})
     * @param body the pieces
     */
    public record Streamed(String contentType, Map<String, String> headers, Body body) {
        public Streamed {
            requireNonNull(contentType, "contentType");
            headers = Map.copyOf(headers);
            requireNonNull(body, "body");
        }
    }

    /** The pieces of a {@link Streamed} body. */
    public interface Body {
        /**
         * Appends the next piece of the body to {@code out}.
         *
         * @return false when the body is complete ({@code out} may hold its last piece)
         */
        boolean next(StringBuilder out);
    }

    static final int CHUNK_CHARS = 64 * 1024;
    static final int STALL_SECONDS = 60;
    /** Streamed answers written at the same time; more are answered 503. */
    static final int MAX_STREAMS = 2;

    /**
     * Threads that run the API endpoints (everything in the routes map), so that a slow one — a day's graph, a chain
     * verification — never holds the event loop that answers {@code /ready} (the probes), {@code /live} and
     * {@code /metrics}; requests beyond the threads wait in a queue of {@value #API_QUEUE}, then get 503.
     */
    static final int API_THREADS = 2;

    static final int API_QUEUE = 32;

    /** Requests a connection may pipeline behind one that is being answered; beyond, the connection is closed. */
    static final int MAX_PIPELINED = 16;

    private final Channel channel;
    private final ExecutorService streams;
    private final ExecutorService api;

    private AdminServer(Channel channel, ExecutorService streams, ExecutorService api) {
        this.channel = channel;
        this.streams = streams;
        this.api = api;
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
        ExecutorService streams = new ThreadPoolExecutor(
                0, MAX_STREAMS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemonThreads("admin-stream-"));
        ExecutorService api = new ThreadPoolExecutor(
                API_THREADS,
                API_THREADS,
                0,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(API_QUEUE),
                daemonThreads("admin-api-"));
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(READ_TIMEOUT, new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec(4096, MAX_REQUEST_BYTES, MAX_REQUEST_BYTES))
                                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(new Handler(ready, metrics, routes, access, page, streams, api));
                    }
                })
                .bind(address)
                .sync()
                .channel();
        logger.info(
                "admin server listening on {}; /config and /api/ {}",
                channel.localAddress(),
                access.hasToken() ? "need the admin bearer token" : "answer loopback clients only (no admin token)");
        return new AdminServer(channel, streams, api);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
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
        streams.shutdownNow();
        api.shutdownNow();
    }

    private static final String READ_TIMEOUT = "read-timeout";

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final BooleanSupplier ready;
        private final ControlPlaneMetrics metrics;
        private final Map<String, Endpoint> routes;
        private final AdminAccess access;
        private final StaticFiles page;
        private final ExecutorService streams;
        private final ExecutorService api;
        /** An API request of this connection is being answered: later ones wait, in order. Event loop only. */
        private boolean busy;

        private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();

        Handler(
                BooleanSupplier ready,
                ControlPlaneMetrics metrics,
                Map<String, Endpoint> routes,
                AdminAccess access,
                StaticFiles page,
                ExecutorService streams,
                ExecutorService api) {
            this.ready = ready;
            this.metrics = metrics;
            this.routes = routes;
            this.access = access;
            this.page = page;
            this.streams = streams;
            this.api = api;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (busy) {
                if (waiting.size() >= MAX_PIPELINED) {
                    ctx.close();
                    return;
                }
                waiting.add(request.retain());
                return;
            }
            handle(ctx, request);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            FullHttpRequest r;
            while ((r = waiting.poll()) != null) {
                r.release();
            }
            super.channelInactive(ctx);
        }

        /** Answers what waited behind an API request, until one of them is an API request again. */
        private void next(ChannelHandlerContext ctx) {
            FullHttpRequest r;
            while (!busy && (r = waiting.poll()) != null) {
                try {
                    handle(ctx, r);
                } finally {
                    r.release();
                }
            }
        }

        private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
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
            if (!routes.containsKey(path)) {
                answer(ctx, request, endpoint, endpoint.handler().apply(uri.parameters()));
                return;
            }
            // An API endpoint: on the API threads; the answer is written back on this connection's event loop.
            Endpoint apiEndpoint = endpoint;
            Map<String, List<String>> parameters = uri.parameters();
            FullHttpRequest held = request.retain();
            busy = true;
            try {
                api.execute(() -> {
                    Response response;
                    try {
                        response = apiEndpoint.handler().apply(parameters);
                    } catch (RuntimeException e) {
                        logger.warn("{} {} failed", ctx.channel(), path, e);
                        response = new Response(500, "{\"error\":\"internal error; see the control plane's log\"}\n");
                    }
                    Response done = response;
                    ctx.executor().execute(() -> {
                        try {
                            answer(ctx, held, apiEndpoint, done);
                        } finally {
                            held.release();
                            busy = false;
                            next(ctx);
                        }
                    });
                });
            } catch (RejectedExecutionException e) {
                held.release();
                busy = false;
                respond(
                        ctx,
                        request,
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "application/json",
                        "{\"error\":\"the admin API is busy (" + (API_THREADS + API_QUEUE)
                                + " requests in hand); try again\"}\n",
                        false);
            }
        }

        private void answer(ChannelHandlerContext ctx, FullHttpRequest request, Endpoint endpoint, Response response) {
            Streamed streamed = response.stream();
            if (streamed != null) {
                stream(ctx, request, streamed);
                return;
            }
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

        private void stream(ChannelHandlerContext ctx, FullHttpRequest request, Streamed streamed) {
            if (request.method().equals(HttpMethod.HEAD)) {
                FullHttpResponse head = response(request, HttpResponseStatus.OK, streamed.contentType(), "");
                head.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
                streamed.headers().forEach(head.headers()::set);
                send(ctx, request, head, false);
                return;
            }
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, streamed.contentType())
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            streamed.headers().forEach(head.headers()::set);
            Channel channel = ctx.channel();
            try {
                streams.execute(() -> produce(channel, head, streamed.body()));
            } catch (RejectedExecutionException e) {
                respond(
                        ctx,
                        request,
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "application/json",
                        "{\"error\":\"" + MAX_STREAMS + " exports are running; try again later\"}\n",
                        false);
                return;
            }
            // No second request on this connection (it closes after the body) and no read timeout while writing.
            channel.config().setAutoRead(false);
            if (channel.pipeline().get(READ_TIMEOUT) != null) {
                channel.pipeline().remove(READ_TIMEOUT);
            }
        }

        private static void produce(Channel channel, HttpResponse head, Body body) {
            ChannelFuture previous = channel.writeAndFlush(head);
            StringBuilder piece = new StringBuilder(CHUNK_CHARS + 4096);
            try {
                boolean more = true;
                while (more) {
                    piece.setLength(0);
                    while (more && piece.length() < CHUNK_CHARS) {
                        more = body.next(piece);
                    }
                    if (piece.length() == 0) {
                        continue;
                    }
                    ChannelFuture written = channel.writeAndFlush(
                            new DefaultHttpContent(Unpooled.copiedBuffer(piece, StandardCharsets.UTF_8)));
                    // Back-pressure: wait for the chunk before this one, so at most two are queued.
                    if (!previous.await(STALL_SECONDS, TimeUnit.SECONDS) || !previous.isSuccess()) {
                        logger.debug("{} streamed answer abandoned: the client stopped reading", channel);
                        channel.close();
                        return;
                    }
                    previous = written;
                }
                channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                channel.close();
            } catch (RuntimeException e) {
                logger.warn("{} streamed answer failed; closing the connection", channel, e);
                channel.close();
            }
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
