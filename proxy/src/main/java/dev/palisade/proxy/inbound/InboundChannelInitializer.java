package dev.palisade.proxy.inbound;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Sets up each accepted connection: counts it, resolves its app port ({@link PortSelector}), refuses a port the
 * workload does not declare, arms the handshake deadline and installs {@link ProtocolDetectionHandler}, which replaces
 * itself with the rest of the stack ({@link PipelineNames}).
 */
final class InboundChannelInitializer extends ChannelInitializer<Channel> {

    private final InboundServices services;
    private final PortSelector ports;
    private final ChannelGroup connections;

    InboundChannelInitializer(InboundServices services, PortSelector ports, ChannelGroup connections) {
        this.services = requireNonNull(services, "services");
        this.ports = requireNonNull(ports, "ports");
        this.connections = requireNonNull(connections, "connections");
    }

    @Override
    protected void initChannel(Channel ch) {
        InboundObserver observer = services.observer();
        observer.connectionOpened();
        ch.closeFuture().addListener(f -> observer.connectionClosed());
        connections.add(ch);

        SocketAddress remote = ch.remoteAddress();
        PortSelector.Resolution resolution = ports.resolve(ch);
        if (resolution instanceof PortSelector.Refused refused) {
            observer.refused(refused.reason());
            var unused = ch.close();
            return;
        }
        if (!(remote instanceof InetSocketAddress source)) {
            observer.refused(RefusalReasons.OTHER); // closed already
            var unused = ch.close();
            return;
        }
        PortSelector.Accepted port = (PortSelector.Accepted) resolution;
        AcceptedConnection accepted = new AcceptedConnection(ch, services, port.port(), source, port.destination());
        ch.attr(AcceptedConnection.KEY).set(accepted);
        if (accepted.currentPort() == null) {
            accepted.refuse(RefusalReasons.UNKNOWN_PORT);
            return;
        }
        accepted.startDeadline();
        ch.pipeline().addLast(PipelineNames.DETECT, new ProtocolDetectionHandler(accepted));
    }
}
