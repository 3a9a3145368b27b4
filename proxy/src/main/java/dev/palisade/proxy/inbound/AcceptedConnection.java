package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.config.InboundPort;
import dev.palisade.proxy.config.ProxyConfig;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One accepted connection until its TLS handshake (or plaintext detection) is done: the port and addresses known at
 * accept, the deadline that bounds detection and handshake together, and the one refusal that may be reported for
 * it. {@link #establish} turns it into the {@link InboundConnection} the protocol handlers use. Confined to the
 * channel's event loop.
 */
final class AcceptedConnection {

    static final AttributeKey<AcceptedConnection> KEY = AttributeKey.valueOf(AcceptedConnection.class, "accepted");

    private final Channel channel;
    private final InboundServices services;
    private final int port;
    private final InetSocketAddress source;
    private final InetSocketAddress destination;
    private @Nullable ScheduledFuture<?> deadline;
    private @Nullable InboundConnection established;
    private boolean refused;

    AcceptedConnection(
            Channel channel,
            InboundServices services,
            int port,
            InetSocketAddress source,
            InetSocketAddress destination) {
        this.channel = requireNonNull(channel, "channel");
        this.services = requireNonNull(services, "services");
        this.port = port;
        this.source = requireNonNull(source, "source");
        this.destination = requireNonNull(destination, "destination");
    }

    /** The listener's limits and services. */
    InboundServices services() {
        return services;
    }

    int port() {
        return port;
    }

    /**
     * Arms the deadline from accept to an established connection: detection and the TLS handshake share it (a peer
     * that sends nothing, or stalls inside its ClientHello, is closed at the same point).
     */
    void startDeadline() {
        long nanos = services.limits().tlsHandshakeTimeout().toNanos();
        deadline = channel.eventLoop()
                .schedule(() -> refuse(RefusalReasons.HANDSHAKE_TIMEOUT), nanos, TimeUnit.NANOSECONDS);
    }

    /** The port's current config, read now (a config update applies from the next decision on); null if gone. */
    @Nullable
    InboundPort currentPort() {
        ProxyConfig config = services.config().current().orElse(null);
        return config == null ? null : config.inboundPort(port);
    }

    /** Whether {@link #establish} ran. */
    boolean isEstablished() {
        return established != null;
    }

    /** The established connection, or null before the handshake is done. */
    @Nullable
    InboundConnection established() {
        return established;
    }

    /** Fixes the connection's facts once TLS (or plaintext detection) is done, and cancels the deadline. */
    InboundConnection establish(
            @Nullable SpiffeId peer,
            @Nullable String serverName,
            @Nullable String tlsVersion,
            @Nullable String cipher) {
        cancelDeadline();
        InboundConnection connection = new InboundConnection(
                port, peer, services.self().get(), source, destination, serverName, tlsVersion, cipher);
        established = connection;
        return connection;
    }

    /** Reports a completed TLS handshake with an accepted peer to the observer. */
    void handshakeCompleted(boolean resumed) {
        services.observer().tlsHandshake(resumed);
    }

    /**
     * Refuses the connection before any request: reports {@code reason} to the observer (once per connection, the
     * first reason wins) and closes it.
     */
    void refuse(String reason) {
        cancelDeadline();
        if (!refused && established == null) {
            refused = true;
            services.observer().refused(reason);
        }
        var unused = channel.close();
    }

    /** Whether the connection was refused. */
    boolean isRefused() {
        return refused;
    }

    private void cancelDeadline() {
        ScheduledFuture<?> d = deadline;
        if (d != null) {
            d.cancel(false);
            deadline = null;
        }
    }
}
