package dev.palisade.proxy.inbound.h2;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP/2 connections of one event loop to one app address. Confined to that loop: every method runs on it, so no
 * field needs synchronisation.
 */
final class AppConnectionPool {
    record Settings(
            Duration connectTimeout,
            Class<? extends Channel> channelType,
            int maxConnectionsPerApp,
            int maxPendingStreams) {
        Settings {
            requireNonNull(connectTimeout, "connectTimeout");
            requireNonNull(channelType, "channelType");
            if (connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: > 0)");
            }
            if (maxConnectionsPerApp < 1) {
                throw new IllegalArgumentException(
                        "maxConnectionsPerApp: " + maxConnectionsPerApp + " (expected: > 0)");
            }
            if (maxPendingStreams < 0) {
                throw new IllegalArgumentException("maxPendingStreams: " + maxPendingStreams + " (expected: >= 0)");
            }
        }
    }

    private final EventLoop loop;
    private final InetSocketAddress app;
    private final Settings settings;
    private final List<AppConnection> connections = new ArrayList<>();
    private final ArrayDeque<Promise<Channel>> pending = new ArrayDeque<>();
    private boolean closed;

    AppConnectionPool(EventLoop loop, InetSocketAddress app, Settings settings) {
        this.loop = loop;
        this.app = app;
        this.settings = settings;
    }

    EventLoop loop() {
        return loop;
    }

    int connectionCount() {
        return connections.size();
    }

    /** Opens a stream for {@code promise} now, on a new connection, or later; fails it when the queue is full. */
    void acquire(Promise<Channel> promise) {
        assert loop.inEventLoop();
        if (promise.isDone()) {
            return; // cancelled by the caller while queued
        }
        if (closed) {
            promise.tryFailure(new IllegalStateException("closed"));
            return;
        }
        AppConnection connection = withRoom();
        if (connection == null && connections.size() < settings.maxConnectionsPerApp()) {
            connection = connect();
        }
        if (connection != null) {
            connection.openStream(promise);
        } else if (pending.size() < settings.maxPendingStreams()) {
            pending.add(promise);
        } else {
            promise.tryFailure(new RejectedExecutionException("app " + app + ": " + connections.size()
                    + " connections at their stream limit and " + pending.size() + " opens queued"));
        }
    }

    private @Nullable AppConnection withRoom() {
        for (AppConnection connection : connections) {
            if (connection.hasRoom()) {
                return connection;
            }
        }
        return null;
    }

    private AppConnection connect() {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(settings.channelType())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true);
        AppConnection connection = new AppConnection(this, bootstrap, app);
        connections.add(connection);
        return connection;
    }

    /** A stream ended, a connection learned a new stream limit, or a connection went away: serve the queue. */
    void capacityChanged() {
        while (!pending.isEmpty() && !closed) {
            AppConnection connection = withRoom();
            if (connection == null && connections.size() < settings.maxConnectionsPerApp()) {
                connection = connect();
            }
            if (connection == null) {
                return;
            }
            Promise<Channel> next = pending.poll();
            if (next != null && !next.isDone()) {
                connection.openStream(next);
            }
        }
    }

    void removed(AppConnection connection) {
        connections.remove(connection);
        capacityChanged();
    }

    void close() {
        closed = true;
        Promise<Channel> next;
        while ((next = pending.poll()) != null) {
            next.tryFailure(new IllegalStateException("closed"));
        }
        for (AppConnection connection : List.copyOf(connections)) {
            connection.close();
        }
        connections.clear();
    }
}
