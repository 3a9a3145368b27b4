package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.AuthzRequest;
import dev.palisade.proxy.authz.AuthzResponse;
import dev.palisade.proxy.authz.NormalizedRequest;
import dev.palisade.proxy.authz.Rejection;
import dev.palisade.proxy.authz.RequestResult;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.ProxyConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enforcement point of one HTTP/1.1 connection or one HTTP/2 stream (both arrive as Netty {@link HttpObject}s):
 * per request, check the head ({@link RequestHeadCheck}), normalise it, authorize it with the port's engine of the
 * current config (read per request, so a policy update applies to open connections from their next request), and
 * either answer it (400/403/gRPC 7 through {@link AuthzResponse}, or a local error) or forward it to the app through
 * {@link AppStreams} and relay the response. One {@code FlowEvent} per request, whatever happens.
 *
 * <p>Forwarded: the normalised request line (the path and query the policy matched), {@code Host} set to the
 * normalised authority, the end-to-end header fields ({@link ForwardedHeaders}), {@value
 * ForwardedHeaders#PEER_IDENTITY} set to the verified peer (mTLS only; every copy the peer sent is dropped, and the
 * policy sees the header as the app will), one {@code X-Request-Id}. Bodies stream both ways without buffering: the
 * side that reads stops reading ({@code autoRead} off) while the side that writes is not writable.
 *
 * <p>WebSocket (HTTP/1.1 only): an authorized opening handshake ({@link ForwardedHeaders#isWebSocketUpgrade}) is
 * forwarded with {@code Upgrade: websocket} and {@code Connection: Upgrade} on a dedicated app connection
 * ({@link AppStreams#openDedicated}); on the app's {@code 101} the HTTP handlers leave both pipelines and {@link
 * ByteSplice} relays bytes until either side closes, when the request's flow event (status 101) is emitted.
 *
 * <p>HTTP/1.1 pipelining: requests are processed strictly in order, one at a time; a request that arrives while one is
 * in flight waits (reading stops), and past {@value #MAX_PIPELINED_REQUESTS} waiting requests the connection is closed
 * after the current response, which RFC 9112 §9.3.2 lets a client retry. Confined to the channel's event loop; one
 * instance per connection or stream.
 */
public final class HttpExchangeHandler extends ChannelDuplexHandler {

    private static final Logger logger = LoggerFactory.getLogger(HttpExchangeHandler.class);

    /** Requests that may wait behind the one in flight on an HTTP/1.1 connection. */
    static final int MAX_PIPELINED_REQUESTS = 16;
    /**
     * A request body up to this size is read and dropped after a local answer, keeping the connection; a larger (or
     * chunked) one closes the connection after the answer instead.
     */
    static final long MAX_DISCARDED_BODY_BYTES = 64 * 1024;

    private static final int PAUSE_PIPELINE = 1;
    private static final int PAUSE_CONNECTING = 2;
    private static final int PAUSE_BACKPRESSURE = 4;
    private static final int PAUSE_UPGRADE = 8;

    private static final Set<String> IDEMPOTENT_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

    private final InboundServices services;
    private final InboundConnection connection;
    private @Nullable ChannelHandlerContext context;
    private boolean http2;
    private @Nullable Exchange exchange;
    private final ArrayDeque<HttpObject> pipelined = new ArrayDeque<>();
    private int pipelinedRequests;
    private int paused;
    private boolean draining;
    private boolean closed;

    /**
     * @param services the listener's services
     * @param connection the connection the requests come on (for HTTP/2, the parent connection of the stream)
     */
    public HttpExchangeHandler(InboundServices services, InboundConnection connection) {
        this.services = requireNonNull(services, "services");
        this.connection = requireNonNull(connection, "connection");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
        http2 = ctx.channel() instanceof Http2StreamChannel;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releasePipelined();
    }

    private ChannelHandlerContext ctx() {
        ChannelHandlerContext ctx = context;
        if (ctx == null) {
            throw new IllegalStateException("not added to a pipeline");
        }
        return ctx;
    }

    // ---- requests from the peer

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject object)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!pipelined.isEmpty() || (exchange != null && object instanceof HttpRequest)) {
            enqueue(object);
            return;
        }
        dispatch(object);
    }

    private void enqueue(HttpObject object) {
        if (object instanceof HttpRequest && ++pipelinedRequests > MAX_PIPELINED_REQUESTS) {
            ReferenceCountUtil.release(object);
            // Refuse the rest cleanly: answer the request in flight with Connection: close, drop what waits.
            releasePipelined();
            closed = true;
            Exchange current = exchange;
            if (current != null) {
                current.closeAfter = true;
            } else {
                closeChannel();
            }
            return;
        }
        pipelined.add(object);
        pause(PAUSE_PIPELINE);
    }

    private void dispatch(HttpObject object) {
        if (object instanceof HttpRequest request) {
            LastHttpContent body = null;
            if (object instanceof FullHttpRequest full) {
                // HTTP/2 headers with END_STREAM: the head and an (empty) last content. The buffer moves to `body`.
                body = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            }
            Exchange started = startExchange(request);
            if (body != null) {
                requestContent(started, body);
            }
            return;
        }
        Exchange current = exchange;
        if (object instanceof HttpContent content && current != null) {
            requestContent(current, content);
        } else {
            ReferenceCountUtil.release(object);
        }
    }

    private Exchange startExchange(HttpRequest request) {
        HttpHeaders headers = request.headers();
        boolean grpc = isGrpc(headers);
        String protocol =
                grpc ? "gRPC" : http2 ? "HTTP/2" : request.protocolVersion().text();
        Exchange ex = new Exchange(
                RequestIds.of(headers),
                request.protocolVersion(),
                HttpMethod.HEAD.equals(request.method()),
                grpc,
                protocol);
        ex.keepAlive = http2 || HttpUtil.isKeepAlive(request);
        ex.longBody = hasLongBody(request);
        exchange = ex;

        int refusal = RequestHeadCheck.refusal(request, http2, services.limits());
        if (refusal != 0) {
            answerLocally(ex, LocalResponses.of(refusal, ex.requestId, true));
            return ex;
        }

        List<Map.Entry<String, String>> fields = ForwardedHeaders.request(headers, http2);
        fields.add(Map.entry(ForwardedHeaders.REQUEST_ID, ex.requestId));
        SpiffeId peer = connection.peer();
        if (peer != null) {
            fields.add(Map.entry(ForwardedHeaders.PEER_IDENTITY, peer.toString()));
        }
        // The policy sees what the app will see, plus every Host the peer sent (two are refused, not merged).
        List<Map.Entry<String, String>> normalizerInput = new ArrayList<>(fields);
        for (String host : headers.getAll(HttpHeaderNames.HOST)) {
            normalizerInput.add(Map.entry("host", host));
        }
        String scheme = connection.isMutualTls() ? "https" : "http";
        RequestResult result =
                services.normalizer().normalize(scheme, request.method().name(), request.uri(), null, normalizerInput);
        if (result instanceof Rejection rejection) {
            ex.method = request.method().name();
            ex.rejection = rejection;
            answerLocally(ex, AuthzResponse.malformed(rejection, ex.requestId));
            return ex;
        }
        NormalizedRequest normalized = (NormalizedRequest) result;
        ex.method = normalized.method();
        ex.authority = normalized.authority();
        ex.path = normalized.requestTarget();

        ProxyConfig config = services.config().current().orElse(null);
        InboundPort port = config == null ? null : config.inboundPort(connection.port());
        if (port == null) {
            // The port left the config while the connection was open: nothing authorizes this request any more.
            answerLocally(ex, LocalResponses.of(503, ex.requestId, true));
            return ex;
        }
        AuthzDecision decision = port.engine()
                .evaluate(AuthzRequest.builder(normalized)
                        .peerPrincipal(peer == null ? null : peer.toString())
                        .sourceIp(connection.source().getAddress())
                        .destinationIp(connection.destination().getAddress())
                        .destinationPort(connection.port())
                        .requestedServerName(connection.serverName())
                        .build());
        ex.decision = decision;
        if (decision.denied()) {
            answerLocally(ex, AuthzResponse.denied(ex.requestId, AuthzResponse.isGrpc(normalized)));
            return ex;
        }

        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null) {
            if (!HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(ForwardedHeaders.trim(expect))) {
                answerLocally(ex, LocalResponses.of(417, ex.requestId, true));
                return ex;
            }
            if (!(request instanceof LastHttpContent) && !ex.clientVersion.equals(HttpVersion.HTTP_1_0)) {
                // Authorized: let the body come. The app never sees Expect; the sidecar streams the body to it.
                var unused = ctx().writeAndFlush(new DefaultFullHttpResponse(
                        responseVersion(ex), HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
            }
        }

        HttpRequest forwarded = new DefaultHttpRequest(
                HttpVersion.HTTP_1_1, HttpMethod.valueOf(normalized.method()), normalized.requestTarget());
        HttpHeaders out = forwarded.headers();
        out.set(HttpHeaderNames.HOST, normalized.authority());
        for (Map.Entry<String, String> field : fields) {
            out.add(field.getKey(), field.getValue());
        }
        if (!out.contains(HttpHeaderNames.CONTENT_LENGTH) && HttpUtil.isTransferEncodingChunked(request)) {
            out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!http2 && !port.protocol().appSpeaksHttp2() && ForwardedHeaders.isWebSocketUpgrade(request)) {
            // The only hop-by-hop fields that reach the app, and only for a WebSocket handshake (RFC 6455 §4.1).
            out.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            out.set(HttpHeaderNames.CONNECTION, "Upgrade");
            ex.webSocket = true;
        }
        ex.forwardedHead = forwarded;
        ex.appStreams = port.protocol().appSpeaksHttp2() ? services.http2App() : services.http1App();
        ex.app = new InetSocketAddress(services.appHost(), connection.port());
        openAppStream(ex);
        return ex;
    }

    private void requestContent(Exchange ex, HttpContent content) {
        if (content.decoderResult().isFailure()) {
            // A broken chunk: the body's end is unknown, so the connection cannot continue.
            ReferenceCountUtil.release(content);
            ex.requestComplete = true;
            ex.closeAfter = true;
            if (!ex.responseStarted && !ex.localAnswer) {
                detachStream(ex, false);
                answerLocally(
                        ex,
                        LocalResponses.of(
                                RequestHeadCheck.statusOf(
                                        content.decoderResult().cause()),
                                ex.requestId,
                                true));
            } else {
                closeChannel();
            }
            return;
        }
        ex.bytesIn += content.content().readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (last) {
            ex.requestComplete = true;
            if (ex.webSocket && !ex.localAnswer && !ex.done) {
                // Until the app answers, bytes from the peer would be parsed as a pipelined request.
                pause(PAUSE_UPGRADE);
            }
            HttpHeaders trailers = ((LastHttpContent) content).trailingHeaders();
            ex.requestHadTrailers = !trailers.isEmpty();
            ForwardedHeaders.sanitizeRequestTrailers(trailers);
        }
        if (ex.done || ex.localAnswer || ex.responseComplete) {
            ReferenceCountUtil.release(content);
            if (last) {
                maybeFinish(ex);
            }
            return;
        }
        Channel stream = ex.stream;
        if (stream == null) {
            ex.toApp.add(content);
            return;
        }
        stream.write(content).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        ex.streamUnflushed = true;
        if (last) {
            stream.flush();
            ex.streamUnflushed = false;
        }
        if (!stream.isWritable()) {
            pause(PAUSE_BACKPRESSURE);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null && ex.streamUnflushed && ex.stream != null) {
            ex.streamUnflushed = false;
            ex.stream.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ctx.channel().isWritable() && ex != null && ex.stream != null) {
            ex.stream.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        releasePipelined();
        Exchange ex = exchange;
        if (ex != null && !ex.done) {
            // The peer went away mid-exchange: the app stream is dropped, the record says how far it got.
            ex.closeAfter = true;
            finish(ex);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof InboundDrainEvent && !http2) {
            draining = true;
            Exchange ex = exchange;
            if (ex == null) {
                closeChannel();
            } else {
                ex.closeAfter = true;
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (isExpected(cause)) {
            logger.debug("{} closed: {}", ctx.channel(), cause.toString());
        } else {
            logger.warn("{} closed on an unexpected error", ctx.channel(), cause);
        }
        closeChannel();
    }

    // ---- the app

    private void openAppStream(Exchange ex) {
        AppStreams streams = requireNonNull(ex.appStreams, "appStreams");
        InetSocketAddress app = requireNonNull(ex.app, "app");
        Future<Channel> opening;
        try {
            // A WebSocket handshake gets a connection of its own: after a 101 it carries raw bytes, never a request.
            opening = ex.webSocket
                    ? streams.openDedicated(ctx().channel().eventLoop(), app)
                    : streams.open(ctx().channel().eventLoop(), app);
        } catch (RuntimeException e) {
            appFailed(ex, e);
            return;
        }
        if (opening.isDone() && ctx().executor().inEventLoop()) {
            // A pooled stream, handed over at once (the common case under load): no pause, so no autoRead round
            // trip (two epoll_ctl calls and a read) per request.
            appStreamOpened(ex, opening);
            return;
        }
        pause(PAUSE_CONNECTING);
        opening.addListener(f -> {
            if (ctx().executor().inEventLoop()) {
                appStreamOpened(ex, opening);
            } else {
                ctx().executor().execute(() -> appStreamOpened(ex, opening));
            }
        });
    }

    private void appStreamOpened(Exchange ex, Future<Channel> opening) {
        if (!opening.isSuccess()) {
            logger.debug("{} app {} not reachable: {}", ctx().channel(), ex.app, String.valueOf(opening.cause()));
            appFailed(ex, opening.cause());
            return;
        }
        Channel stream = opening.getNow();
        AppStreams streams = requireNonNull(ex.appStreams, "appStreams");
        if (ex.done || ex.localAnswer || closed) {
            streams.release(stream, false);
            return;
        }
        if (!stream.isActive()) {
            streams.release(stream, false);
            appFailed(ex, new ClosedChannelException());
            return;
        }
        ex.stream = stream;
        stream.pipeline().addLast(PipelineNames.APP_RESPONSE, new AppResponseHandler(ex));
        stream.write(requireNonNull(ex.forwardedHead, "forwardedHead"))
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        HttpContent pending;
        while ((pending = ex.toApp.poll()) != null) {
            stream.write(pending).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        stream.flush();
        resume(PAUSE_CONNECTING);
        if (!stream.isWritable()) {
            pause(PAUSE_BACKPRESSURE);
        }
    }

    /** The app could not be reached, or its stream ended before the response did. */
    private void appFailed(Exchange ex, @Nullable Throwable cause) {
        if (ex.done || ex.localAnswer) {
            return;
        }
        detachStream(ex, false);
        if (ex.responseStarted) {
            // Part of the response went out: only closing tells the peer it is cut short.
            ex.closeAfter = true;
            finish(ex);
            return;
        }
        if (isRetryable(ex)) {
            // A pooled keep-alive connection the app closed as we reused it: the request had no body, send it again.
            ex.retried = true;
            ex.interim = false;
            ex.toApp.add(LastHttpContent.EMPTY_LAST_CONTENT);
            openAppStream(ex);
            return;
        }
        logger.debug("{} app {} failed: {}", ctx().channel(), ex.app, String.valueOf(cause));
        answerLocally(ex, LocalResponses.of(503, ex.requestId, false));
    }

    private boolean isRetryable(Exchange ex) {
        return !ex.retried
                && !ex.webSocket
                && !closed
                && ex.requestComplete
                && ex.bytesIn == 0
                && !ex.requestHadTrailers
                && ex.method != null
                && IDEMPOTENT_METHODS.contains(ex.method);
    }

    /** Hands the app stream back: to the pool when {@code reusable}, else closed. */
    private void detachStream(Exchange ex, boolean reusable) {
        Channel stream = ex.stream;
        if (stream == null) {
            return;
        }
        ex.stream = null;
        if (stream.pipeline().context(PipelineNames.APP_RESPONSE) != null) {
            stream.pipeline().remove(PipelineNames.APP_RESPONSE);
        }
        stream.config().setAutoRead(true);
        requireNonNull(ex.appStreams, "appStreams").release(stream, reusable && !ex.webSocket);
        resume(PAUSE_BACKPRESSURE);
    }

    /** Relays one exchange's response from the app stream to the peer. Last in the app stream's pipeline. */
    private final class AppResponseHandler extends ChannelInboundHandlerAdapter {
        private final Exchange ex;

        AppResponseHandler(Exchange ex) {
            this.ex = ex;
        }

        @Override
        public void channelRead(ChannelHandlerContext app, Object msg) {
            if (ex.done || ex.responseComplete || ex.stream != app.channel()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            Object rest = msg;
            if (msg instanceof HttpResponse response) {
                rest = responseHead(app, response);
                if (rest == null) {
                    return;
                }
            }
            if (rest instanceof HttpContent content) {
                responseContent(app, content);
            } else {
                ReferenceCountUtil.release(rest);
            }
        }

        /** Relays a response head; returns what is left of {@code response} to relay as content, or null. */
        private @Nullable Object responseHead(ChannelHandlerContext app, HttpResponse response) {
            HttpResponseStatus status = response.status();
            if (status.code() == 101
                    && ex.webSocket
                    && ex.requestComplete
                    && !ex.responseStarted
                    && !response.decoderResult().isFailure()
                    && isWebSocketAccept(response.headers())) {
                switchProtocols(app, response);
                return null;
            }
            if (response.decoderResult().isFailure() || status.code() == 101 || ex.responseStarted) {
                // Unparseable, a protocol switch nobody asked for (only a WebSocket Upgrade is forwarded), or a
                // second head.
                ReferenceCountUtil.release(response);
                var unused = app.close();
                return null;
            }
            if (status.codeClass() == HttpStatusClass.INFORMATIONAL) {
                FullHttpResponse interim =
                        new DefaultFullHttpResponse(responseVersion(ex), status, Unpooled.EMPTY_BUFFER);
                ForwardedHeaders.copyResponse(response.headers(), interim.headers());
                var unused = ctx().write(interim);
                ex.interim = !(response instanceof LastHttpContent);
                ReferenceCountUtil.release(response);
                return null;
            }
            ex.responseStarted = true;
            ex.status = status.code();
            ex.grpcStatus = Exchange.parseGrpcStatus(response.headers().get("grpc-status"));
            HttpResponse head = new DefaultHttpResponse(responseVersion(ex), status);
            ForwardedHeaders.copyResponse(response.headers(), head.headers());
            if (!http2) {
                frameForHttp1(head);
            }
            ctx().write(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            if (response instanceof FullHttpResponse full) {
                // The buffer moves to the new content.
                return new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            }
            return null;
        }

        /**
         * The app accepted a WebSocket handshake: the 101 goes to the peer, then both connections drop their HTTP
         * handlers and carry raw bytes until either closes; the exchange's flow event is emitted then.
         */
        private void switchProtocols(ChannelHandlerContext app, HttpResponse response) {
            FullHttpResponse head = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS, Unpooled.EMPTY_BUFFER);
            ForwardedHeaders.copyResponse(response.headers(), head.headers());
            head.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            head.headers().set(HttpHeaderNames.CONNECTION, "Upgrade");
            ReferenceCountUtil.release(response);
            ex.status = 101;
            ex.responseStarted = true;
            ex.responseComplete = true;
            ex.done = true;
            ex.stream = null;
            if (exchange == ex) {
                exchange = null;
            }
            closed = true; // no more HTTP on this connection
            Channel client = ctx().channel();
            Channel appChannel = app.channel();
            // Encoded by the HTTP codec now, before it leaves the pipeline.
            ctx().writeAndFlush(head).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);

            ByteSplice splice = new ByteSplice(client, appChannel, (fromClient, fromApp) -> {
                ex.bytesIn += fromClient;
                ex.bytesOut += fromApp;
                try {
                    services.flows().record(ex.toFlowEvent(connection));
                } catch (RuntimeException e) {
                    logger.warn("{} flow sink failed", client, e);
                }
            });
            // The splice handlers go in first, so that bytes the codecs still hold when removed reach them.
            ChannelPipeline clientPipeline = client.pipeline();
            clientPipeline.addLast(PipelineNames.UPGRADED, splice.clientHandler());
            for (String name : List.of(
                    PipelineNames.EXCHANGE,
                    PipelineNames.H1_TIMEOUTS,
                    PipelineNames.H1_CODEC,
                    PipelineNames.H1_BYTES)) {
                if (clientPipeline.context(name) != null) {
                    clientPipeline.remove(name);
                }
            }
            ChannelPipeline appPipeline = appChannel.pipeline();
            appPipeline.addLast(PipelineNames.UPGRADED, splice.appHandler());
            for (String name : new ArrayList<>(appPipeline.toMap().keySet())) {
                if (!name.equals(PipelineNames.UPGRADED) && appPipeline.context(name) != null) {
                    appPipeline.remove(name);
                }
            }
            splice.start();
        }

        private void frameForHttp1(HttpResponse head) {
            HttpHeaders headers = head.headers();
            int code = head.status().code();
            boolean bodyless = ex.head || code == 204 || code == 304;
            if (!bodyless && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                if (head.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                    headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                } else {
                    ex.closeAfter = true; // HTTP/1.0 without a length: the body ends with the connection
                }
            }
            setConnectionHeader(ex, headers);
        }

        private void responseContent(ChannelHandlerContext app, HttpContent content) {
            if (ex.interim) {
                ex.interim = !(content instanceof LastHttpContent);
                ReferenceCountUtil.release(content);
                return;
            }
            if (!ex.responseStarted) {
                ReferenceCountUtil.release(content);
                return;
            }
            ex.bytesOut += content.content().readableBytes();
            if (!(content instanceof LastHttpContent last)) {
                ctx().write(content).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                if (!ctx().channel().isWritable()) {
                    app.channel().config().setAutoRead(false);
                }
                return;
            }
            HttpHeaders trailers = last.trailingHeaders();
            Integer grpcStatus = Exchange.parseGrpcStatus(trailers.get("grpc-status"));
            if (grpcStatus != null) {
                ex.grpcStatus = grpcStatus;
            }
            LastHttpContent out = last;
            if (!trailers.isEmpty()) {
                out = new DefaultLastHttpContent(last.content());
                ForwardedHeaders.copyResponse(trailers, out.trailingHeaders());
            }
            ex.responseComplete = true;
            if (!ex.requestComplete) {
                // The app answered before the request's end: what is left of the body has nowhere to go.
                ex.closeAfter = true;
            }
            ChannelFuture written = ctx().writeAndFlush(out);
            detachStream(ex, ex.requestComplete);
            written.addListener(f -> {
                ex.responseWritten = true;
                maybeFinish(ex);
            });
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext app) {
            ctx().flush();
            app.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext app) {
            if (app.channel().isWritable()) {
                resume(PAUSE_BACKPRESSURE);
            }
            app.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext app) {
            if (ex.stream == app.channel() && !ex.responseComplete) {
                appFailed(ex, new ClosedChannelException());
            }
            app.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext app, Throwable cause) {
            logger.debug("{} app stream failed", app.channel(), cause);
            var unused = app.close();
        }
    }

    // ---- answers and the end of an exchange

    /**
     * Answers {@code ex} without the app. Whether the connection stays open depends on what is left of the request:
     * nothing or a short body (read and dropped) keeps it, a long or chunked one closes it after the answer.
     */
    private void answerLocally(Exchange ex, AuthzResponse answer) {
        ex.localAnswer = true;
        ex.status = answer.status();
        ex.grpcStatus = Exchange.parseGrpcStatus(answer.headers().get("grpc-status"));
        if (answer.closeConnection() || (!ex.requestComplete && ex.longBody)) {
            ex.closeAfter = true;
        }
        byte[] body = ex.head ? new byte[0] : answer.body();
        FullHttpResponse response = new DefaultFullHttpResponse(
                responseVersion(ex), HttpResponseStatus.valueOf(answer.status()), Unpooled.wrappedBuffer(body));
        for (Map.Entry<String, String> header : answer.headers().entrySet()) {
            if (!header.getKey().equals("connection")) {
                response.headers().set(header.getKey(), header.getValue());
            }
        }
        if (!http2) {
            if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                // gRPC trailers-only answers have no body; on HTTP/1.1 the headers and an empty body say the same.
                response.headers().set(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
            }
            setConnectionHeader(ex, response.headers());
        }
        ex.bytesOut = body.length;
        ex.responseStarted = true;
        ex.responseComplete = true;
        ex.releasePending();
        // Read on: what is left of the request is dropped (or the connection closes once the answer is out).
        resume(PAUSE_CONNECTING);
        resume(PAUSE_BACKPRESSURE);
        ctx().writeAndFlush(response).addListener(f -> {
            ex.responseWritten = true;
            maybeFinish(ex);
        });
    }

    /** Whether the body still to come after the head is too long (or unknown: chunked, HTTP/2) to read and drop. */
    private boolean hasLongBody(HttpRequest request) {
        if (request instanceof LastHttpContent) {
            return false;
        }
        if (http2 || request.decoderResult().isFailure() || HttpUtil.isTransferEncodingChunked(request)) {
            // A failed head's framing is unknown (its Content-Length may not even be a number): never read past it.
            return true;
        }
        try {
            return HttpUtil.getContentLength(request, 0L) > MAX_DISCARDED_BODY_BYTES;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** Sets {@code Connection} on an HTTP/1.x answer, deciding now whether the connection outlives the exchange. */
    private void setConnectionHeader(Exchange ex, HttpHeaders headers) {
        if (!ex.keepAlive || draining || closed) {
            ex.closeAfter = true;
        }
        if (ex.closeAfter) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (ex.clientVersion.equals(HttpVersion.HTTP_1_0)) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private HttpVersion responseVersion(Exchange ex) {
        return !http2 && ex.clientVersion.equals(HttpVersion.HTTP_1_0) ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    }

    /** Ends {@code ex} once its response is written and its request read (or abandoned because the connection closes). */
    private void maybeFinish(Exchange ex) {
        if (ex.responseWritten && (ex.requestComplete || ex.closeAfter)) {
            finish(ex);
        }
    }

    private void finish(Exchange ex) {
        if (ex.done) {
            return;
        }
        ex.done = true;
        ex.releasePending();
        detachStream(ex, false);
        resume(PAUSE_UPGRADE);
        resume(PAUSE_CONNECTING);
        resume(PAUSE_BACKPRESSURE);
        try {
            services.flows().record(ex.toFlowEvent(connection));
        } catch (RuntimeException e) {
            logger.warn("{} flow sink failed", ctx().channel(), e);
        }
        if (exchange == ex) {
            exchange = null;
        }
        if (ex.closeAfter || closed || (draining && !http2)) {
            closeChannel();
            return;
        }
        nextPipelined();
    }

    /** Serves the requests that waited behind the one that just ended, in order. */
    private void nextPipelined() {
        HttpObject next;
        while (!closed && (next = pipelined.peek()) != null) {
            if (next instanceof HttpRequest && exchange != null) {
                return;
            }
            pipelined.poll();
            if (next instanceof HttpRequest) {
                pipelinedRequests--;
            }
            dispatch(next);
        }
        if (pipelined.isEmpty()) {
            resume(PAUSE_PIPELINE);
        }
    }

    private void closeChannel() {
        closed = true;
        releasePipelined();
        var unused = ctx().close();
    }

    private void releasePipelined() {
        HttpObject object;
        while ((object = pipelined.poll()) != null) {
            ReferenceCountUtil.release(object);
        }
        pipelinedRequests = 0;
    }

    // ---- reading

    private void pause(int reason) {
        if (paused == 0) {
            ctx().channel().config().setAutoRead(false);
        }
        paused |= reason;
    }

    private void resume(int reason) {
        if ((paused & reason) == 0) {
            return;
        }
        paused &= ~reason;
        if (paused == 0 && !closed) {
            ctx().channel().config().setAutoRead(true);
        }
    }

    /** The app's 101 switches to WebSocket, as the handshake asked (RFC 6455 §4.2.2). */
    private static boolean isWebSocketAccept(HttpHeaders headers) {
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        return upgrade != null && ForwardedHeaders.trim(upgrade).equalsIgnoreCase("websocket");
    }

    private static boolean isGrpc(HttpHeaders headers) {
        String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null) {
            return false;
        }
        String t = ForwardedHeaders.trim(type).toLowerCase(Locale.ROOT);
        return t.equals("application/grpc") || t.startsWith("application/grpc+") || t.startsWith("application/grpc;");
    }

    static boolean isExpected(Throwable cause) {
        return cause instanceof IOException || (cause.getCause() != null && cause.getCause() instanceof IOException);
    }
}
