package dev.palisade.proxy.identity;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Capped exponential backoff with jitter, for both connections to the control plane (identity and xDS): attempt
 * {@code n} (from 0) waits {@code min(max, initial * multiplier^n)}, moved by a random fraction of up to
 * {@code jitter} either way, so that sidecars restarted together do not retry together.
 *
 * @param initial the first delay
 * @param max the cap
 * @param multiplier growth per failed attempt, at least 1
 * @param jitter in [0, 1)
 */
public record Backoff(Duration initial, Duration max, double multiplier, double jitter) {
    public Backoff {
        requireNonNull(initial, "initial");
        requireNonNull(max, "max");
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("initial: " + initial + " (expected: > 0)");
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= initial " + initial + ")");
        }
        if (!(multiplier >= 1)) {
            throw new IllegalArgumentException("multiplier: " + multiplier + " (expected: >= 1)");
        }
        if (!(jitter >= 0 && jitter < 1)) {
            throw new IllegalArgumentException("jitter: " + jitter + " (expected: 0 <= jitter < 1)");
        }
    }

    /** 1 s, doubling, capped at 30 s, ±20 %: gRPC's connection-backoff defaults, with a lower cap. */
    public static Backoff defaults() {
        return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2, 0.2);
    }

    /**
     * The delay before retry number {@code attempt} (0 for the first retry).
     *
     * @param random returns values in [0, 1)
     */
    public Duration delay(int attempt, DoubleSupplier random) {
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt: " + attempt + " (expected: >= 0)");
        }
        double base = initial.toMillis() * Math.pow(multiplier, Math.min(attempt, 64));
        double capped = Math.min(base, max.toMillis());
        double offset = (random.getAsDouble() * 2 - 1) * jitter;
        return Duration.ofMillis(Math.max(1, Math.round(capped * (1 + offset))));
    }
}
