package dev.palisade.testkit.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;

/**
 * A loopback TLS server and client for handshake tests. The server answers each completed handshake with a line
 * describing the peer (by default nothing; certs tests pass a function printing its SPIFFE ID), then echoes whatever
 * the client sends; every handshake's outcome is queued in {@link #serverHandshakes}. The server takes its
 * {@link SslContext} from a supplier at each accept, so a test can rotate certificates under it.
 */
public final class TlsTestPeer implements AutoCloseable {

    /** The outcome of one handshake on one side. */
    public record Handshake(boolean success, Optional<String> peerId, String protocol, Throwable cause) {}

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    public final LinkedBlockingQueue<Handshake> serverHandshakes = new LinkedBlockingQueue<>();
    private final Supplier<SslContext> serverContext;
    private final Function<SSLSession, Optional<String>> describePeer;
    private final Channel serverChannel;

    /** A server with a fixed context whose greeting is the peer's description, or {@code (none)}. */
    public TlsTestPeer(SslContext serverContext, Function<SSLSession, Optional<String>> describePeer)
            throws InterruptedException {
        this(() -> serverContext, describePeer);
    }

    /** A server that takes a fresh context from {@code serverContext} for every connection. */
    public TlsTestPeer(Supplier<SslContext> serverContext, Function<SSLSession, Optional<String>> describePeer)
            throws InterruptedException {
        this.serverContext = serverContext;
        this.describePeer = describePeer;
        serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = TlsTestPeer.this.serverContext.get().newHandler(ch.alloc());
                        ch.pipeline().addLast(ssl);
                        ch.pipeline().addLast(new EchoHandler());
                        ssl.handshakeFuture().addListener(f -> {
                            if (f.isSuccess()) {
                                Optional<String> peer =
                                        describePeer.apply(ssl.engine().getSession());
                                serverHandshakes.add(new Handshake(
                                        true, peer, ssl.engine().getSession().getProtocol(), new Exception("none")));
                                ch.writeAndFlush(
                                        Unpooled.copiedBuffer(peer.orElse("(none)") + "\n", StandardCharsets.US_ASCII));
                            } else {
                                serverHandshakes.add(new Handshake(false, Optional.empty(), "", f.cause()));
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** A client connection: its handshake outcome and the lines the server sent. */
    public final class Client implements AutoCloseable {
        public final Channel channel;
        public final SslHandler ssl;
        public final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        public final CompletableFuture<Void> closed = new CompletableFuture<>();

        Client(SslContext context) throws InterruptedException {
            CompletableFuture<SslHandler> handler = new CompletableFuture<>();
            channel = new Bootstrap()
                    .group(group)
                    .channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SslHandler s = context.newHandler(
                                    ch.alloc(), "127.0.0.1", address().getPort());
                            handler.complete(s);
                            ch.pipeline().addLast(s);
                            ch.pipeline().addLast(new LineCollector(lines));
                            ch.closeFuture().addListener(f -> closed.complete(null));
                        }
                    })
                    .connect(address())
                    .sync()
                    .channel();
            ssl = handler.join();
        }

        public Handshake handshake() throws InterruptedException {
            if (!ssl.handshakeFuture().await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("client handshake did not finish in 10 s");
            }
            if (ssl.handshakeFuture().isSuccess()) {
                return new Handshake(
                        true,
                        describePeer.apply(ssl.engine().getSession()),
                        ssl.engine().getSession().getProtocol(),
                        new Exception("none"));
            }
            return new Handshake(
                    false, Optional.empty(), "", ssl.handshakeFuture().cause());
        }

        public String nextLine() throws InterruptedException {
            String line = lines.poll(10, TimeUnit.SECONDS);
            if (line == null) {
                throw new AssertionError("no line from the server in 10 s");
            }
            return line;
        }

        public void send(String text) {
            channel.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
        }

        @Override
        public void close() throws InterruptedException {
            channel.close().await(5, TimeUnit.SECONDS);
        }
    }

    public Client connect(SslContext context) throws InterruptedException {
        return new Client(context);
    }

    public Handshake nextServerHandshake() throws InterruptedException {
        Handshake h = serverHandshakes.poll(10, TimeUnit.SECONDS);
        if (h == null) {
            throw new AssertionError("no server-side handshake outcome in 10 s");
        }
        return h;
    }

    @Override
    public void close() throws InterruptedException {
        serverChannel.close().await(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    private static final class EchoHandler extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            ctx.writeAndFlush(msg.retain()); // the write releases it
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static final class LineCollector extends SimpleChannelInboundHandler<ByteBuf> {
        private final LinkedBlockingQueue<String> lines;
        private final StringBuilder partial = new StringBuilder();

        LineCollector(LinkedBlockingQueue<String> lines) {
            this.lines = lines;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            partial.append(msg.toString(StandardCharsets.US_ASCII));
            for (int nl; (nl = partial.indexOf("\n")) >= 0; ) {
                lines.add(partial.substring(0, nl));
                partial.delete(0, nl + 1);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
