package dev.palisade.proxy.inbound;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import java.util.function.Supplier;

/**
 * Turns a connection whose peer speaks HTTP/2 (ALPN {@code h2}, or the client preface in plaintext) into streams: the
 * HTTP/2 codec with the limits of {@link InboundLimits}, and per stream a child channel that speaks {@code HttpObject}s
 * and ends with a handler from {@code streamHandler} (the same exchange handler as HTTP/1.1).
 */
@FunctionalInterface
public interface Http2ServerInitializer {
    /**
     * Configures {@code pipeline} (a connection whose TLS, if any, is done) for HTTP/2.
     *
     * @param pipeline the connection's pipeline, where the caller's detection handlers were removed
     * @param connection the connection's facts
     * @param streamHandler a new exchange handler for each stream
     */
    void configure(ChannelPipeline pipeline, InboundConnection connection, Supplier<ChannelHandler> streamHandler);
}
