package dev.palisade.proxy.inbound.h2;

import static java.util.Objects.requireNonNull;

import dev.palisade.proxy.inbound.Http2ServerInitializer;
import dev.palisade.proxy.inbound.InboundConnection;
import dev.palisade.proxy.inbound.InboundLimits;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The inbound HTTP/2 stage: the connection becomes Netty's frame codec and multiplexer, and each request stream a
 * child channel that speaks {@code HttpObject}s to the shared exchange handler.
 *
 * <pre>
 * connection:  [TLS] → h2-flush (FlushConsolidationHandler) → h2-codec (Http2FrameCodec) → h2-multiplex (Http2MultiplexHandler) → h2-connection
 * each stream: h2-stream-guard → h2-stream-codec (Http2StreamFrameToHttpObjectCodec)
 *              → h2-stream-extension-headers → exchange
 * </pre>
 *
 * <p>What each limit of {@link InboundLimits} becomes (the package documentation has the whole table):
 * {@code maxConcurrentStreams} is SETTINGS_MAX_CONCURRENT_STREAMS, enforced by the codec with RST_STREAM
 * REFUSED_STREAM; {@code maxHeaderBytes} is SETTINGS_MAX_HEADER_LIST_SIZE, answered by the codec with {@code 431};
 * {@code maxHeaderCount} is enforced by {@code h2-stream-guard} with {@code 431}; {@code maxResetStreamsPerWindow} and
 * {@code resetWindow} are Netty's RST_STREAM flood guard (CVE-2023-44487), which sends GOAWAY ENHANCE_YOUR_CALM and
 * closes. The window is whole seconds (Netty's unit): a window that is not is rounded up.
 *
 * <p>Stateless and thread-safe: one instance serves every connection.
 */
public final class Http2Inbound implements Http2ServerInitializer {
    static final String FLUSH = "h2-flush";
    static final String CODEC = "h2-codec";
    static final String MULTIPLEX = "h2-multiplex";
    static final String CONNECTION = "h2-connection";
    static final String STREAM_GUARD = "h2-stream-guard";
    static final String STREAM_CODEC = "h2-stream-codec";
    static final String STREAM_EXTENSION_HEADERS = "h2-stream-extension-headers";
    static final String EXCHANGE = "exchange";

    /** Flushes held back before one goes through anyway, so a long read still writes as it goes. */
    static final int MAX_FLUSHES_HELD = 64;

    private final InboundLimits limits;

    public Http2Inbound(InboundLimits limits) {
        this.limits = requireNonNull(limits, "limits");
    }

    @Override
    public void configure(
            ChannelPipeline pipeline, InboundConnection connection, Supplier<ChannelHandler> streamHandler) {
        requireNonNull(connection, "connection");
        requireNonNull(streamHandler, "streamHandler");
        // Responses arrive from the app's connections, outside this connection's reads, one stream at a time: each
        // stream's flush would be a TLS record and a write of its own. Flushes in one event-loop turn become one.
        pipeline.addLast(FLUSH, new FlushConsolidationHandler(MAX_FLUSHES_HELD, true));
        pipeline.addLast(CODEC, newFrameCodec());
        pipeline.addLast(MULTIPLEX, new Http2MultiplexHandler(new StreamInitializer(limits, streamHandler)));
        pipeline.addLast(CONNECTION, new ConnectionFramesHandler(connection));
    }

    /** The server codec with the limits as initial SETTINGS and as decoder guards. */
    Http2FrameCodec newFrameCodec() {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(limits.maxConcurrentStreams())
                .maxHeaderListSize(limits.maxHeaderBytes());
        int windowSeconds = windowSeconds(limits.resetWindow());
        return Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                // RFC 9113 §8.2: malformed requests (pseudo-header order, connection-specific fields, TE other than
                // trailers, CR/LF/NUL in values) are stream errors in the HPACK decoder, before any handler sees them.
                .validateHeaders(true)
                // CVE-2023-44487: every RST_STREAM the peer sends counts; one too many is a connection error
                // ENHANCE_YOUR_CALM (GOAWAY, then close).
                .decoderEnforceMaxRstFramesPerWindow(limits.maxResetStreamsPerWindow(), windowSeconds)
                // CVE-2025-55163 ("MadeYouReset"): the same budget for resets a peer provokes us into sending.
                .encoderEnforceMaxRstFramesPerWindow(limits.maxResetStreamsPerWindow(), windowSeconds)
                .build();
    }

    /** Netty counts resets per whole seconds; a sub-second remainder rounds the window up. */
    static int windowSeconds(Duration window) {
        long seconds = window.getSeconds() + (window.getNano() > 0 ? 1 : 0);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, seconds));
    }

    /** Each request stream: the guard, the frame/HttpObject codec, and a fresh exchange handler. */
    private static final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
        private final InboundLimits limits;
        private final Supplier<ChannelHandler> streamHandler;

        StreamInitializer(InboundLimits limits, Supplier<ChannelHandler> streamHandler) {
            this.limits = limits;
            this.streamHandler = streamHandler;
        }

        @Override
        protected void initChannel(Http2StreamChannel stream) {
            stream.pipeline()
                    .addLast(STREAM_GUARD, new RequestHeadersGuardHandler(limits.maxHeaderCount()))
                    .addLast(STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(true))
                    .addLast(STREAM_EXTENSION_HEADERS, ExtensionHeadersHandler.INSTANCE)
                    .addLast(EXCHANGE, streamHandler.get());
        }
    }
}
