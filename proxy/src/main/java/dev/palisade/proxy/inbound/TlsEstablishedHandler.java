package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.certs.tls.PeerIdentity;
import dev.palisade.certs.tls.TlsSessions;
import dev.palisade.proxy.config.InboundPort;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the TLS handshake's outcome into the connection's facts. A failed handshake is refused with a reason from its
 * cause ({@link RefusalReasons#ofHandshakeFailure}). A successful one has a client certificate that the SPIFFE trust
 * manager verified as an X.509-SVID (the server context requires one); its SPIFFE ID, the SNI, the protocol version
 * and the cipher make the {@link InboundConnection}, and the port's protocol and ALPN pick the handlers: an opaque port
 * is spliced whatever ALPN said, {@code h2} goes to HTTP/2, {@code http/1.1} or no ALPN to HTTP/1.1 — unless the
 * client starts with the HTTP/2 preface anyway ({@link Http2PrefaceSniffer}).
 *
 * <p>Stays in the pipeline for one more job: the JDK's TLS 1.3 engine answers a peer's {@code close_notify} with a
 * half-close and nothing else, so an HTTP connection whose peer said goodbye is closed here on {@link
 * SslCloseCompletionEvent} (an opaque splice handles it as the end of the peer's input instead).
 */
final class TlsEstablishedHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(TlsEstablishedHandler.class);

    private final AcceptedConnection accepted;
    private @Nullable String serverName;
    private @Nullable ApplicationProtocol protocol;

    TlsEstablishedHandler(AcceptedConnection accepted) {
        this.accepted = requireNonNull(accepted, "accepted");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SniCompletionEvent sni && sni.isSuccess()) {
            serverName = sni.hostname();
        } else if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                established(ctx);
            } else {
                Throwable cause = handshake.cause();
                logger.debug("{} TLS handshake failed", ctx.channel(), cause);
                accepted.refuse(RefusalReasons.ofHandshakeFailure(cause));
            }
        } else if (evt instanceof SslCloseCompletionEvent && protocol != ApplicationProtocol.TCP) {
            var unused = ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void established(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            accepted.refuse(RefusalReasons.OTHER);
            return;
        }
        Optional<SpiffeId> peer = PeerIdentity.of(ssl);
        if (peer.isEmpty()) {
            // The server context requires a verified client SVID; a session without one is never served.
            accepted.refuse(RefusalReasons.INVALID_SVID);
            return;
        }
        InboundPort port = accepted.currentPort();
        if (port == null) {
            accepted.refuse(RefusalReasons.UNKNOWN_PORT);
            return;
        }
        SSLSession session = ssl.engine().getSession();
        accepted.handshakeCompleted(TlsSessions.isResumed(ssl.engine()));
        InboundConnection connection =
                accepted.establish(peer.get(), serverName, session.getProtocol(), session.getCipherSuite());
        String alpn = ssl.applicationProtocol();
        ApplicationProtocol chosen;
        if (port.protocol().isOpaque()) {
            chosen = ApplicationProtocol.TCP;
        } else if (ApplicationProtocolNames.HTTP_2.equals(alpn)) {
            chosen = ApplicationProtocol.HTTP2;
        } else {
            chosen = ApplicationProtocol.HTTP1;
        }
        protocol = chosen;
        if (chosen == ApplicationProtocol.HTTP1) {
            // No h2 in ALPN: still HTTP/2 if the client starts with the preface (Http2PrefaceSniffer says why).
            ctx.pipeline().addLast(new Http2PrefaceSniffer(accepted, connection));
        } else {
            ApplicationProtocol.configure(chosen, ctx.pipeline(), accepted, connection);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!accepted.isEstablished()) {
            // The handshake's failure was reported through its completion event; this is the same error again.
            logger.debug("{} before the handshake completed", ctx.channel(), cause);
            accepted.refuse(RefusalReasons.ofHandshakeFailure(cause));
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
