package dev.palisade.injector.webhook;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.concurrent.TimeUnit;

/**
 * The webhook's pipeline, in order:
 *
 * <pre>
 *   read-timeout  ReadTimeoutHandler       closes a connection silent for readTimeout (raw bytes, so TLS too)
 *   tls           SslHandler               the current {@link ServingCertificate}, handshake timeout
 *   http          HttpServerCodec          HTTP/1.1; malformed input becomes a failed DecoderResult
 *   aggregator    HttpObjectAggregator     one FullHttpRequest; a body over maxBodyBytes is answered 413
 *   webhook       {@link WebhookHttpHandler}  routes, answers, keep-alive
 * </pre>
 */
final class WebhookChannelInitializer extends ChannelInitializer<SocketChannel> {

    static final String READ_TIMEOUT = "read-timeout";
    static final String TLS = "tls";
    static final String HTTP = "http";
    static final String AGGREGATOR = "aggregator";
    static final String WEBHOOK = "webhook";

    private final WebhookServerConfig config;
    private final ServingCertificate certificate;
    private final AdmissionReviewHandler handler;

    WebhookChannelInitializer(
            WebhookServerConfig config, ServingCertificate certificate, AdmissionReviewHandler handler) {
        this.config = config;
        this.certificate = certificate;
        this.handler = handler;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline pipeline = ch.pipeline();
        addReadTimeoutStage(pipeline);
        addTlsStage(ch, pipeline);
        addHttpStage(pipeline);
        addWebhookStage(pipeline);
    }

    private void addReadTimeoutStage(ChannelPipeline pipeline) {
        pipeline.addLast(
                READ_TIMEOUT, new ReadTimeoutHandler(config.readTimeout().toMillis(), TimeUnit.MILLISECONDS));
    }

    private void addTlsStage(SocketChannel ch, ChannelPipeline pipeline) {
        SslHandler tls = certificate.current().newHandler(ch.alloc());
        tls.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
        pipeline.addLast(TLS, tls);
    }

    private void addHttpStage(ChannelPipeline pipeline) {
        pipeline.addLast(HTTP, new HttpServerCodec());
        pipeline.addLast(AGGREGATOR, new HttpObjectAggregator(config.maxBodyBytes()));
    }

    private void addWebhookStage(ChannelPipeline pipeline) {
        pipeline.addLast(WEBHOOK, new WebhookHttpHandler(handler));
    }
}
