package dev.palisade.proxy.flow;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.authz.AuthzDecision;
import dev.palisade.proxy.authz.Rejection;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What the data path knows about one finished HTTP request or TCP connection, handed to the flow log (issue 6) once
 * the exchange is over: one event per request or connection, allowed, denied or rejected as malformed. The data path
 * fills it; the flow-log writer turns it into a record, drops the query and chains it.
 *
 * @param start when the request (or connection) started
 * @param duration until the response ended (or the connection closed)
 * @param direction inbound (this sidecar enforced) or outbound (this sidecar originated mTLS)
 * @param source the peer's SPIFFE ID, or {@code null} for a plaintext peer (PERMISSIVE) or an outbound app
 * @param destination the server's SPIFFE ID: this workload inbound, the verified peer outbound, {@code null} when
 *     unknown (a destination outside the mesh)
 * @param sourceAddress the remote address of the downstream connection
 * @param destinationAddress the original destination of the connection
 * @param protocol {@code HTTP/1.1}, {@code HTTP/2}, {@code gRPC} or {@code TCP}
 * @param method the request method, {@code null} for TCP
 * @param authority the normalised authority, {@code null} for TCP or a request rejected before it was known
 * @param path the normalised path, query included as received ({@code null} for TCP); the flow log drops the query
 * @param status the HTTP status sent downstream (0 for TCP, or when the connection broke before a response)
 * @param grpcStatus the {@code grpc-status} sent downstream, or {@code null} when not gRPC or none was seen
 * @param bytesIn request body bytes received from downstream (TCP: bytes from the client)
 * @param bytesOut response body bytes sent downstream (TCP: bytes to the client)
 * @param decision the authorization decision, or {@code null} when none was made (rejected as malformed, or an
 *     outbound connection, which the destination's sidecar authorizes)
 * @param rejection why the request was rejected before any policy, or {@code null}
 * @param tlsVersion the negotiated TLS version, {@code null} for plaintext
 * @param cipher the negotiated cipher suite, {@code null} for plaintext
 * @param requestId the request id ({@code x-request-id} as received or generated), {@code null} for TCP
 */
public record FlowEvent(
        Instant start,
        Duration duration,
        Direction direction,
        @Nullable SpiffeId source,
        @Nullable SpiffeId destination,
        @Nullable InetSocketAddress sourceAddress,
        @Nullable InetSocketAddress destinationAddress,
        String protocol,
        @Nullable String method,
        @Nullable String authority,
        @Nullable String path,
        int status,
        @Nullable Integer grpcStatus,
        long bytesIn,
        long bytesOut,
        @Nullable AuthzDecision decision,
        @Nullable Rejection rejection,
        @Nullable String tlsVersion,
        @Nullable String cipher,
        @Nullable String requestId) {

    /** Which listener produced the event. */
    public enum Direction {
        INBOUND,
        OUTBOUND
    }

    public FlowEvent {
        requireNonNull(start, "start");
        requireNonNull(duration, "duration");
        requireNonNull(direction, "direction");
        requireNonNull(protocol, "protocol");
    }
}
