package dev.palisade.proxy.inbound;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.HttpConversionUtil;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which header fields cross the sidecar, in each direction. A field crosses when it is end-to-end: not a hop-by-hop
 * field (RFC 9110 §7.6.1, and the historical list of RFC 2616 §13.5.1), not named in the message's own {@code
 * Connection} field, and not one the sidecar owns.
 *
 * <ul>
 *   <li>Hop-by-hop: {@code Connection}, {@code Keep-Alive}, {@code Proxy-Connection}, {@code TE}, {@code Trailer},
 *       {@code Transfer-Encoding}, {@code Upgrade}, {@code HTTP2-Settings}, {@code Proxy-Authenticate}, {@code
 *       Proxy-Authorization}. Dropping {@code Upgrade} and {@code HTTP2-Settings} means an {@code h2c} (or any other)
 *       upgrade never reaches the app: the sidecar speaks HTTP/2 to peers itself, and an app that switched protocols
 *       behind it would leave the policy blind. The one exception is a WebSocket opening handshake on HTTP/1.1
 *       ({@link #isWebSocketUpgrade}: RFC 6455 §4.1, {@code GET} with {@code Upgrade: websocket}, {@code Connection:
 *       upgrade}, {@code Sec-WebSocket-Key} and {@code Sec-WebSocket-Version}): the request is authorized like any
 *       other, then {@link HttpExchangeHandler} sets {@code Upgrade: websocket} and {@code Connection: Upgrade} itself
 *       (no other hop-by-hop field) and, on the app's {@code 101}, splices the connection's bytes both ways.
 *   <li>Owned by the sidecar, in requests: {@code Host} (set to the normalised authority), {@value #PEER_IDENTITY} (every
 *       copy, in any case, in headers and trailers; set to the verified peer only), {@code X-Request-Id} (one, set by
 *       {@link RequestIds}), {@code Expect} (answered by the sidecar), and Netty's {@code x-http2-*} fields on HTTP/2
 *       streams.
 *   <li>Framing: {@code Content-Length} is kept (never dropped through {@code Connection}, it frames the body), and
 *       {@code Transfer-Encoding: chunked} is set again where the body needs it.
 * </ul>
 */
final class ForwardedHeaders {

    /** The header carrying the verified peer SPIFFE ID to the app (DESIGN.md, data path step 5). */
    static final String PEER_IDENTITY = "x-palisade-peer-identity";

    static final String REQUEST_ID = "x-request-id";

    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "http2-settings",
            "proxy-authenticate",
            "proxy-authorization");

    /** Never removed because {@code Connection} names them: they frame the message or are set by the sidecar. */
    private static final Set<String> NOT_REMOVABLE_BY_CONNECTION = Set.of("content-length", "host");

    private static final Set<String> HTTP2_EXTENSIONS = http2Extensions();

    private ForwardedHeaders() {}

    private static Set<String> http2Extensions() {
        Set<String> names = new HashSet<>();
        for (HttpConversionUtil.ExtensionHeaderNames name : HttpConversionUtil.ExtensionHeaderNames.values()) {
            names.add(name.text().toString().toLowerCase(Locale.ROOT));
        }
        return Set.copyOf(names);
    }

    /**
     * The request's header fields that go to the app and to the policy, in arrival order, names as received, values
     * trimmed of spaces and tabs as the normaliser trims them: everything end-to-end except {@code Host}, {@value
     * #PEER_IDENTITY}, {@value #REQUEST_ID} and {@code Expect}, which the caller sets itself.
     *
     * @param http2 whether the request came on an HTTP/2 stream (Netty's {@code x-http2-*} fields are dropped)
     */
    static List<Map.Entry<String, String>> request(HttpHeaders headers, boolean http2) {
        Set<String> connectionTokens = connectionTokens(headers);
        List<Map.Entry<String, String>> fields = new ArrayList<>(headers.size() + 3);
        for (Map.Entry<String, String> field : headers) {
            String name = field.getKey().toLowerCase(Locale.ROOT);
            if (name.equals("host")
                    || name.equals(PEER_IDENTITY)
                    || name.equals(REQUEST_ID)
                    || name.equals("expect")
                    || (http2 && HTTP2_EXTENSIONS.contains(name))
                    || isHopByHop(name, connectionTokens)) {
                continue;
            }
            fields.add(Map.entry(field.getKey(), trim(field.getValue())));
        }
        return fields;
    }

    /**
     * Whether {@code request} is a WebSocket opening handshake (RFC 6455 §4.1): {@code GET}, an {@code Upgrade} field
     * whose only token is {@code websocket} (any case), a {@code Connection} field listing {@code upgrade}, one
     * non-empty {@code Sec-WebSocket-Key} and one {@code Sec-WebSocket-Version}, and no body. Anything short of that
     * (a {@code POST}, a missing key, another protocol) is an ordinary request whose {@code Upgrade} is dropped.
     */
    static boolean isWebSocketUpgrade(HttpRequest request) {
        HttpHeaders headers = request.headers();
        if (!HttpMethod.GET.equals(request.method())) {
            return false;
        }
        List<String> upgrade = headers.getAll(HttpHeaderNames.UPGRADE);
        if (upgrade.size() != 1 || !trim(upgrade.get(0)).equalsIgnoreCase("websocket")) {
            return false;
        }
        if (!connectionTokens(headers).contains("upgrade")) {
            return false;
        }
        List<String> key = headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        List<String> version = headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (key.size() != 1 || trim(key.get(0)).isEmpty() || version.size() != 1) {
            return false;
        }
        return !headers.contains(HttpHeaderNames.CONTENT_LENGTH)
                && !headers.contains(HttpHeaderNames.TRANSFER_ENCODING);
    }

    /** Removes from request trailers what may not reach the app: the identity header, hop-by-hop and framing fields. */
    static void sanitizeRequestTrailers(HttpHeaders trailers) {
        if (trailers.isEmpty()) {
            return;
        }
        Set<String> connectionTokens = connectionTokens(trailers);
        trailers.entries().stream()
                .map(e -> e.getKey().toLowerCase(Locale.ROOT))
                .distinct()
                .filter(name -> name.equals(PEER_IDENTITY)
                        || name.equals("host")
                        || name.equals("content-length")
                        || name.equals(REQUEST_ID)
                        || HTTP2_EXTENSIONS.contains(name)
                        || isHopByHop(name, connectionTokens))
                .forEach(trailers::remove);
    }

    /** Copies the end-to-end fields of a response (or its trailers) from the app into the answer to the peer. */
    static void copyResponse(HttpHeaders from, HttpHeaders to) {
        Set<String> connectionTokens = connectionTokens(from);
        for (Map.Entry<String, String> field : from) {
            String name = field.getKey().toLowerCase(Locale.ROOT);
            if (HTTP2_EXTENSIONS.contains(name) || isHopByHop(name, connectionTokens)) {
                continue;
            }
            to.add(field.getKey(), field.getValue());
        }
    }

    private static boolean isHopByHop(String lowerCaseName, Set<String> connectionTokens) {
        return HOP_BY_HOP.contains(lowerCaseName)
                || (connectionTokens.contains(lowerCaseName) && !NOT_REMOVABLE_BY_CONNECTION.contains(lowerCaseName));
    }

    /** The field names listed in every {@code Connection} field, lower case. */
    static Set<String> connectionTokens(HttpHeaders headers) {
        List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
        if (values.isEmpty()) {
            return Set.of();
        }
        Set<String> tokens = new HashSet<>();
        for (String value : values) {
            for (String token : value.split(",", -1)) {
                String t = trim(token).toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    tokens.add(t);
                }
            }
        }
        return tokens;
    }

    /** Spaces and tabs off both ends, as {@code RequestNormalizer} trims values. */
    static String trim(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) {
            end--;
        }
        return value.substring(start, end);
    }
}
