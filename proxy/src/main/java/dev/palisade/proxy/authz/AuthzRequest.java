package dev.palisade.proxy.authz;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * What the authorization engine evaluates: a {@link NormalizedRequest} (absent for an opaque TCP
 * connection) and the facts of the connection it came on.
 *
 * <p>Cheap to build: nothing is copied or parsed, the record only holds references. The HTTP
 * attributes are exactly the normaliser's: {@code :method}, {@code :authority} (also reachable
 * as {@code host}) and {@code :path} (without the query) are {@link NormalizedRequest#method()},
 * {@link NormalizedRequest#authority()} and {@link NormalizedRequest#path()}; other headers are
 * {@link NormalizedRequest#headers()}, lower-case names to values in arrival order.
 *
 * @param http the normalised HTTP request, or {@code null} for a TCP connection
 * @param peerPrincipal the SPIFFE ID of the mTLS peer, or {@code null} for a plaintext peer
 *     (PERMISSIVE mode), which no {@code authenticated} matcher matches
 * @param sourceIp the address of the peer as seen on the socket (there is no trusted proxy in
 *     front of a sidecar, so {@code remote_ip} and {@code direct_remote_ip} are both this), or
 *     {@code null} when unknown, as in {@code palisade authz check}
 * @param destinationIp the original destination address of the connection, or {@code null} when
 *     unknown
 * @param destinationPort the original destination port, 0 when unknown
 * @param requestedServerName the TLS SNI, or {@code null} when the client sent none (matched as
 *     the empty string, as Envoy does)
 */
public record AuthzRequest(
        @Nullable NormalizedRequest http,
        @Nullable String peerPrincipal,
        @Nullable InetAddress sourceIp,
        @Nullable InetAddress destinationIp,
        int destinationPort,
        @Nullable String requestedServerName) {

    public AuthzRequest {
        if (destinationPort < 0 || destinationPort > 65535) {
            throw new IllegalArgumentException("destinationPort: " + destinationPort + " (expected: 0..65535)");
        }
    }

    /** A builder for an HTTP request. */
    public static Builder builder(NormalizedRequest http) {
        return new Builder(requireNonNull(http, "http"));
    }

    /** A builder for an opaque TCP connection: no method, path or headers. */
    public static Builder connectionBuilder() {
        return new Builder(null);
    }

    /**
     * Builds an {@link AuthzRequest} with named setters, so that the two addresses cannot be
     * swapped by position. Not thread-safe.
     */
    public static final class Builder {
        private final @Nullable NormalizedRequest http;
        private @Nullable String peerPrincipal;
        private @Nullable InetAddress sourceIp;
        private @Nullable InetAddress destinationIp;
        private int destinationPort;
        private @Nullable String requestedServerName;

        private Builder(@Nullable NormalizedRequest http) {
            this.http = http;
        }

        /** The peer's SPIFFE ID; {@code null} (the default) for a plaintext peer. */
        public Builder peerPrincipal(@Nullable String peerPrincipal) {
            this.peerPrincipal = peerPrincipal;
            return this;
        }

        /** The peer's address. */
        public Builder sourceIp(@Nullable InetAddress sourceIp) {
            this.sourceIp = sourceIp;
            return this;
        }

        /** The original destination address. */
        public Builder destinationIp(@Nullable InetAddress destinationIp) {
            this.destinationIp = destinationIp;
            return this;
        }

        /** The original destination port, 1..65535 (0: unknown). */
        public Builder destinationPort(int destinationPort) {
            this.destinationPort = destinationPort;
            return this;
        }

        /** The TLS SNI the client sent. */
        public Builder requestedServerName(@Nullable String requestedServerName) {
            this.requestedServerName = requestedServerName;
            return this;
        }

        /** The request. */
        public AuthzRequest build() {
            return new AuthzRequest(http, peerPrincipal, sourceIp, destinationIp, destinationPort, requestedServerName);
        }
    }
}
