package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer the sidecar sends instead of forwarding a request: status, headers and body, without Netty types so
 * that the data path, the CLI and tests share one definition.
 *
 * <ul>
 *   <li>Denied HTTP: {@code 403} with a short text body naming the request id, never the policy (the flow record
 *       names it; a caller learns nothing about the rules).
 *   <li>Denied gRPC ({@code content-type: application/grpc*}): HTTP {@code 200}, trailers-only (RFC 9113 + gRPC over
 *       HTTP/2: the status travels in the only HEADERS frame), {@code grpc-status: 7} (PERMISSION_DENIED).
 *   <li>Malformed (rejected by the normaliser before any rule): {@code 400} with the reason, for HTTP and gRPC alike,
 *       and the connection closes.
 * </ul>
 *
 * @param status the HTTP status
 * @param headers response header fields, lower-case names, in order
 * @param body the body, empty for gRPC trailers-only answers
 * @param trailersOnly whether {@code headers} are sent as the single, end-of-stream HEADERS frame (gRPC)
 * @param closeConnection whether the connection must close after the answer
 */
public record AuthzResponse(
        int status, Map<String, String> headers, byte[] body, boolean trailersOnly, boolean closeConnection) {

    public AuthzResponse {
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(headers, "headers")));
        body = requireNonNull(body, "body").clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    /** Whether a request is gRPC: its content-type is {@code application/grpc} or {@code application/grpc+...}. */
    public static boolean isGrpc(NormalizedRequest request) {
        List<String> types = request.headerValues("content-type");
        return !types.isEmpty()
                && (types.get(0).equals("application/grpc")
                        || types.get(0).startsWith("application/grpc+")
                        || types.get(0).startsWith("application/grpc;"));
    }

    /** The answer to a denied request. */
    public static AuthzResponse denied(String requestId, boolean grpc) {
        requireNonNull(requestId, "requestId");
        if (grpc) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("content-type", "application/grpc");
            headers.put("grpc-status", "7");
            headers.put("grpc-message", percentEncode("RBAC: access denied (request id " + requestId + ")"));
            headers.put("x-request-id", requestId);
            return new AuthzResponse(200, headers, new byte[0], true, false);
        }
        byte[] body = ("RBAC: access denied (request id " + requestId + ")\n").getBytes(StandardCharsets.US_ASCII);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "text/plain; charset=utf-8");
        headers.put("content-length", Integer.toString(body.length));
        headers.put("x-request-id", requestId);
        return new AuthzResponse(403, headers, body, false, false);
    }

    /** The answer to a request the normaliser rejected. */
    public static AuthzResponse malformed(Rejection rejection, String requestId) {
        requireNonNull(rejection, "rejection");
        byte[] body = ("Bad Request: " + rejection.reason().name() + " (request id " + requestId + ")\n")
                .getBytes(StandardCharsets.US_ASCII);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", "text/plain; charset=utf-8");
        headers.put("content-length", Integer.toString(body.length));
        headers.put("connection", "close");
        headers.put("x-request-id", requestId);
        return new AuthzResponse(400, headers, body, false, true);
    }

    /** gRPC's percent-encoding of grpc-message: bytes outside printable ASCII, and '%', as %XX. */
    static String percentEncode(String message) {
        StringBuilder sb = new StringBuilder();
        for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                sb.append((char) c);
            } else {
                sb.append('%')
                        .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }
}
