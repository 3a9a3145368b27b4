package dev.palisade.proxy.inbound.h2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Http2AppStreams} against a Netty h2c app on loopback that allows two concurrent streams, holds {@code /hold}
 * requests unanswered and sends GOAWAY before answering {@code /goaway}.
 */
@Timeout(60)
class Http2AppStreamsIT {
    static final int APP_MAX_STREAMS = 2;

    static EventLoopGroup group;
    static EventLoop loop;
    static Channel appServer;
    static final AtomicInteger accepted = new AtomicInteger();
    static final AtomicInteger requests = new AtomicInteger();

    Http2AppStreams streams;

    @BeforeAll
    static void startApp() throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        loop = group.next();
        appServer = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        ch.pipeline()
                                .addLast(Http2FrameCodecBuilder.forServer()
                                        .initialSettings(
                                                Http2Settings.defaultSettings().maxConcurrentStreams(APP_MAX_STREAMS))
                                        .build())
                                .addLast(new Http2MultiplexHandler(new AppStreamHandler()));
                    }
                })
                .bind("127.0.0.1", 0)
                .sync()
                .channel();
    }

    @AfterAll
    static void stopApp() throws InterruptedException {
        appServer.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @BeforeEach
    void newPool() {
        accepted.set(0);
        streams = new Http2AppStreams(Duration.ofSeconds(2), NioSocketChannel.class, 2, 1);
    }

    @AfterEach
    void closePool() {
        streams.close();
    }

    static InetSocketAddress app() {
        return (InetSocketAddress) appServer.localAddress();
    }

    Channel open() throws Exception {
        Channel stream = streams.open(loop, app()).get(5, TimeUnit.SECONDS);
        assertThat(stream.eventLoop()).isSameAs(loop);
        return stream;
    }

    /** Writes a GET for {@code path} on {@code stream} and returns the queue its answer arrives in. */
    static BlockingQueue<HttpObject> send(Channel stream, String path) {
        BlockingQueue<HttpObject> answer = new LinkedBlockingQueue<>();
        stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                answer.add((HttpObject) msg);
            }
        });
        FullHttpRequest request =
                new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
        request.headers().set("host", "app.test");
        stream.writeAndFlush(request);
        return answer;
    }

    /** A whole exchange: status and body, every object released. */
    static String exchange(Channel stream, String path) throws InterruptedException {
        BlockingQueue<HttpObject> answer = send(stream, path);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            HttpObject next = answer.poll(5, TimeUnit.SECONDS);
            assertThat(next).as("answer to %s", path).isNotNull();
            try {
                if (next instanceof HttpResponse response) {
                    out.append(response.status().code()).append(' ');
                    assertThat(response.headers().names()).noneMatch(n -> n.startsWith("x-http2-"));
                }
                if (next instanceof HttpContent content) {
                    out.append(content.content().toString(StandardCharsets.UTF_8));
                }
                if (next instanceof LastHttpContent) {
                    return out.toString();
                }
            } finally {
                ReferenceCountUtil.release(next);
            }
        }
        throw new AssertionError("no end of answer");
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 5 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** Runs after everything already queued on the pool's loop. */
    static void settle() throws Exception {
        loop.submit(() -> {}).get(5, TimeUnit.SECONDS);
    }

    @Test
    void openFailsWhenTheAppIsNotListening() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Future<Channel> open = streams.open(loop, new InetSocketAddress("127.0.0.1", port));
        assertThatThrownBy(() -> open.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ConnectException.class);
        await(() -> streams.connectionCount(loop, new InetSocketAddress("127.0.0.1", port)) == 0);
        assertThat(exchange(open(), "/ok")).isEqualTo("200 ok /ok");
    }

    @Test
    void opensBeyondTheAppsStreamLimitGoToAnotherConnectionThenQueueThenFail() throws Exception {
        // Learn the app's SETTINGS on the first connection, then fill it.
        assertThat(exchange(open(), "/ok")).isEqualTo("200 ok /ok");
        Channel hold1 = open();
        Channel hold2 = open();
        BlockingQueue<HttpObject> held1 = send(hold1, "/hold");
        send(hold2, "/hold");
        assertThat(streams.connectionCount(loop, app())).isEqualTo(1);

        // Full: the next open connects again; learn that connection's SETTINGS too, then fill it.
        assertThat(exchange(open(), "/ok")).isEqualTo("200 ok /ok");
        assertThat(accepted).hasValue(2);
        Channel hold3 = open();
        Channel hold4 = open();
        send(hold3, "/hold");
        send(hold4, "/hold");

        // Both full, at maxConnectionsPerApp: one open is queued, the next is refused at once.
        Future<Channel> queued = streams.open(loop, app());
        settle();
        assertThat(queued.isDone()).isFalse();
        Future<Channel> refused = streams.open(loop, app());
        assertThatThrownBy(() -> refused.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(RejectedExecutionException.class);

        // Releasing a stream serves the queue.
        streams.release(hold1, false);
        Channel next = queued.get(5, TimeUnit.SECONDS);
        assertThat(exchange(next, "/ok")).isEqualTo("200 ok /ok");
        assertThat(accepted).hasValue(2);
        assertThat(held1).isEmpty();
        for (Channel c : new Channel[] {hold2, hold3, hold4}) {
            streams.release(c, false);
        }
    }

    @Test
    void aConnectionThatSentGoAwayIsReplaced() throws Exception {
        assertThat(exchange(open(), "/goaway")).isEqualTo("200 ok /goaway");
        await(() -> streams.connectionCount(loop, app()) == 0);
        assertThat(exchange(open(), "/ok")).isEqualTo("200 ok /ok");
        assertThat(accepted).hasValue(2);
    }

    @Test
    void endedStreamsLeaveTheConnectionForTheNext() throws Exception {
        for (int i = 0; i < 5; i++) {
            Channel stream = open();
            assertThat(exchange(stream, "/ok")).isEqualTo("200 ok /ok");
            streams.release(stream, true);
        }
        assertThat(accepted).hasValue(1);
    }

    @Test
    void closeClosesConnectionsAndRefusesOpens() throws Exception {
        Channel stream = open();
        streams.close();
        await(() -> !stream.parent().isActive());
        assertThatThrownBy(() -> streams.open(loop, app()).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    /** The app's side of one stream. */
    private static final class AppStreamHandler extends ChannelInboundHandlerAdapter {
        @Override
        public boolean isSharable() {
            return true;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!(msg instanceof Http2HeadersFrame frame) || !frame.isEndStream()) {
                    return;
                }
                requests.incrementAndGet();
                String path = String.valueOf(frame.headers().path());
                if (path.equals("/hold")) {
                    return;
                }
                if (path.equals("/goaway")) {
                    // Before the answer, so the client reads it first.
                    ctx.channel().parent().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
                }
                ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
                ctx.writeAndFlush(
                        new DefaultHttp2DataFrame(Unpooled.copiedBuffer("ok " + path, StandardCharsets.UTF_8), true));
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
