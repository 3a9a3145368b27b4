package dev.palisade.proxy.inbound.h2;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;

/**
 * One cleartext HTTP/2 connection to the app, prior knowledge: the client preface is the first thing sent. Confined to
 * its pool's event loop.
 */
final class AppConnection {
    /** Streams assumed allowed before the app's SETTINGS arrive: RFC 9113 §6.5.2 recommends no fewer than 100. */
    static final int STREAMS_BEFORE_SETTINGS = 100;

    /** Both stateless: one instance for every stream. */
    private static final ChannelHandler STREAM_CODEC = new Http2StreamFrameToHttpObjectCodec(false);

    private static final ChannelHandler STREAM_INITIALIZER = new ChannelInitializer<Http2StreamChannel>() {
        @Override
        protected void initChannel(Http2StreamChannel stream) {
            stream.pipeline()
                    .addLast("h2-stream-codec", STREAM_CODEC)
                    .addLast("h2-stream-extension-headers", ExtensionHeadersHandler.INSTANCE);
        }
    };

    private final AppConnectionPool pool;
    private final ChannelFuture connected;
    private final Channel channel;
    private int streams;
    private boolean settingsReceived;
    private boolean goingAway;

    AppConnection(AppConnectionPool pool, Bootstrap bootstrap, InetSocketAddress app) {
        this.pool = pool;
        this.connected = bootstrap
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
                                // A safety net under our own counting: streams beyond the app's limit wait in the
                                // encoder instead of being refused.
                                .encoderEnforceMaxConcurrentStreams(true)
                                .build();
                        ch.pipeline()
                                // Requests are written while an inbound connection is read, one stream at a time;
                                // their flushes become one write, in a task after the event loop's current I/O.
                                .addLast("h2-flush", new FlushConsolidationHandler(Http2Inbound.MAX_FLUSHES_HELD, true))
                                .addLast("h2-codec", codec)
                                .addLast("h2-multiplex", new Http2MultiplexHandler(RefusePushHandler.INSTANCE))
                                .addLast("h2-app-connection", new ConnectionEventsHandler());
                    }
                })
                .connect(app);
        this.channel = connected.channel();
        channel.closeFuture().addListener(f -> pool.removed(this));
    }

    /** Whether a new stream may go here now. */
    boolean hasRoom() {
        if (goingAway || (connected.isDone() && !channel.isActive())) {
            return false;
        }
        return streams < maxStreams();
    }

    private int maxStreams() {
        if (!settingsReceived) {
            return STREAMS_BEFORE_SETTINGS;
        }
        Http2FrameCodec codec = channel.pipeline().get(Http2FrameCodec.class);
        if (codec == null) {
            return 0;
        }
        return codec.connection().local().maxActiveStreams();
    }

    /** Opens a stream for {@code promise} once connected; the stream counts from now until its channel closes. */
    void openStream(Promise<Channel> promise) {
        streams++;
        if (connected.isDone()) {
            open(promise);
        } else {
            connected.addListener(f -> open(promise));
        }
    }

    private void open(Promise<Channel> promise) {
        if (!connected.isSuccess()) {
            streamEnded();
            promise.tryFailure(connected.cause());
            return;
        }
        Future<Http2StreamChannel> opened = new Http2StreamChannelBootstrap(channel)
                .handler(STREAM_INITIALIZER)
                .open();
        opened.addListener(f -> {
            if (f.isSuccess()) {
                Http2StreamChannel stream = opened.getNow();
                stream.closeFuture().addListener(c -> streamEnded());
                if (!promise.trySuccess(stream)) {
                    stream.close(); // the caller gave up meanwhile
                }
            } else {
                streamEnded();
                promise.tryFailure(f.cause());
            }
        });
    }

    private void streamEnded() {
        streams--;
        if (goingAway && streams == 0) {
            channel.close();
        }
        pool.capacityChanged();
    }

    void close() {
        channel.close();
    }

    /** Watches the connection-level frames that change where new streams may go, and releases every one. */
    private final class ConnectionEventsHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2SettingsFrame) {
                    settingsReceived = true;
                    pool.capacityChanged();
                } else if (msg instanceof Http2GoAwayFrame) {
                    goingAway = true;
                    if (streams == 0) {
                        ctx.close();
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The app may not push (we said so in SETTINGS); a pushed stream is closed at once. */
    @ChannelHandler.Sharable
    private static final class RefusePushHandler extends ChannelInboundHandlerAdapter {
        static final RefusePushHandler INSTANCE = new RefusePushHandler();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.close();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
