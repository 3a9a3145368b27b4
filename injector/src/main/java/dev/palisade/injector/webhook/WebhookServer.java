package dev.palisade.injector.webhook;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admission webhook's HTTPS server (see {@link WebhookHttpHandler} for the routes and
 * {@link WebhookChannelInitializer} for the pipeline).
 *
 * <p>Owns its event loop group (NIO: admission is a handful of requests per pod creation, not a data path).
 * {@link #close()} stops accepting, then lets requests in flight finish for up to two seconds.
 */
public final class WebhookServer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(WebhookServer.class);

    private final EventLoopGroup group;
    private final Channel channel;

    private WebhookServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds and starts serving.
     *
     * @throws InterruptedException if interrupted while binding
     * @throws io.netty.channel.ChannelException or an {@link java.io.IOException} subtype when the address cannot be
     *     bound
     */
    public static WebhookServer start(
            WebhookServerConfig config, ServingCertificate certificate, AdmissionReviewHandler handler)
            throws InterruptedException {
        requireNonNull(config, "config");
        requireNonNull(certificate, "certificate");
        requireNonNull(handler, "handler");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(config.ioThreads(), NioIoHandler.newFactory());
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new WebhookChannelInitializer(config, certificate, handler))
                    .bind(config.listen())
                    .sync()
                    .channel();
            WebhookServer server = new WebhookServer(group, channel);
            logger.info(
                    "admission webhook listening on https://{}:{} (failure policy {})",
                    server.localAddress().getHostString(),
                    server.localAddress().getPort(),
                    handler.failurePolicy());
            return server;
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
    }

    /** The bound address (with the real port when the configured one was 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Waits until the server has been closed. */
    public void awaitClosed() throws InterruptedException {
        channel.closeFuture().await();
        group.terminationFuture().await();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        logger.info("admission webhook stopped");
    }
}
