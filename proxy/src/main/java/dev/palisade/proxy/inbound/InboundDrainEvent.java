package dev.palisade.proxy.inbound;

/**
 * Fired into every open connection's pipeline by {@link InboundServer#drain}: finish what is in flight, accept nothing
 * new. HTTP/1.1 closes an idle connection at once and a busy one after its current response ({@code Connection:
 * close}); an HTTP/2 connection handler should send GOAWAY; connections still in their handshake are closed. Whatever
 * is open at the drain deadline is closed.
 */
public final class InboundDrainEvent {
    /** The one instance. */
    public static final InboundDrainEvent INSTANCE = new InboundDrainEvent();

    private InboundDrainEvent() {}

    @Override
    public String toString() {
        return "InboundDrainEvent";
    }
}
