package dev.palisade.controlplane.xds;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.PeerIdentity;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Puts the caller's verified SPIFFE ID (from its TLS client certificate, already verified by the server's
 * {@code SpiffeTrustManager}) into the gRPC {@link Context}, where services read it with {@link #current()}. A
 * caller without a client certificate has no ID there.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {
    static final Context.Key<SpiffeId> PEER_ID = Context.key("palisade-peer-spiffe-id");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        @Nullable
        SpiffeId peer = session == null ? null : PeerIdentity.of(session).orElse(null);
        if (peer == null) {
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(PEER_ID, peer), call, headers, next);
    }

    /** The SPIFFE ID of the peer of the current call, if it presented a verified certificate. */
    public static Optional<SpiffeId> current() {
        return Optional.ofNullable(PEER_ID.get());
    }
}
