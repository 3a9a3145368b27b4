package dev.palisade.proxy.inbound.h2;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMethod;
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
import org.jspecify.annotations.Nullable;

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
 *   <li>A request head without {@code :method}, {@code :scheme} or a non-empty {@code :path} (RFC 9113 §8.3.1), or
 *       trailers with a pseudo-header (§8.1): malformed, RST_STREAM PROTOCOL_ERROR. Netty's codec checks their order
 *       and duplicates but not their presence, and its HTTP/1 conversion then fails with an exception that would
 *       leave the stream unanswered (and leak the request's buffer).
 *   <li>A field value that starts or ends with SP or HTAB (§8.2.1): malformed, RST_STREAM PROTOCOL_ERROR.
 *   <li>{@code CONNECT} (no {@code :scheme} or {@code :path} by design, §8.5): the sidecar opens no tunnels, so
 *       {@code 501} as one HEADERS frame with END_STREAM.
 * </ul>
 *
 * <p>Trailers are checked like headers. After a refusal every further frame of the stream is released unread.
 */
final class RequestHeadersGuardHandler extends ChannelInboundHandlerAdapter {
    private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");

    private final int maxHeaderCount;
    private boolean refused;
    private boolean sawHead;

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
                answer(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE);
                return;
            }
            boolean head = !sawHead;
            sawHead = true;
            if (head && HttpMethod.CONNECT.asciiName().contentEquals(orEmpty(headers.method()))) {
                refused = true;
                answer(ctx, HttpResponseStatus.NOT_IMPLEMENTED);
                return;
            }
            if (headers.contains(HTTP2_SETTINGS)
                    || (head ? !hasRequestPseudoHeaders(headers) : hasPseudoHeader(headers))
                    || hasPaddedValue(headers)) {
                refused = true;
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** A final answer with no body, then the stream is closed. */
    private static void answer(ChannelHandlerContext ctx, HttpResponseStatus status) {
        Http2Headers answer =
                new DefaultHttp2Headers().status(status.codeAsText()).setInt("content-length", 0);
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(answer, true)).addListener(ChannelFutureListener.CLOSE);
    }

    private static boolean hasRequestPseudoHeaders(Http2Headers headers) {
        return headers.method() != null
                && headers.scheme() != null
                && headers.path() != null
                && headers.path().length() > 0;
    }

    private static boolean hasPseudoHeader(Http2Headers headers) {
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            CharSequence name = field.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                return true;
            }
        }
        return false;
    }

    private static boolean hasPaddedValue(Http2Headers headers) {
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            CharSequence value = field.getValue();
            int n = value.length();
            if (n > 0 && (isSpaceOrTab(value.charAt(0)) || isSpaceOrTab(value.charAt(n - 1)))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSpaceOrTab(char c) {
        return c == ' ' || c == '\t';
    }

    private static CharSequence orEmpty(@Nullable CharSequence s) {
        return s == null ? "" : s;
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
