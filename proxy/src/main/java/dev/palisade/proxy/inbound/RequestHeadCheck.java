package dev.palisade.proxy.inbound;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;

/**
 * The checks on a request head before normalisation, for HTTP/1.1 and for HTTP/2 streams alike: what the codec could
 * not parse, what exceeds a limit, and framing the sidecar will not guess about (request smuggling: RFC 9112 §6.1,
 * §6.3). Each failure is answered with the status here and the connection closes.
 */
final class RequestHeadCheck {

    private RequestHeadCheck() {}

    /**
     * The status to refuse {@code request} with, or 0 when it may be normalised.
     *
     * <ul>
     *   <li>a failed {@link DecoderResult}: {@code 414} for a request line over the limit, {@code 431} for a header
     *       section over it, else {@code 400} (bad syntax, bare LF, invalid header name or value, both
     *       Content-Length and Transfer-Encoding, several Content-Lengths);
     *   <li>more header fields than {@link InboundLimits#maxHeaderCount()}: {@code 431};
     *   <li>HTTP/1.x other than 1.0 and 1.1: {@code 505};
     *   <li>Content-Length with Transfer-Encoding (should the codec let one through): {@code 400};
     *   <li>a Transfer-Encoding other than exactly {@code chunked}, once: {@code 501} (RFC 9112 §6.1: a coding the
     *       sidecar does not decode cannot be forwarded under a framing it rewrites).
     * </ul>
     */
    static int refusal(HttpRequest request, boolean http2, InboundLimits limits) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            return statusOf(result.cause());
        }
        if (request.headers().size() > limits.maxHeaderCount()) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.code();
        }
        if (!http2
                && !request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && !request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED.code();
        }
        List<String> codings = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty()) {
            if (request.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
                return HttpResponseStatus.BAD_REQUEST.code();
            }
            if (codings.size() != 1 || !ForwardedHeaders.trim(codings.get(0)).equalsIgnoreCase("chunked")) {
                return HttpResponseStatus.NOT_IMPLEMENTED.code();
            }
        }
        return 0;
    }

    /** The status for a decoding failure of a request head or body. */
    static int statusOf(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG.code();
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.code();
        }
        return HttpResponseStatus.BAD_REQUEST.code();
    }
}
