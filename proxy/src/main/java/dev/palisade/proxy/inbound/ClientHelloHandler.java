package dev.palisade.proxy.inbound;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Reads the peer's whole ClientHello, at most {@code maxClientHelloBytes} of it (a larger one closes the connection
 * with a {@code TooLongFrameException}), takes the SNI from it, and replaces itself with an {@link SslHandler} from
 * the current server context: Netty's {@link SniHandler}, with every name mapped to the one context. The SNI reaches
 * {@link TlsEstablishedHandler} as an {@code SniCompletionEvent}. Neither this handler nor the {@code SslHandler} has
 * a timeout of its own: the deadline of {@link AcceptedConnection} bounds detection and handshake together.
 */
final class ClientHelloHandler extends SniHandler {

    ClientHelloHandler(Supplier<SslContext> serverSsl, int maxClientHelloBytes) {
        super(mapping(serverSsl), maxClientHelloBytes, 0L);
    }

    private static Mapping<@Nullable String, SslContext> mapping(Supplier<SslContext> serverSsl) {
        // The context is read per connection: a rotated SVID or trust bundle applies to the next handshake.
        return hostname -> serverSsl.get();
    }

    @Override
    protected SslHandler newSslHandler(SslContext context, ByteBufAllocator allocator) {
        SslHandler handler = context.newHandler(allocator);
        handler.setHandshakeTimeoutMillis(0);
        return handler;
    }

    @Override
    protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext sslContext) {
        SslHandler handler = newSslHandler(sslContext, ctx.alloc());
        try {
            ctx.pipeline().replace(this, PipelineNames.TLS, handler);
            handler = null;
        } finally {
            if (handler != null) {
                // Not in the pipeline: its engine (BoringSSL: native memory) is ours to release.
                ReferenceCountUtil.safeRelease(handler.engine());
            }
        }
    }
}
