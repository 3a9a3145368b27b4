package dev.palisade.proxy.flow;

/**
 * Where the data path hands its {@link FlowEvent}s. Called on event-loop threads: an implementation must never block
 * (issue 6: back-pressure never reaches the data path) and must never throw.
 */
@FunctionalInterface
public interface FlowSink {
    /** A sink that drops every event: for tests and for a sidecar started without flow logs. */
    FlowSink NONE = event -> {};

    void record(FlowEvent event);
}
