package dev.palisade.proxy.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Decoding the kernel's {@code sockaddr} answers, and a real epoll connection that was not redirected. The redirected
 * case needs iptables in a network namespace: TransparentCaptureIT.
 */
@Timeout(30)
class OriginalDestinationTest {

    private static EventLoopGroup group;

    @BeforeAll
    static void startEventLoop() {
        assertThat(Epoll.isAvailable())
                .as("native epoll: %s", Epoll.unavailabilityCause())
                .isTrue();
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterAll
    static void stopEventLoop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A {@code sockaddr} as the kernel fills it: family in host order, then network-order port. */
    private static ByteBuffer sockaddr(int length, int family, int port, byte[] address, int addressOffset, int scope) {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        buffer.putShort(0, (short) family);
        buffer.put(2, (byte) (port >>> 8));
        buffer.put(3, (byte) port);
        buffer.put(addressOffset, address);
        if (length >= 28) {
            buffer.putInt(24, scope);
        }
        return buffer.order(ByteOrder.BIG_ENDIAN);
    }

    @Test
    void decodesSockaddrIn() throws Exception {
        ByteBuffer in = sockaddr(16, 2, 8080, new byte[] {10, 99, 7, 2}, 4, 0);

        InetSocketAddress address = OriginalDestination.parse(in);

        assertThat(address).isEqualTo(new InetSocketAddress(InetAddress.getByName("10.99.7.2"), 8080));
        assertThat(in.position()).as("the caller's buffer is not consumed").isZero();
    }

    @Test
    void decodesHighPortsAsUnsigned() throws Exception {
        assertThat(OriginalDestination.parse(sockaddr(16, 2, 65535, new byte[] {(byte) 192, (byte) 168, 0, 1}, 4, 0)))
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("192.168.0.1"), 65535));
    }

    @Test
    void decodesSockaddrIn6() throws Exception {
        byte[] ip = InetAddress.getByName("fd99:0:7::2").getAddress();

        InetSocketAddress address = OriginalDestination.parse(sockaddr(28, 10, 443, ip, 8, 0));

        assertThat(address.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(address).isEqualTo(new InetSocketAddress(InetAddress.getByName("fd99:0:7::2"), 443));
        assertThat(new OriginalDestinationAddress(address)).hasToString("[fd99:0:7:0:0:0:0:2]:443");
    }

    @Test
    void keepsTheScopeOfALinkLocalAddress() throws Exception {
        byte[] ip = InetAddress.getByName("fe80::1").getAddress();

        InetSocketAddress address = OriginalDestination.parse(sockaddr(28, 10, 80, ip, 8, 3));

        assertThat(((Inet6Address) address.getAddress()).getScopeId()).isEqualTo(3);
    }

    @Test
    void anIpv4MappedAddressIsIpv4() throws Exception {
        byte[] ip = new byte[16];
        ip[10] = (byte) 0xff;
        ip[11] = (byte) 0xff;
        ip[12] = 10;
        ip[15] = 1;

        InetSocketAddress address = OriginalDestination.parse(sockaddr(28, 10, 80, ip, 8, 0));

        assertThat(address.getAddress()).isInstanceOf(Inet4Address.class).hasToString("/10.0.0.1");
    }

    @Test
    void refusesUnknownFamiliesAndShortBuffers() {
        assertThatThrownBy(() -> OriginalDestination.parse(ByteBuffer.allocate(16)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sockaddr family: 0 (expected: AF_INET 2 or AF_INET6 10)");
        assertThatThrownBy(() -> OriginalDestination.parse(sockaddr(16, 10, 80, new byte[4], 4, 0)))
                .hasMessage("sockaddr of family 10: 16 bytes (expected: at least 28)");
        assertThatThrownBy(() -> OriginalDestination.parse(ByteBuffer.allocate(2)))
                .hasMessage("sockaddr: 2 bytes (expected: at least 4)");
    }

    @Test
    void refusesTransportsThatCannotAsk() {
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            assertThatThrownBy(() -> OriginalDestination.read(channel))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected: an EpollSocketChannel");
        } finally {
            assertThat(channel.finishAndReleaseAll()).isFalse();
        }
    }

    @Test
    void aConnectionThatWasNotRedirectedHasNoOriginalDestination() throws Exception {
        CompletableFuture<Optional<OriginalDestinationAddress>> seen = new CompletableFuture<>();
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        try {
                            seen.complete(OriginalDestination.read(ctx.channel()));
                        } catch (RuntimeException e) {
                            seen.completeExceptionally(e);
                        }
                        ctx.close();
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0)
                .sync()
                .channel();
        try (Socket client = new Socket()) {
            client.connect(server.localAddress(), 5_000);
            assertThat(seen.get(10, TimeUnit.SECONDS)).isEmpty();
        } finally {
            server.close().sync();
        }
    }
}
