package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * The facts of one accepted inbound connection, fixed once its TLS handshake (or plaintext detection) is done: who
 * the peer is and where the connection was headed. Protocol handlers (HTTP/1.1, HTTP/2, TCP) build every {@code
 * AuthzRequest} and {@code FlowEvent} of the connection from it. The policy is not here: handlers read the current
 * {@code ProxyConfig} per request, so a policy update applies to open connections from their next request on.
 *
 * @param port the destination port: the app port the peer meant (original destination of captured traffic, or the
 *     port an explicit inbound listener is bound for)
 * @param peer the peer's verified SPIFFE ID, or {@code null} for a plaintext peer (PERMISSIVE)
 * @param self this workload's SPIFFE ID
 * @param source the peer's address as seen on the socket
 * @param destination the original destination address of the connection
 * @param serverName the TLS SNI the peer sent, or {@code null}
 * @param tlsVersion the negotiated TLS protocol ({@code TLSv1.3}), or {@code null} for plaintext
 * @param cipher the negotiated cipher suite, or {@code null} for plaintext
 */
public record InboundConnection(
        int port,
        @Nullable SpiffeId peer,
        SpiffeId self,
        InetSocketAddress source,
        InetSocketAddress destination,
        @Nullable String serverName,
        @Nullable String tlsVersion,
        @Nullable String cipher) {
    public InboundConnection {
        requireNonNull(self, "self");
        requireNonNull(source, "source");
        requireNonNull(destination, "destination");
    }

    /** Whether the peer was authenticated with mTLS. */
    public boolean isMutualTls() {
        return peer != null;
    }
}
