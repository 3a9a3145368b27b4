package dev.palisade.proxy.inbound.h2;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2FrameReader;
import io.netty.handler.codec.http2.Http2FrameWriter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/2 client at the frame level over real TLS (ALPN h2): it writes whatever frames a test asks for, including
 * ones Netty's own client codec would refuse to send (a stream above the server's limit, connection-specific fields,
 * CR/LF in values, resets in a loop), and records every frame the server sends.
 */
final class RawH2Client implements AutoCloseable {
    sealed interface Frame permits Headers, Data, Reset, GoAway, Settings, PingAck {}

    record Headers(int streamId, Http2Headers headers, boolean endStream) implements Frame {}

    record Data(int streamId, byte[] bytes, boolean endStream) implements Frame {}

    record Reset(int streamId, long errorCode) implements Frame {}

    record GoAway(int lastStreamId, long errorCode, String debug) implements Frame {}

    record Settings(Http2Settings settings) implements Frame {}

    record PingAck(long data) implements Frame {}

    final BlockingQueue<Frame> frames;
    final Channel channel;
    private final FrameHandler handler;

    private RawH2Client(Channel channel, FrameHandler handler) {
        this.channel = channel;
        this.handler = handler;
        this.frames = handler.frames;
    }

    /** Connects, finishes the TLS handshake and, when {@code preface}, sends the client preface and SETTINGS. */
    static RawH2Client connect(EventLoopGroup group, SslContext ssl, InetSocketAddress server, boolean preface)
            throws Exception {
        FrameHandler handler = new FrameHandler(preface);
        Channel ch = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "127.0.0.1", server.getPort()), handler);
                    }
                })
                .connect(server)
                .sync()
                .channel();
        ch.pipeline().get(SslHandler.class).handshakeFuture().sync();
        return new RawH2Client(ch, handler);
    }

    /** A gRPC-shaped request's header block: POST, https, {@code path}, content-type application/grpc, te trailers. */
    static Http2Headers grpcRequest(String path) {
        return new DefaultHttp2Headers(false)
                .method("POST")
                .scheme("https")
                .path(path)
                .authority("app.test")
                .add("content-type", "application/grpc")
                .add("te", "trailers");
    }

    /** A plain GET's header block. */
    static Http2Headers get(String path) {
        return new DefaultHttp2Headers(false)
                .method("GET")
                .scheme("https")
                .path(path)
                .authority("app.test");
    }

    /** Writes a HEADERS frame; fails when it could not be encoded or written (unless the connection is gone). */
    void headers(int streamId, Http2Headers headers, boolean endStream) {
        ChannelPromise[] written = new ChannelPromise[1];
        onLoop(ctx -> written[0] =
                (ChannelPromise) handler.writer.writeHeaders(ctx, streamId, headers, 0, endStream, ctx.newPromise()));
        if (written[0] != null && channel.isActive()) {
            written[0].syncUninterruptibly();
        }
    }

    void data(int streamId, byte[] bytes, boolean endStream) {
        onLoop(ctx ->
                handler.writer.writeData(ctx, streamId, Unpooled.wrappedBuffer(bytes), 0, endStream, ctx.newPromise()));
    }

    void reset(int streamId, long errorCode) {
        onLoop(ctx -> handler.writer.writeRstStream(ctx, streamId, errorCode, ctx.newPromise()));
    }

    void ping(long data) {
        onLoop(ctx -> handler.writer.writePing(ctx, false, data, ctx.newPromise()));
    }

    /** Writes {@code bytes} as they are, instead of frames. */
    void raw(byte[] bytes) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).syncUninterruptibly();
    }

    private void onLoop(Consumer<ChannelHandlerContext> write) {
        channel.eventLoop()
                .submit(() -> {
                    ChannelHandlerContext ctx = handler.ctx;
                    if (ctx != null && channel.isActive()) {
                        try {
                            write.accept(ctx);
                            ctx.flush();
                        } catch (RuntimeException e) {
                            if (channel.isActive()
                                    && !channel.pipeline()
                                            .get(SslHandler.class)
                                            .engine()
                                            .isOutboundDone()) {
                                throw e;
                            } // else: closed by the server meanwhile, which the test will observe
                        }
                    }
                })
                .syncUninterruptibly();
    }

    /** The first recorded frame of type {@code type} that {@code match} accepts, waiting at most {@code timeout}. */
    <T extends Frame> @Nullable T await(Class<T> type, Predicate<T> match, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long left = timeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            Frame frame = frames.poll(left, TimeUnit.NANOSECONDS);
            if (frame == null) {
                return null;
            }
            if (type.isInstance(frame) && match.test(type.cast(frame))) {
                return type.cast(frame);
            }
        }
        return null;
    }

    /** Every frame recorded so far, removed from the queue. */
    List<Frame> drain() {
        List<Frame> out = new ArrayList<>();
        frames.drainTo(out);
        return out;
    }

    /** Everything that happened on the connection, for failure messages. */
    String history() {
        synchronized (handler.history) {
            return handler.history.toString();
        }
    }

    boolean awaitClosed(Duration timeout) {
        return channel.closeFuture().awaitUninterruptibly(timeout.toMillis());
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private static final class FrameHandler extends ByteToMessageDecoder {
        final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        final List<Object> history = Collections.synchronizedList(new ArrayList<>());
        final Http2FrameWriter writer = new DefaultHttp2FrameWriter();
        private final Http2FrameReader reader = new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(false));

        @Nullable
        ChannelHandlerContext ctx;

        private @Nullable Recorder recorder;
        private final boolean preface;

        FrameHandler(boolean preface) {
            this.preface = preface;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            // The preface goes out as soon as TLS is up, before the server's SETTINGS can be acknowledged.
            if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess() && preface) {
                ctx.write(Http2CodecUtil.connectionPrefaceBuf());
                writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
                ctx.flush();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            reader.readFrame(ctx, in, recorder());
        }

        private Recorder recorder() {
            Recorder r = recorder;
            if (r == null) {
                r = new Recorder();
                recorder = r;
            }
            return r;
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            reader.close();
            writer.close();
        }

        private void record(Frame frame) {
            history.add(frame);
            frames.add(frame);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            history.add(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            history.add("closed");
            super.channelInactive(ctx);
        }

        private final class Recorder extends Http2FrameAdapter {
            @Override
            public void onHeadersRead(
                    ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endOfStream) {
                record(new Headers(streamId, headers, endOfStream));
            }

            @Override
            public void onHeadersRead(
                    ChannelHandlerContext ctx,
                    int streamId,
                    Http2Headers headers,
                    int streamDependency,
                    short weight,
                    boolean exclusive,
                    int padding,
                    boolean endOfStream) {
                record(new Headers(streamId, headers, endOfStream));
            }

            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean end) {
                record(new Data(streamId, ByteBufUtil.getBytes(data), end));
                return data.readableBytes() + padding;
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                record(new Reset(streamId, errorCode));
            }

            @Override
            public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
                record(new GoAway(lastStreamId, errorCode, debugData.toString(StandardCharsets.UTF_8)));
            }

            @Override
            public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
                record(new Settings(settings));
                writer.writeSettingsAck(ctx, ctx.newPromise());
                ctx.flush();
            }

            @Override
            public void onPingAckRead(ChannelHandlerContext ctx, long data) {
                record(new PingAck(data));
            }
        }
    }
}
