package dev.palisade.proxy.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Netty's {@code HttpServerCodec}, with the one thing it gets wrong for a proxy: it pairs every response with the
 * oldest request's method, interim ({@code 1xx}) responses included, so a {@code 100 Continue} would make the final
 * response to a later {@code HEAD} carry a body. Here only final responses consume a request's method. The decoder
 * keeps Netty's strict defaults and RFC 9112 framing: a request with both Content-Length and Transfer-Encoding,
 * several Content-Lengths, a Transfer-Encoding whose last coding is not {@code chunked}, a bare LF, or an invalid
 * header name or value, or an HTTP-name other than {@code HTTP}, comes out with a failed {@code DecoderResult}. What
 * RFC 9112 lets a recipient parse leniently, Netty does, and the request is re-serialised cleanly before the app sees
 * it: several spaces or a tab between the request line's words, and obs-fold continuation lines (replaced by a space).
 */
final class Http1ServerCodec
        extends CombinedChannelDuplexHandler<Http1ServerCodec.RequestDecoder, Http1ServerCodec.ResponseEncoder> {

    /** Methods of the requests decoded and not answered yet, oldest first; bounded by pipelining (HttpExchangeHandler). */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>();

    Http1ServerCodec(InboundLimits limits) {
        init(new RequestDecoder(decoderConfig(limits)), new ResponseEncoder());
    }

    static HttpDecoderConfig decoderConfig(InboundLimits limits) {
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLineBytes())
                .setMaxHeaderSize(limits.maxHeaderBytes())
                .setValidateHeaders(true)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true);
    }

    final class RequestDecoder extends HttpRequestDecoder {
        RequestDecoder(HttpDecoderConfig config) {
            super(config);
        }

        /**
         * Netty upper-cases the version it is given ({@code http/1.1} would pass as HTTP/1.1); RFC 9112 §2.3 makes
         * {@code HTTP-name} case-sensitive, so anything else is refused here: the exception becomes the request's
         * failed {@code DecoderResult} (a 400 and a close).
         */
        @Override
        protected HttpMessage createMessage(String[] initialLine) throws Exception {
            if (initialLine.length < 3 || !initialLine[2].startsWith("HTTP/")) {
                throw new IllegalArgumentException("HTTP-name is not \"HTTP\" in the request line");
            }
            return super.createMessage(initialLine);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            int before = out.size();
            super.decode(ctx, buffer, out);
            for (int i = before; i < out.size(); i++) {
                if (out.get(i) instanceof HttpRequest request) {
                    methods.add(request.method());
                }
            }
        }
    }

    final class ResponseEncoder extends HttpResponseEncoder {
        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            HttpMethod method = methods.poll();
            return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(msg);
        }
    }
}
