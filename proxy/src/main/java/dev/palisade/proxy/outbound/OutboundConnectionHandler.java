package dev.palisade.proxy.outbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.PeerIdentity;
import dev.palisade.certs.tls.SpiffeSslContexts;
import dev.palisade.certs.tls.TlsSessions;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first stage of an app connection: decides where it goes ({@link OutboundTarget}), peeks at the app's first
 * bytes to choose ALPN, connects, checks the server's identity, then replaces itself with a {@link RelayHandler} in
 * each direction. Until then auto-read is off: it reads to peek, and while the upstream connects it keeps one read
 * pending as long as fewer than {@link #MAX_EARLY_BYTES} are held, so an app can push at most that plus one read's
 * worth of data into the sidecar before the upstream exists.
 *
 * <p>Why peek: the inbound sidecar chooses its codec by ALPN, so a client that speaks HTTP/2 (the 24-byte connection
 * preface of RFC 9113 §3.4) must be offered {@code h2}; anything else is offered {@code http/1.1}. A server-speaks-first
 * protocol sends nothing, so after {@link OutboundSettings#protocolPeekTimeout()} the listener offers {@code http/1.1}
 * and connects anyway.
 *
 * <p>Ownership: peeked bytes are held in {@link #peeked} until written upstream, and released in {@link
 * #handlerRemoved} otherwise. Everything runs on the app channel's event loop: the upstream is registered on it.
 */
final class OutboundConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(OutboundConnectionHandler.class);
    /**
     * Bytes held before reading waits for the relay (one more read may add to them): while the upstream connects, a
     * pending read matters for what epoll watches, not for how much it brings.
     */
    static final int MAX_EARLY_BYTES = 16 * 1024;

    /** RFC 9113 §3.4. */
    private static final ByteBuf H2_PREFACE = Unpooled.unreleasableBuffer(
            Unpooled.copiedBuffer("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", StandardCharsets.US_ASCII));

    private final OutboundServices services;
    private final Function<Channel, OutboundTarget> targets;
    private final Class<? extends Channel> channelClass;

    private @Nullable OutboundConnection connection;
    private OutboundTarget.@Nullable Mesh mesh;
    private @Nullable ByteBuf peeked;
    private @Nullable ScheduledFuture<?> peekTimeout;
    private @Nullable Channel upstream;
    private boolean decided;
    private boolean appInputEnded;

    OutboundConnectionHandler(
            OutboundServices services,
            Function<Channel, OutboundTarget> targets,
            Class<? extends Channel> channelClass) {
        this.services = requireNonNull(services, "services");
        this.targets = requireNonNull(targets, "targets");
        this.channelClass = requireNonNull(channelClass, "channelClass");
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel app = ctx.channel();
        OutboundConnection conn =
                new OutboundConnection(app.remoteAddress() instanceof InetSocketAddress remote ? remote : null);
        connection = conn;
        services.observer().connectionOpened();
        app.closeFuture().addListener(f -> {
            services.observer().connectionClosed();
            services.flows().record(conn.toEvent());
        });
        OutboundTarget target = targets.apply(app);
        if (target instanceof OutboundTarget.Refused refused) {
            conn.destinationAddress = refused.address();
            refuse(ctx, refused.reason());
        } else if (target instanceof OutboundTarget.Passthrough passthrough) {
            conn.destinationAddress = passthrough.address();
            decided = true;
            readWhileConnecting(ctx);
            connect(ctx, passthrough.address(), null);
        } else if (target instanceof OutboundTarget.Mesh m) {
            conn.destinationAddress = m.address();
            mesh = m;
            peekTimeout = ctx.executor()
                    .schedule(
                            () -> decide(ctx, OutboundTls.HTTP_1_1),
                            services.settings().protocolPeekTimeout().toNanos(),
                            TimeUnit.NANOSECONDS);
            ctx.read();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf held = peeked;
        peeked = held == null ? buf : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), held, buf);
        if (decided) {
            readWhileConnecting(ctx); // read before the relay started: kept and sent first
            return;
        }
        ByteBuf p = requireNonNull(peeked);
        int n = Math.min(p.readableBytes(), H2_PREFACE.readableBytes());
        if (!ByteBufUtil.equals(p, p.readerIndex(), H2_PREFACE, 0, n)) {
            decide(ctx, OutboundTls.HTTP_1_1);
        } else if (n == H2_PREFACE.readableBytes()) {
            decide(ctx, OutboundTls.H2);
        } else {
            ctx.read(); // a prefix of the preface so far
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            appInputEnded = true;
            if (!decided) {
                decide(ctx, OutboundTls.HTTP_1_1);
            }
            return; // replayed to the relay once it exists
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelPeekTimeout();
        Channel u = upstream;
        if (u != null) {
            u.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelPeekTimeout();
        ByteBuf p = peeked;
        peeked = null;
        if (p != null) {
            p.release();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("{} outbound connection failed before relaying", ctx.channel(), cause);
        refuse(ctx, "other");
    }

    private void decide(ChannelHandlerContext ctx, String alpn) {
        if (decided || !ctx.channel().isActive()) {
            return;
        }
        decided = true;
        cancelPeekTimeout();
        OutboundTarget.Mesh m = requireNonNull(mesh);
        SslContext sslContext;
        try {
            sslContext = services.tls().client(alpn);
        } catch (SSLException e) {
            logger.warn("{} cannot build the client TLS context", ctx.channel(), e);
            refuse(ctx, "other");
            return;
        }
        readWhileConnecting(ctx);
        connect(ctx, m.address(), sslContext);
    }

    private void connect(ChannelHandlerContext ctx, InetSocketAddress address, @Nullable SslContext sslContext) {
        Channel app = ctx.channel();
        // With the peer's address, so that the context's session cache resumes this peer's TLS 1.3 session next time.
        SslHandler tls =
                sslContext == null ? null : SpiffeSslContexts.newClientHandler(sslContext, app.alloc(), address);
        if (tls != null) {
            tls.setHandshakeTimeoutMillis(
                    services.settings().tlsHandshakeTimeout().toMillis());
        }
        ChannelFuture connected = new Bootstrap()
                // The app channel's loop: the two channels share one thread, so the state needs no locking.
                .group(app.eventLoop())
                .channel(channelClass)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        services.settings().connectTimeout().toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls);
                        }
                    }
                })
                .connect(address);
        Channel u = connected.channel();
        upstream = u;
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                logger.debug("{} cannot connect to {}", app, address, f.cause());
                refuse(ctx, "connect_failed");
                return;
            }
            if (!app.isActive()) {
                u.close();
                return;
            }
            if (tls == null) {
                startRelay(ctx, u);
                return;
            }
            tls.handshakeFuture().addListener(h -> {
                if (!h.isSuccess()) {
                    logger.debug("{} TLS handshake with {} failed", app, address, h.cause());
                    u.close();
                    refuse(ctx, HandshakeFailures.reason(h.cause()));
                } else if (verifyPeer(ctx, tls)) {
                    startRelay(ctx, u);
                } else {
                    u.close();
                }
            });
        });
    }

    /** The server's identity must be the expected one, or, with none, of this workload's trust domain. */
    private boolean verifyPeer(ChannelHandlerContext ctx, SslHandler tls) {
        OutboundConnection conn = requireNonNull(connection);
        OutboundTarget.Mesh m = requireNonNull(mesh);
        Optional<SpiffeId> peer = PeerIdentity.of(tls);
        SpiffeId expected = m.expectedPeer();
        boolean ok = peer.isPresent()
                && (expected != null
                        ? peer.get().equals(expected)
                        : peer.get().isMemberOf(services.tls().self().trustDomain()));
        if (!ok) {
            logger.debug(
                    "{} upstream {} presented {}, expected {}",
                    ctx.channel(),
                    m.name(),
                    peer.map(SpiffeId::toString).orElse("no identity"),
                    expected != null
                            ? expected
                            : "a member of " + services.tls().self().trustDomain());
            refuse(ctx, "peer_mismatch");
            return false;
        }
        SSLSession session = tls.engine().getSession();
        services.observer().tlsHandshake(TlsSessions.isResumed(tls.engine()));
        conn.peer = peer.get();
        conn.tlsVersion = session.getProtocol();
        conn.cipher = session.getCipherSuite();
        conn.alpn = tls.applicationProtocol();
        return true;
    }

    private void startRelay(ChannelHandlerContext ctx, Channel u) {
        Channel app = ctx.channel();
        OutboundConnection conn = requireNonNull(connection);
        ByteBuf first = peeked;
        peeked = null;
        u.pipeline().addLast("relay", new RelayHandler(app, conn::addBytesToApp, conn));
        ctx.pipeline().replace(this, "relay", new RelayHandler(u, conn::addBytesFromApp, conn));
        if (first != null) {
            conn.addBytesFromApp(first.readableBytes());
            u.writeAndFlush(first).addListener(f -> {
                if (!f.isSuccess()) {
                    app.close();
                    u.close();
                }
            });
        }
        if (appInputEnded) {
            app.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        RelayHandler.resumeReading(app);
        RelayHandler.resumeReading(u);
    }

    /**
     * While the upstream connects, keeps a read pending on the app's channel, up to {@link #MAX_EARLY_BYTES} held
     * (the relay sends them first), so that epoll keeps watching its socket for input. Netty 4.2.18 takes a
     * socket that waits for no event out of epoll but keeps treating it as registered, and an event left over from
     * the socket that had the same descriptor number before (closed and reused within one epoll batch) clears the
     * read-hang-up interest of the new one: with reading paused as well, the relay's start then failed with ENOENT
     * and closed the app's connection unanswered (about one in 8,000 connections of perf/run's handshake-bound load).
     */
    private void readWhileConnecting(ChannelHandlerContext ctx) {
        ByteBuf p = peeked;
        if (!appInputEnded && !ctx.isRemoved() && (p == null || p.readableBytes() < MAX_EARLY_BYTES)) {
            ctx.read();
        }
    }

    private void refuse(ChannelHandlerContext ctx, String reason) {
        OutboundConnection conn = connection;
        if (conn != null && conn.refusal == null) {
            conn.refusal = reason;
            services.observer().refused(reason);
        }
        ctx.channel().close();
    }

    private void cancelPeekTimeout() {
        ScheduledFuture<?> t = peekTimeout;
        peekTimeout = null;
        if (t != null) {
            t.cancel(false);
        }
    }
}
