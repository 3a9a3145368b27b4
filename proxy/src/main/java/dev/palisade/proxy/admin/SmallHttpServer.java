package dev.palisade.proxy.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.1 server under {@link AdminServer} and {@link HealthServer}: small limits (4 KiB request line, 8 KiB of
 * headers, 8 KiB body, answered 413 beyond by the aggregator), a 30 s read timeout, and nothing but the endpoints.
 */
final class SmallHttpServer implements AutoCloseable {
    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEADER_SIZE = 8192;
    static final int MAX_BODY = 8192;

    private final Channel listener;
    private final ChannelGroup connections;

    SmallHttpServer(EventLoopGroup group, InetSocketAddress bind, Map<String, Endpoint> endpoints)
            throws InterruptedException {
        ChannelGroup open = new DefaultChannelGroup("palisade-admin", GlobalEventExecutor.INSTANCE);
        boolean epoll = group instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class);
        Class<? extends ServerChannel> serverClass =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Map<String, Endpoint> routes = Map.copyOf(endpoints);
        this.listener = new ServerBootstrap()
                .group(group)
                .channel(serverClass)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        open.add(ch);
                        ch.pipeline()
                                .addLast("timeout", new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                                .addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 8192))
                                .addLast("aggregator", new HttpObjectAggregator(MAX_BODY))
                                .addLast("endpoints", new EndpointHandler(routes));
                    }
                })
                .bind(bind)
                .sync()
                .channel();
        this.connections = open;
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        connections.close().syncUninterruptibly();
    }
}
