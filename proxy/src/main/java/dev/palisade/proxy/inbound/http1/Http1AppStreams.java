package dev.palisade.proxy.inbound.http1;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.inbound.AppStreams;
import dev.palisade.proxy.inbound.InboundLimits;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * HTTP/1.1 exchange channels to the app: a pool of keep-alive client connections per event loop, so that an exchange
 * and its app connection share a thread and nothing on the data path locks. Each connection carries one exchange at a
 * time (no pipelining to the app).
 *
 * <ul>
 *   <li>A released connection goes back to its loop's idle pool when the caller says the exchange completed, the
 *       request and the final response were both written and read to their end, and neither side said {@code
 *       Connection: close} (nor HTTP/1.0 without keep-alive); otherwise it is closed.
 *   <li>At most {@code maxIdlePerLoop} idle connections per loop and app address; more are closed.
 *   <li>An idle connection is closed after {@code idleTimeout}, shorter than common app keep-alive timeouts (Node.js
 *       closes after 5 s) so that the sidecar rarely reuses a connection the app is closing; one that closes while
 *       idle leaves the pool at once, and one that sends anything while idle is closed.
 *   <li>Connecting is bounded by {@code connectTimeout}. Reused connections are taken most recent first.
 * </ul>
 *
 * Thread-safe; each loop's pool is touched only on that loop.
 */
public final class Http1AppStreams implements AppStreams {

    /** Idle connections kept per event loop and app address. */
    public static final int DEFAULT_MAX_IDLE_PER_LOOP = 32;
    /** How long an idle connection is kept. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(4);

    private final Class<? extends Channel> channelType;
    private final Duration connectTimeout;
    private final int maxIdlePerLoop;
    private final Duration idleTimeout;
    private final HttpDecoderConfig decoderConfig;
    private final ConcurrentMap<EventLoop, Map<InetSocketAddress, ArrayDeque<Channel>>> idle =
            new ConcurrentHashMap<>();
    private final ChannelGroup all = new DefaultChannelGroup("app connections", GlobalEventExecutor.INSTANCE);
    private volatile boolean closed;

    /**
     * @param channelType the socket channel class of the event loops' transport ({@code EpollSocketChannel}, {@code
     *     NioSocketChannel})
     * @param connectTimeout bound on connecting to the app
     * @param maxIdlePerLoop idle connections kept per loop and app address (0: no reuse)
     * @param idleTimeout how long an idle connection is kept
     */
    public Http1AppStreams(
            Class<? extends Channel> channelType, Duration connectTimeout, int maxIdlePerLoop, Duration idleTimeout) {
        this.channelType = requireNonNull(channelType, "channelType");
        this.connectTimeout = requireNonNull(connectTimeout, "connectTimeout");
        this.idleTimeout = requireNonNull(idleTimeout, "idleTimeout");
        if (maxIdlePerLoop < 0) {
            throw new IllegalArgumentException("maxIdlePerLoop: " + maxIdlePerLoop + " (expected: >= 0)");
        }
        if (connectTimeout.isNegative()
                || connectTimeout.isZero()
                || idleTimeout.isNegative()
                || idleTimeout.isZero()) {
            throw new IllegalArgumentException(
                    "timeouts: connect " + connectTimeout + ", idle " + idleTimeout + " (expected: > 0)");
        }
        this.maxIdlePerLoop = maxIdlePerLoop;
        // The app is on loopback and trusted more than a peer, but its responses still pass a strict parser.
        this.decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(16 * 1024)
                .setMaxHeaderSize(128 * 1024)
                .setValidateHeaders(true)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true);
    }

    /** A pool with the connect timeout of {@code limits} and the default idle bounds. */
    public static Http1AppStreams of(Class<? extends Channel> channelType, InboundLimits limits) {
        return new Http1AppStreams(
                channelType, limits.connectTimeout(), DEFAULT_MAX_IDLE_PER_LOOP, DEFAULT_IDLE_TIMEOUT);
    }

    @Override
    public Future<Channel> open(EventLoop loop, InetSocketAddress app) {
        requireNonNull(loop, "loop");
        requireNonNull(app, "app");
        Promise<Channel> promise = loop.newPromise();
        if (loop.inEventLoop()) {
            acquire(loop, app, promise);
        } else {
            loop.execute(() -> acquire(loop, app, promise));
        }
        return promise;
    }

    @Override
    public Future<Channel> openDedicated(EventLoop loop, InetSocketAddress app) {
        requireNonNull(loop, "loop");
        requireNonNull(app, "app");
        Promise<Channel> promise = loop.newPromise();
        loop.execute(() -> {
            if (closed) {
                promise.tryFailure(new ClosedChannelException());
            } else {
                connect(loop, app, promise);
            }
        });
        return promise;
    }

    private ArrayDeque<Channel> idleFor(EventLoop loop, InetSocketAddress app) {
        return idle.computeIfAbsent(loop, l -> new HashMap<>()).computeIfAbsent(app, a -> new ArrayDeque<>());
    }

    private void acquire(EventLoop loop, InetSocketAddress app, Promise<Channel> promise) {
        if (closed) {
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        ArrayDeque<Channel> idleChannels = idleFor(loop, app);
        Channel reused;
        while ((reused = idleChannels.pollLast()) != null) {
            PooledConnection connection = reused.pipeline().get(PooledConnection.class);
            if (connection != null && reused.isActive() && connection.isReusable()) {
                connection.lease();
                if (!promise.trySuccess(reused)) {
                    release(reused, true);
                }
                return;
            }
            var unused = reused.close();
        }
        connect(loop, app, promise);
    }

    private void connect(EventLoop loop, InetSocketAddress app, Promise<Channel> promise) {
        ChannelFuture connecting = new Bootstrap()
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis())))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("codec", new HttpClientCodec(decoderConfig, false, true));
                        ch.pipeline().addLast("pool", new PooledConnection(app));
                    }
                })
                .connect(app);
        Channel ch = connecting.channel();
        all.add(ch);
        ch.closeFuture().addListener(f -> idleFor(loop, app).remove(ch));
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
            }
            PooledConnection connection = ch.pipeline().get(PooledConnection.class);
            if (connection == null || closed) {
                var unused = ch.close();
                promise.tryFailure(new ClosedChannelException());
                return;
            }
            connection.lease();
            if (!promise.trySuccess(ch)) {
                release(ch, true); // the caller gave up meanwhile
            }
        });
    }

    @Override
    public void release(Channel stream, boolean reusable) {
        requireNonNull(stream, "stream");
        EventLoop loop = stream.eventLoop();
        if (!loop.inEventLoop()) {
            loop.execute(() -> release(stream, reusable));
            return;
        }
        PooledConnection connection = stream.pipeline().get(PooledConnection.class);
        if (connection != null) {
            connection.unlease();
        }
        if (connection == null
                || closed
                || !reusable
                || !stream.isActive()
                || !connection.isReusable()
                || maxIdlePerLoop == 0) {
            var unused = stream.close();
            return;
        }
        ArrayDeque<Channel> idleChannels = idleFor(loop, connection.app());
        if (idleChannels.size() >= maxIdlePerLoop) {
            var unused = stream.close();
            return;
        }
        stream.config().setAutoRead(true); // so that the app closing it, or talking out of turn, is seen at once
        connection.unlease(idleTimeout);
        idleChannels.addLast(stream);
    }

    @Override
    public void close() {
        closed = true;
        all.close().awaitUninterruptibly();
    }

    /** Connections open to the app, idle or in use: for tests and metrics. */
    public int openConnections() {
        return all.size();
    }
}
