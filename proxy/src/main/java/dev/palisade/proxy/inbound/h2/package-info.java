/**
 * HTTP/2 and gRPC on the inbound path (issue 5). {@link dev.palisade.proxy.inbound.h2.Http2Inbound} turns a peer's
 * HTTP/2 connection into one child channel per request stream that speaks Netty {@code HttpObject}s, so the exchange
 * handler that authorizes and forwards HTTP/1.1 serves HTTP/2 and gRPC too; {@link
 * dev.palisade.proxy.inbound.h2.Http2AppStreams} opens the same kind of channel as a stream of a pooled cleartext
 * HTTP/2 connection to the app.
 *
 * <p><b>Writing answers on an inbound stream.</b> Write {@code HttpObject}s; the stream codec turns them into frames.
 * A denied gRPC call ({@code AuthzResponse.denied(id, true)}: status 200, {@code trailersOnly}) must be written as
 * <em>one</em> {@code FullHttpResponse} with an empty, unreadable content, empty trailing headers, and every field of
 * {@code AuthzResponse.headers()} ({@code content-type}, {@code grpc-status}, {@code grpc-message}, {@code
 * x-request-id}) as ordinary headers: the codec then sends exactly one HEADERS frame with END_STREAM, the gRPC
 * "trailers-only" response. Do not write an {@code HttpResponse} followed by a {@code LastHttpContent} for it (two
 * frames; gRPC accepts that too, but it is not trailers-only), and do not put {@code grpc-status} in trailing headers
 * of a {@code FullHttpResponse} (an empty DATA frame is not sent, but the status moves to a second HEADERS frame).
 * No marker header is needed. Connection-specific fields an answer carries ({@code connection: close} in {@code
 * AuthzResponse.malformed}) are dropped by the codec; to close an HTTP/2 connection after an answer, close the parent
 * channel ({@code stream.parent()}), which sends GOAWAY.
 *
 * <p><b>What the exchange handler receives.</b> An {@code HttpRequest} whose {@code Host} is {@code :authority}, with
 * Netty's {@code x-http2-scheme}, {@code x-http2-stream-id} (and, when no {@code content-length} was sent, a
 * synthetic {@code transfer-encoding: chunked}); these are dropped again when the request is written to an HTTP/2
 * app, and the HTTP/1.1 encoder needs the last one. A request without a body is a {@code FullHttpRequest}.
 */
@NullMarked
package dev.palisade.proxy.inbound.h2;

import org.jspecify.annotations.NullMarked;
