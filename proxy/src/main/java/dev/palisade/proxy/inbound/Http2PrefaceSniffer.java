package dev.palisade.proxy.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * After a TLS handshake that did not negotiate {@code h2}, looks at the first bytes before choosing the codec: a
 * client that speaks HTTP/2 with prior knowledge starts with the connection preface, and is served as HTTP/2; anything
 * else is HTTP/1.1.
 *
 * <p>Why: the outbound sidecar picks ALPN from the app's first bytes, waiting a short time for them (an app that
 * speaks first is the common case, but a server-first protocol must not wait long). A gRPC client in a cold or busy
 * JVM can miss that window; its preface then reached the HTTP/1.1 codec, which answered 505 and closed, and the
 * client retried. The preface cannot be mistaken for an HTTP/1.1 request ({@code PRI} is not a method any app
 * serves, and RFC 9113 §3.4 chose it for that), so reading it costs nothing.
 *
 * <p>At most {@value #PREFACE_LENGTH} bytes are held; a client that sends fewer and stalls is closed after the header
 * read timeout, as the HTTP/1.1 codec would close it.
 */
final class Http2PrefaceSniffer extends ByteToMessageDecoder {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final int PREFACE_LENGTH = 24;

    private final AcceptedConnection accepted;
    private final InboundConnection connection;
    private @Nullable ScheduledFuture<?> timeout;

    Http2PrefaceSniffer(AcceptedConnection accepted, InboundConnection connection) {
        this.accepted = accepted;
        this.connection = connection;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        long millis = accepted.services().limits().headerReadTimeout().toMillis();
        timeout = ctx.executor()
                .schedule(
                        () -> {
                            var unused = ctx.close();
                        },
                        millis,
                        TimeUnit.MILLISECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        ScheduledFuture<?> t = timeout;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE_LENGTH);
        boolean prefaceSoFar = true;
        for (int i = 0; i < n && prefaceSoFar; i++) {
            prefaceSoFar = in.getByte(in.readerIndex() + i) == PREFACE[i];
        }
        if (prefaceSoFar && n < PREFACE_LENGTH) {
            return; // not enough to tell
        }
        ApplicationProtocol chosen = prefaceSoFar ? ApplicationProtocol.HTTP2 : ApplicationProtocol.HTTP1;
        ApplicationProtocol.configure(chosen, ctx.pipeline(), accepted, connection);
        // ByteToMessageDecoder hands what it holds to the next handler, the codec just added, when it is removed.
        ctx.pipeline().remove(this);
    }
}
