package dev.palisade.proxy.admin;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Where {@link ProxyMetrics} reads the values that are state rather than events, at each scrape. Each supplier must
 * be cheap and thread-safe (it runs on the admin server's event loop).
 *
 * @param certificateNotAfter the current SVID's expiry, empty before the first one
 * @param xdsVersion the version of the last accepted xDS config, empty before the first one
 * @param xdsLastUpdate when the last xDS config was accepted, empty before the first one
 * @param flowLogQueueDepth flow records waiting to be written or sent
 * @param clock for the seconds left until the certificate expires
 */
public record MetricSources(
        Supplier<Optional<Instant>> certificateNotAfter,
        Supplier<Optional<String>> xdsVersion,
        Supplier<Optional<Instant>> xdsLastUpdate,
        LongSupplier flowLogQueueDepth,
        Clock clock) {
    public MetricSources {
        requireNonNull(certificateNotAfter, "certificateNotAfter");
        requireNonNull(xdsVersion, "xdsVersion");
        requireNonNull(xdsLastUpdate, "xdsLastUpdate");
        requireNonNull(flowLogQueueDepth, "flowLogQueueDepth");
        requireNonNull(clock, "clock");
    }

    /** Nothing known: the state gauges report no sample (the queue depth reports 0). */
    public static MetricSources none() {
        return new MetricSources(Optional::empty, Optional::empty, Optional::empty, () -> 0, Clock.systemUTC());
    }
}
