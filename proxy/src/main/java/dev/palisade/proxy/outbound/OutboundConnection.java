package dev.palisade.proxy.outbound;

import dev.palisade.certs.spiffe.SpiffeId;
import dev.palisade.proxy.flow.FlowEvent;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The facts about one app connection that its flow event reports. Confined to the app channel's event loop: the
 * upstream channel is registered on the same loop, so no field needs to be volatile.
 */
final class OutboundConnection {
    private final Instant start = Instant.now();
    private final long startNanos = System.nanoTime();
    private final @Nullable InetSocketAddress appAddress;

    @Nullable
    InetSocketAddress destinationAddress;

    @Nullable
    SpiffeId peer;

    @Nullable
    String tlsVersion;

    @Nullable
    String cipher;

    @Nullable
    String alpn;

    @Nullable
    String refusal;

    long bytesFromApp;
    long bytesToApp;
    private int directionsDone;

    OutboundConnection(@Nullable InetSocketAddress appAddress) {
        this.appAddress = appAddress;
    }

    void addBytesFromApp(long n) {
        bytesFromApp += n;
    }

    void addBytesToApp(long n) {
        bytesToApp += n;
    }

    /** One direction finished (half-closed); true when both have. */
    boolean directionDone() {
        return ++directionsDone >= 2;
    }

    FlowEvent toEvent() {
        return new FlowEvent(
                start,
                Duration.ofNanos(System.nanoTime() - startNanos),
                FlowEvent.Direction.OUTBOUND,
                null,
                peer,
                appAddress,
                destinationAddress,
                "TCP",
                null,
                null,
                null,
                0,
                null,
                bytesFromApp,
                bytesToApp,
                null,
                null,
                tlsVersion,
                cipher,
                null);
    }
}
