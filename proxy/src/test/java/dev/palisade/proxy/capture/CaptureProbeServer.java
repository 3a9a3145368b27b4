package dev.palisade.proxy.capture;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A child process of {@link TransparentCaptureIT}, started with {@code ip netns exec NS java ...} because a JVM thread
 * cannot enter another network namespace. Listens with Netty's epoll transport on every port given (wildcard,
 * dual-stack), prints {@code READY}, then for each accepted connection prints and sends back one line: {@code
 * listener=15006 original=10.99.7.2:8080} ({@code original=none} when the connection was not redirected) and closes
 * it. Exits when its standard input closes, so that it never outlives the test.
 */
public final class CaptureProbeServer {

    private CaptureProbeServer() {}

    public static void main(String[] args) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerSocketChannel.class)
                    .childHandler(ProbeHandler.INSTANCE);
            for (String port : args) {
                bootstrap.bind(Integer.parseInt(port)).sync();
            }
            report("READY");
            InputStream stdin = System.in;
            while (stdin.read() != -1) {
                // the test never writes; EOF means it is gone
            }
        } catch (IOException e) {
            report("STDIN " + e);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    static synchronized void report(String line) {
        System.out.println(line);
        System.out.flush();
    }

    @Sharable
    private static final class ProbeHandler extends ChannelInboundHandlerAdapter {
        static final ProbeHandler INSTANCE = new ProbeHandler();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            String original;
            try {
                original = OriginalDestination.read(ctx.channel())
                        .map(OriginalDestinationAddress::toString)
                        .orElse("none");
            } catch (RuntimeException e) {
                original = "error:" + e.getMessage();
            }
            String line = "listener=" + ((InetSocketAddress) ctx.channel().localAddress()).getPort() + " original="
                    + original;
            report("ACCEPTED " + line + " peer=" + ctx.channel().remoteAddress());
            ByteBuf reply = ctx.alloc().buffer();
            reply.writeCharSequence(line + "\n", StandardCharsets.US_ASCII);
            ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // clients send nothing; drop whatever arrives
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            report("EXCEPTION " + cause);
            ctx.close();
        }
    }
}
