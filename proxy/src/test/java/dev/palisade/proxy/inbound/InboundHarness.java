package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.TlsProvider;
import dev.palisade.proxy.authz.RequestNormalizer;
import dev.palisade.proxy.config.ProxyConfig;
import dev.palisade.proxy.config.ProxyConfigHolder;
import dev.palisade.proxy.flow.FlowEvent;
import dev.palisade.proxy.inbound.http1.Http1AppStreams;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A sidecar's inbound side for tests: one event loop group, the config holder, the real HTTP/1.1 app pool, a flow
 * sink and an observer that record, and listeners started per app port ({@link PortSelector#fixed}). HTTP/2 is not
 * built here: its initializer closes the connection and its app streams fail.
 */
final class InboundHarness implements AutoCloseable {

    /** Counts and labels from {@link InboundObserver}. */
    static final class RecordingObserver implements InboundObserver {
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final LinkedBlockingQueue<String> refusals = new LinkedBlockingQueue<>();

        @Override
        public void connectionOpened() {
            opened.incrementAndGet();
        }

        @Override
        public void connectionClosed() {
            closed.incrementAndGet();
        }

        @Override
        public void refused(String reason) {
            refusals.add(reason);
        }

        String nextRefusal() throws InterruptedException {
            String reason = refusals.poll(10, TimeUnit.SECONDS);
            assertThat(reason).as("a refusal").isNotNull();
            return reason;
        }
    }

    /** The HTTP/2 app side is another helper's: every stream fails. */
    static final class NoHttp2App implements AppStreams {
        @Override
        public Future<Channel> open(EventLoop loop, InetSocketAddress app) {
            return loop.newFailedFuture(new UnsupportedOperationException("no HTTP/2 app streams in this test"));
        }

        @Override
        public void release(Channel stream, boolean reusable) {
            stream.close();
        }

        @Override
        public void close() {}
    }

    final EventLoopGroup group;
    private final boolean epoll;
    final ProxyConfigHolder config;
    final LinkedBlockingQueue<FlowEvent> flows = new LinkedBlockingQueue<>();
    final RecordingObserver observer = new RecordingObserver();
    final Http1AppStreams http1App;
    final InboundServices services;
    private final List<InboundServer> servers = new ArrayList<>();

    InboundHarness(ProxyConfig initial, InboundLimits limits, TlsProvider provider) {
        this(initial, limits, provider, false);
    }

    /** {@code epoll}: the native transport, which captured mode needs; else NIO. */
    InboundHarness(ProxyConfig initial, InboundLimits limits, TlsProvider provider, boolean epoll) {
        this.epoll = epoll;
        this.group =
                new MultiThreadIoEventLoopGroup(2, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.config = new ProxyConfigHolder(initial);
        this.http1App = Http1AppStreams.of(epoll ? EpollSocketChannel.class : NioSocketChannel.class, limits);
        SslContext server = TestPki.serverContext(provider);
        this.services = new InboundServices(
                config,
                () -> server,
                () -> SpiffeId.parse(TestPki.PAYMENTS),
                InetAddress.getLoopbackAddress(),
                http1App,
                new NoHttp2App(),
                (pipeline, connection, streamHandler) -> pipeline.channel().close(),
                RequestNormalizer.withDefaults(),
                limits,
                flows::add,
                observer);
    }

    static ProxyConfig config(String version, Map<Integer, dev.palisade.proxy.config.InboundPort> ports) {
        return new ProxyConfig(version, ports, Map.of());
    }

    /** A listener for {@code appPort} on 127.0.0.1, an ephemeral port. */
    InboundServer listen(int appPort) {
        return listen(PortSelector.fixed(appPort));
    }

    InboundServer listen(PortSelector ports) {
        InboundServer server = InboundServer.start(
                services,
                group,
                group,
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                ports);
        servers.add(server);
        return server;
    }

    FlowEvent nextFlow() throws InterruptedException {
        FlowEvent event = flows.poll(10, TimeUnit.SECONDS);
        assertThat(event).as("a flow event").isNotNull();
        return event;
    }

    /** Asserts that no further flow event arrives within a short while. */
    void assertNoMoreFlows() throws InterruptedException {
        assertThat(flows.poll(200, TimeUnit.MILLISECONDS))
                .as("no further flow event")
                .isNull();
    }

    @Override
    public void close() {
        servers.forEach(InboundServer::closeNow);
        http1App.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
