package dev.palisade.proxy.inbound;

import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.Rejection;
import dev.palisade.proxy.flow.FlowEvent;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/**
 * One request and its response, from the request's headers to the end of the response: what {@link
 * HttpExchangeHandler} knows about it, and the {@link FlowEvent} that is emitted once when it ends. Confined to the
 * event loop of its channel (an HTTP/1.1 connection, or an HTTP/2 stream).
 */
final class Exchange {

    final Instant start = Instant.now();
    final long startNanos = System.nanoTime();
    final String requestId;
    final HttpVersion clientVersion;
    final boolean head;
    final boolean grpc;
    final String protocol;

    // What the flow record says.
    @Nullable
    String method;

    @Nullable
    String authority;

    @Nullable
    String path;

    @Nullable
    AuthzDecision decision;

    @Nullable
    Rejection rejection;

    int status;

    @Nullable
    Integer grpcStatus;

    long bytesIn;
    long bytesOut;

    // Progress.
    /** HTTP/1.1: the peer allows another request on the connection after this one. */
    boolean keepAlive;
    /** Close the connection (HTTP/1.1) or the stream (HTTP/2) once the exchange ends. */
    boolean closeAfter;

    boolean requestComplete;
    /** More request body follows the head than the sidecar would read and drop after a local answer. */
    boolean longBody;

    boolean requestHadTrailers;
    /** The sidecar answered itself (refusal, denial, app unreachable): the app is not involved. */
    boolean localAnswer;

    boolean responseStarted;
    boolean responseComplete;
    /** The last byte of the response (local or relayed) was written to the peer. */
    boolean responseWritten;
    /** An interim (1xx) response from the app is being relayed: its end is not the exchange's. */
    boolean interim;

    boolean retried;
    /** A WebSocket opening handshake, forwarded with its Upgrade on a connection of its own. */
    boolean webSocket;

    boolean done;

    // The way to the app.
    @Nullable
    AppStreams appStreams;

    @Nullable
    InetSocketAddress app;

    @Nullable
    HttpRequest forwardedHead;

    @Nullable
    Channel stream;

    boolean streamUnflushed;
    /** Request contents received while the app stream was being opened; released if the exchange ends first. */
    final ArrayDeque<HttpContent> toApp = new ArrayDeque<>();

    Exchange(String requestId, HttpVersion clientVersion, boolean head, boolean grpc, String protocol) {
        this.requestId = requestId;
        this.clientVersion = clientVersion;
        this.head = head;
        this.grpc = grpc;
        this.protocol = protocol;
    }

    /** Releases the request contents that never reached the app. */
    void releasePending() {
        HttpContent content;
        while ((content = toApp.poll()) != null) {
            ReferenceCountUtil.release(content);
        }
    }

    FlowEvent toFlowEvent(InboundConnection connection) {
        return new FlowEvent(
                start,
                Duration.ofNanos(System.nanoTime() - startNanos),
                FlowEvent.Direction.INBOUND,
                connection.peer(),
                connection.self(),
                connection.source(),
                connection.destination(),
                protocol,
                method,
                authority,
                path,
                status,
                grpcStatus,
                bytesIn,
                bytesOut,
                decision,
                rejection,
                connection.tlsVersion(),
                connection.cipher(),
                requestId);
    }

    /** {@code grpc-status} as a number, or null when absent or not a number. */
    static @Nullable Integer parseGrpcStatus(@Nullable String value) {
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(ForwardedHeaders.trim(value));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
