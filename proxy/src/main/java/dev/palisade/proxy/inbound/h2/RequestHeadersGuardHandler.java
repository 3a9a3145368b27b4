package dev.palisade.proxy.inbound.h2;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;

/**
 * The first handler of every inbound stream: refuses header blocks the codec lets through but we never forward.
 *
 * <ul>
 *   <li>More regular fields than {@code maxHeaderCount} (pseudo-headers not counted, as HTTP/1.1 has none): {@code
 *       431} as one HEADERS frame with END_STREAM, then the stream is closed (RST_STREAM CANCEL if the peer is still
 *       sending). HPACK makes a thousand one-byte fields cheap to send and costly to hold; {@code maxHeaderBytes} alone
 *       does not bound them.
 *   <li>{@code HTTP2-Settings}: connection-specific (RFC 7540 §3.2.1), so the request is malformed (RFC 9113 §8.2.2):
 *       RST_STREAM PROTOCOL_ERROR, as the codec answers the other connection-specific fields.
 * </ul>
 *
 * <p>Trailers are checked like headers. After a refusal every further frame of the stream is released unread.
 */
final class RequestHeadersGuardHandler extends ChannelInboundHandlerAdapter {
    private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");

    private final int maxHeaderCount;
    private boolean refused;

    RequestHeadersGuardHandler(int maxHeaderCount) {
        this.maxHeaderCount = maxHeaderCount;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Http2HeadersFrame frame) {
            Http2Headers headers = frame.headers();
            if (regularFields(headers) > maxHeaderCount) {
                refused = true;
                Http2Headers answer = new DefaultHttp2Headers()
                        .status(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.codeAsText())
                        .setInt("content-length", 0);
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(answer, true)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (headers.contains(HTTP2_SETTINGS)) {
                refused = true;
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private static int regularFields(Http2Headers headers) {
        int count = 0;
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            CharSequence name = field.getKey();
            if (name.length() == 0 || name.charAt(0) != ':') {
                count++;
            }
        }
        return count;
    }
}
