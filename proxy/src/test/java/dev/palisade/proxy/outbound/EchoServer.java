package dev.palisade.proxy.outbound;

import dev.palisade.certs.tls.PeerIdentity;
import dev.palisade.certs.tls.TlsSessions;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A loopback echo server, TLS (requiring a client SVID) or plaintext. It records each finished handshake (the client's
 * SPIFFE ID and the negotiated ALPN) and counts the application bytes it received; when the client ends its output
 * (FIN or {@code close_notify}), it flushes and closes.
 */
final class EchoServer implements AutoCloseable {
    /** One finished handshake: the client's SPIFFE ID, the ALPN, and whether it resumed an earlier session. */
    record Handshake(String peerId, String alpn, boolean resumed) {}

    final LinkedBlockingQueue<Handshake> handshakes = new LinkedBlockingQueue<>();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong connections = new AtomicLong();
    private final Channel channel;

    EchoServer(EventLoopGroup group, @Nullable SslContext tls) throws InterruptedException {
        channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        if (tls != null) {
                            SslHandler ssl = tls.newHandler(ch.alloc());
                            ch.pipeline().addLast(ssl);
                            ssl.handshakeFuture().addListener(f -> {
                                if (f.isSuccess()) {
                                    String alpn = ssl.applicationProtocol();
                                    handshakes.add(new Handshake(
                                            PeerIdentity.of(ssl)
                                                    .map(Object::toString)
                                                    .orElse("(none)"),
                                            alpn == null ? "(none)" : alpn,
                                            TlsSessions.isResumed(ssl.engine())));
                                }
                            });
                        }
                        ch.pipeline().addLast(new Echo());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private final class Echo extends ChannelInboundHandlerAdapter {
        private boolean ended;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            bytesReceived.addAndGet(((ByteBuf) msg).readableBytes());
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof SslCloseCompletionEvent) {
                // Later: SslHandler fires close_notify before the plaintext decoded in the same read.
                ctx.executor().execute(() -> {
                    if (!ended) {
                        ended = true;
                        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                    }
                });
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
