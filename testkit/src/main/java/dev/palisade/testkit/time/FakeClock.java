package dev.palisade.testkit.time;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A {@link Clock} that stands still until {@link #advance} or {@link #set} moves it. Thread-safe. */
public final class FakeClock extends Clock {
    private volatile Instant now;

    public FakeClock(Instant start) {
        this.now = requireNonNull(start, "start");
    }

    /** Moves the clock forward by {@code duration} and returns the new instant. */
    public synchronized Instant advance(Duration duration) {
        now = now.plus(duration);
        return now;
    }

    public void set(Instant instant) {
        now = requireNonNull(instant, "instant");
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
