package dev.palisade.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.TlsProvider;
import dev.palisade.proxy.authz.RequestNormalizer;
import dev.palisade.proxy.config.AppProtocol;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.PeerMode;
import dev.palisade.proxy.config.ProxyConfigHolder;
import dev.palisade.proxy.flow.FlowEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Detection on an {@link EmbeddedChannel}: which stack each first few bytes lead to, by the handler names of the
 * resulting pipeline ({@link PipelineNames}), and what is refused before any parsing.
 */
class ProtocolDetectionHandlerTest {

    static final int PORT = 8080;
    static final SslContext SERVER_SSL = TestPki.serverContext(TlsProvider.JDK);

    final InboundHarness.RecordingObserver observer = new InboundHarness.RecordingObserver();
    final LinkedBlockingQueue<FlowEvent> flows = new LinkedBlockingQueue<>();
    final AtomicReference<InboundConnection> http2Connection = new AtomicReference<>();
    EmbeddedChannel channel;

    InboundServices services(PeerMode mode) {
        return new InboundServices(
                new ProxyConfigHolder(InboundHarness.config(
                        "v1", Map.of(PORT, new InboundPort(PORT, AppProtocol.HTTP, mode, Policies.httpV1())))),
                () -> SERVER_SSL,
                () -> SpiffeId.parse(TestPki.PAYMENTS),
                InetAddress.getLoopbackAddress(),
                new InboundHarness.NoHttp2App(),
                new InboundHarness.NoHttp2App(),
                (pipeline, connection, streamHandler) -> http2Connection.set(connection),
                RequestNormalizer.withDefaults(),
                InboundLimits.defaults(),
                flows::add,
                observer);
    }

    EmbeddedChannel accept(PeerMode mode) {
        channel = new EmbeddedChannel();
        InetSocketAddress peer = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
        AcceptedConnection accepted = new AcceptedConnection(
                channel, services(mode), PORT, peer, new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT));
        channel.pipeline().addLast(PipelineNames.DETECT, new ProtocolDetectionHandler(accepted));
        return channel;
    }

    @AfterEach
    void finish() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private List<String> handlerNames() {
        return channel.pipeline().names().stream()
                .filter(name -> name.startsWith("palisade-"))
                .toList();
    }

    @Test
    void plaintextHttp1OnAPermissivePortGetsTheHttp1Stack() {
        EmbeddedChannel ch = accept(PeerMode.PERMISSIVE);
        ch.writeInbound(ascii("GET /orders HTTP/1.1\r\nHost: payments.shop\r\n\r\n"));
        assertThat(handlerNames())
                .containsExactly(
                        PipelineNames.H1_BYTES,
                        PipelineNames.H1_CODEC,
                        PipelineNames.H1_TIMEOUTS,
                        PipelineNames.EXCHANGE);
        // /orders is for checkout only: a plaintext peer is denied, answered without the app.
        ByteBuf response = ch.readOutbound();
        assertThat(response.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 403 ");
        response.release();
        assertThat(flows).singleElement().satisfies(f -> assertThat(f.decision().denied())
                .isTrue());
    }

    @Test
    void plaintextOnAStrictPortIsClosedUnparsed() {
        EmbeddedChannel ch = accept(PeerMode.STRICT);
        ch.writeInbound(ascii("GET / HTTP/1.1\r\n"));
        assertThat(ch.isOpen()).isFalse();
        assertThat(observer.refusals).containsExactly("plaintext_refused");
        assertThat(flows).isEmpty();
    }

    @Test
    void tlsRecordGetsTheTlsStack() {
        EmbeddedChannel ch = accept(PeerMode.STRICT);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16, 0x03, 0x01, 0x00, 0x40}));
        assertThat(handlerNames()).containsExactly(PipelineNames.TLS, PipelineNames.TLS_STATE);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void oneByteIsNotEnoughToDecide() {
        EmbeddedChannel ch = accept(PeerMode.PERMISSIVE);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16}));
        assertThat(handlerNames()).containsExactly(PipelineNames.DETECT);
    }

    @Test
    void http2PrefaceGoesToHttp2OnlyWhenComplete() {
        EmbeddedChannel ch = accept(PeerMode.PERMISSIVE);
        ch.writeInbound(ascii("PRI * HTTP/2.0\r\n"));
        assertThat(handlerNames()).containsExactly(PipelineNames.DETECT);
        assertThat(http2Connection.get()).isNull();
        ch.writeInbound(ascii("\r\nSM\r\n\r\n"));
        assertThat(http2Connection.get()).isNotNull();
        assertThat(http2Connection.get().peer()).isNull();
        assertThat(http2Connection.get().port()).isEqualTo(PORT);
        assertThat(handlerNames()).doesNotContain(PipelineNames.DETECT);
        // The preface was handed on to whatever the HTTP/2 initializer installed (nothing here).
        ByteBuf handedOn = ch.readInbound();
        assertThat(handedOn.readableBytes()).isEqualTo(24);
        handedOn.release();
    }

    @Test
    void requestStartingLikeThePrefaceIsHttp1() {
        EmbeddedChannel ch = accept(PeerMode.PERMISSIVE);
        ch.writeInbound(ascii("PUT /public/x HTTP/1.1\r\nHost: payments.shop\r\nContent-Length: 0\r\n\r\n"));
        assertThat(http2Connection.get()).isNull();
        assertThat(handlerNames()).contains(PipelineNames.H1_CODEC);
    }
}
