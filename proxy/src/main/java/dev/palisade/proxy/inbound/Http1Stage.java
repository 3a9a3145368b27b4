package dev.palisade.proxy.inbound;

import io.netty.channel.ChannelPipeline;

/**
 * The HTTP/1.1 handlers of an established connection: {@code H1_BYTES → H1_CODEC → H1_TIMEOUTS → EXCHANGE}
 * ({@link PipelineNames}). The codec bounds the request line ({@code 414}) and the header section ({@code 431}) by
 * {@link InboundLimits}; {@link Http1Timeouts} closes slow and idle peers; {@link HttpExchangeHandler} does the rest,
 * keep-alive and pipelining included.
 */
final class Http1Stage {

    private Http1Stage() {}

    static void configure(ChannelPipeline pipeline, InboundServices services, InboundConnection connection) {
        Http1Timeouts timeouts = new Http1Timeouts(services.limits(), services.observer());
        pipeline.addLast(PipelineNames.H1_BYTES, timeouts.bytesHandler());
        pipeline.addLast(PipelineNames.H1_CODEC, new Http1ServerCodec(services.limits()));
        pipeline.addLast(PipelineNames.H1_TIMEOUTS, timeouts.messagesHandler());
        pipeline.addLast(PipelineNames.EXCHANGE, new HttpExchangeHandler(services, connection));
    }
}
