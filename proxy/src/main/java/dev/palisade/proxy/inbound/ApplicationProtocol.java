package dev.palisade.proxy.inbound;

import io.netty.channel.ChannelPipeline;

/** What an established inbound connection speaks, and the handlers that serve it. */
enum ApplicationProtocol {
    /** HTTP/1.1 (or 1.0): {@link Http1Stage}. */
    HTTP1,
    /** HTTP/2 (ALPN {@code h2}, or the plaintext preface): the {@link Http2ServerInitializer} of the services. */
    HTTP2,
    /** An opaque port: {@link TcpSpliceHandler}, whatever ALPN said. */
    TCP;

    /** Adds the handlers for {@code protocol} at the end of {@code pipeline}. */
    static void configure(
            ApplicationProtocol protocol,
            ChannelPipeline pipeline,
            AcceptedConnection accepted,
            InboundConnection connection) {
        InboundServices services = accepted.services();
        switch (protocol) {
            case HTTP1 -> Http1Stage.configure(pipeline, services, connection);
            case HTTP2 ->
                services.http2().configure(pipeline, connection, () -> new HttpExchangeHandler(services, connection));
            case TCP -> pipeline.addLast(PipelineNames.TCP_SPLICE, new TcpSpliceHandler(services, connection));
        }
    }
}
