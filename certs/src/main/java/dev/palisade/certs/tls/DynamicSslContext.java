package dev.palisade.certs.tls;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolNegotiator;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSessionContext;

/**
 * An {@link SslContext} that hands every new engine to whatever context {@code current} returns at that moment.
 *
 * <p>For servers that take one {@code SslContext} at build time and never again (grpc-netty's
 * {@code NettyServerBuilder.sslContext}): wrapping {@link SvidSslContextSource#server()} in this makes a renewed SVID
 * or a new trust bundle apply to the next handshake, while established connections keep their engines.
 */
public final class DynamicSslContext extends SslContext {
    private final Supplier<SslContext> current;

    public DynamicSslContext(Supplier<SslContext> current) {
        this.current = requireNonNull(current, "current");
    }

    @Override
    public boolean isClient() {
        return current.get().isClient();
    }

    @Override
    public List<String> cipherSuites() {
        return current.get().cipherSuites();
    }

    @Override
    public ApplicationProtocolNegotiator applicationProtocolNegotiator() {
        return current.get().applicationProtocolNegotiator();
    }

    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc) {
        return current.get().newEngine(alloc);
    }

    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc, String peerHost, int peerPort) {
        return current.get().newEngine(alloc, peerHost, peerPort);
    }

    @Override
    public SSLSessionContext sessionContext() {
        return current.get().sessionContext();
    }
}
