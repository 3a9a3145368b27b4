package dev.palisade.proxy.inbound;

import dev.palisade.proxy.authz.AuthzResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sidecar's own answers that are not about policy (those are {@link AuthzResponse#denied} and {@link
 * AuthzResponse#malformed}): a request the codec refused ({@code 400}, {@code 414}, {@code 431}, {@code 501}, {@code
 * 505}), an expectation it does not meet ({@code 417}), an app it cannot reach ({@code 503}). Same shape as {@link
 * AuthzResponse}, so one writer sends all of them.
 */
final class LocalResponses {

    private LocalResponses() {}

    /** A short text answer naming the status and the request id, never anything about the request's content. */
    static AuthzResponse of(int status, String requestId, boolean closeConnection) {
        byte[] body = (status + " " + HttpResponseStatus.valueOf(status).reasonPhrase() + " (request id " + requestId
                        + ")\n")
                .getBytes(StandardCharsets.US_ASCII);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "text/plain; charset=utf-8");
        headers.put("content-length", Integer.toString(body.length));
        if (closeConnection) {
            headers.put("connection", "close");
        }
        headers.put(ForwardedHeaders.REQUEST_ID, requestId);
        return new AuthzResponse(status, headers, body, false, closeConnection);
    }
}
