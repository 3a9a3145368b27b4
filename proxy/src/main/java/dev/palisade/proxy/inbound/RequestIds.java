package dev.palisade.proxy.inbound;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * The request id of an exchange: the peer's {@code X-Request-Id} when it has a sane one (1 to 128 printable ASCII
 * characters, no space: it goes into flow records and the app's logs), else a new random UUID ({@link RandomUuids}).
 * Exactly one is forwarded to the app and answered in local responses.
 */
final class RequestIds {

    static final int MAX_LENGTH = 128;

    private RequestIds() {}

    static String of(HttpHeaders headers) {
        String received = headers.get(ForwardedHeaders.REQUEST_ID);
        if (received != null) {
            String id = ForwardedHeaders.trim(received);
            if (isAcceptable(id)) {
                return id;
            }
        }
        return RandomUuids.next().toString();
    }

    static boolean isAcceptable(String id) {
        if (id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= 0x20 || c >= 0x7F) {
                return false;
            }
        }
        return true;
    }
}
