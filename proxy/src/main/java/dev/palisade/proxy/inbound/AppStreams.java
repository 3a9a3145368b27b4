package dev.palisade.proxy.inbound;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/**
 * Exchange channels to the app on loopback, one per HTTP request: an HTTP/1.1 connection from a pool, or a stream of
 * an HTTP/2 connection. Either way the channel speaks Netty's {@code HttpObject}s (an {@code HttpRequest}, contents,
 * a {@code LastHttpContent} with trailers; the same back), so one exchange handler serves both. The caller adds its
 * response handler at the end of the channel's pipeline and removes it before {@link #release}.
 */
public interface AppStreams extends AutoCloseable {
    /**
     * An exchange channel to {@code app}, completed on {@code loop} (the caller's event loop: no cross-thread hops on
     * the data path). Fails with the connect error when the app is not listening.
     */
    Future<Channel> open(EventLoop loop, InetSocketAddress app);

    /**
     * A new connection to {@code app} that was never pooled and will not be (release it with {@code reusable} false):
     * for a WebSocket upgrade, after which the connection carries raw bytes. Fails when the implementation has no
     * HTTP/1.1 connections to offer.
     */
    default Future<Channel> openDedicated(EventLoop loop, InetSocketAddress app) {
        return loop.newFailedFuture(new UnsupportedOperationException("no dedicated HTTP/1.1 connections"));
    }

    /**
     * Ends the exchange on {@code stream}: returned to the pool when {@code reusable} (a complete response, keep-alive)
     * or closed.
     */
    void release(Channel stream, boolean reusable);

    /** Closes every connection to the app. */
    @Override
    void close();
}
