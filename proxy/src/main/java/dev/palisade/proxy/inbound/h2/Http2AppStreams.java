package dev.palisade.proxy.inbound.h2;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.inbound.AppStreams;
import dev.palisade.proxy.inbound.InboundLimits;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * HTTP/2 exchange channels to the app: cleartext HTTP/2 with prior knowledge (RFC 9113 §3.3; no {@code Upgrade}
 * dance, the port's declared protocol says the app speaks it), one stream per exchange.
 *
 * <p>Connections are pooled per event loop and app address, so a stream and the inbound stream it serves share a
 * thread and nothing on the data path crosses threads. A pool opens a stream on a connection with room under the
 * app's SETTINGS_MAX_CONCURRENT_STREAMS (100 assumed until the app's SETTINGS arrive, RFC 9113 §6.5.2), opens
 * another connection when all are full (up to {@code maxConnectionsPerApp}), and beyond that queues up to {@code
 * maxPendingStreams} opens, failing the rest at once. A connection that received GOAWAY takes no new streams and
 * closes when its last stream ends; a closed one is replaced on the next open.
 *
 * <p>Each opened channel is a {@link Http2StreamChannel} whose pipeline holds {@code
 * Http2StreamFrameToHttpObjectCodec(false)}: write an {@code HttpRequest} (its {@code Host} becomes {@code
 * :authority}; connection-specific fields are dropped by the codec), contents and a {@code LastHttpContent}; read the
 * {@code HttpResponse}, contents and a {@code LastHttpContent} with the trailers, or one {@code FullHttpResponse} for a
 * trailers-only answer. A stream is never reused: {@link #release} closes it (RST_STREAM CANCEL if it is still open).
 */
public final class Http2AppStreams implements AppStreams {
    /** Connections per event loop and app before opens are queued. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_APP = 4;
    /** Opens queued per event loop and app while every connection is full. */
    public static final int DEFAULT_MAX_PENDING_STREAMS = 256;

    private final AppConnectionPool.Settings settings;
    private final ConcurrentMap<PoolKey, AppConnectionPool> pools = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * Connections of type {@code channelType} (it must match the event loops' transport, {@code NioSocketChannel} or
     * {@code EpollSocketChannel}), with the connect timeout of {@code limits} and the default pool bounds.
     */
    public Http2AppStreams(InboundLimits limits, Class<? extends Channel> channelType) {
        this(
                requireNonNull(limits, "limits").connectTimeout(),
                channelType,
                DEFAULT_MAX_CONNECTIONS_PER_APP,
                DEFAULT_MAX_PENDING_STREAMS);
    }

    /** As {@link #Http2AppStreams(InboundLimits, Class)}, with explicit pool bounds. */
    public Http2AppStreams(
            Duration connectTimeout,
            Class<? extends Channel> channelType,
            int maxConnectionsPerApp,
            int maxPendingStreams) {
        this.settings =
                new AppConnectionPool.Settings(connectTimeout, channelType, maxConnectionsPerApp, maxPendingStreams);
    }

    @Override
    public Future<Channel> open(EventLoop loop, InetSocketAddress app) {
        requireNonNull(loop, "loop");
        requireNonNull(app, "app");
        Promise<Channel> promise = loop.newPromise();
        if (closed) {
            return promise.setFailure(new IllegalStateException("closed"));
        }
        AppConnectionPool pool =
                pools.computeIfAbsent(new PoolKey(loop, app), k -> new AppConnectionPool(loop, app, settings));
        if (loop.inEventLoop()) {
            pool.acquire(promise);
        } else {
            loop.execute(() -> pool.acquire(promise));
        }
        return promise;
    }

    @Override
    public void release(Channel stream, boolean reusable) {
        // An HTTP/2 stream carries exactly one exchange: never reusable. Closing a stream that already ended is a
        // no-op.
        stream.close();
    }

    /** Closes every connection; opens after this fail. */
    @Override
    public void close() {
        closed = true;
        for (AppConnectionPool pool : pools.values()) {
            pool.loop().execute(pool::close);
        }
        pools.clear();
    }

    /** How many connections the pool of {@code loop} and {@code app} holds now (tests, metrics); 0 without one. */
    public int connectionCount(EventLoop loop, InetSocketAddress app) {
        AppConnectionPool pool = pools.get(new PoolKey(loop, app));
        return pool == null ? 0 : pool.connectionCount();
    }

    private record PoolKey(EventLoop loop, InetSocketAddress app) {}
}
