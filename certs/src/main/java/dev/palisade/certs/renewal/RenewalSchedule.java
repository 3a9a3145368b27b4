package dev.palisade.certs.renewal;

import static java.util.Objects.requireNonNull;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * Computes when a certificate should be renewed: at half of its lifetime, moved by a random jitter of
 * up to {@code jitterFraction} of the lifetime either way (default 5%, so a 24-hour certificate renews
 * between 10.8 h and 13.2 h after NotBefore).
 *
 * <p>Half life leaves the other half to retry in when the control plane is unreachable, as Istio and
 * Linkerd do. Time and randomness are injected, so tests drive both.
 */
public final class RenewalSchedule {
    public static final double DEFAULT_JITTER_FRACTION = 0.05;

    private final Clock clock;
    private final DoubleSupplier random;
    private final double jitterFraction;

    private RenewalSchedule(Clock clock, DoubleSupplier random, double jitterFraction) {
        this.clock = clock;
        this.random = random;
        this.jitterFraction = jitterFraction;
    }

    /** The default schedule: the system clock, a {@link SecureRandom}, 5% jitter. */
    public static RenewalSchedule defaults() {
        SecureRandom secureRandom = new SecureRandom();
        return of(Clock.systemUTC(), secureRandom::nextDouble, DEFAULT_JITTER_FRACTION);
    }

    /**
     * A schedule with an explicit clock and random source.
     *
     * @param random returns values in [0, 1)
     * @param jitterFraction in [0, 0.25]
     */
    public static RenewalSchedule of(Clock clock, DoubleSupplier random, double jitterFraction) {
        requireNonNull(clock, "clock");
        requireNonNull(random, "random");
        if (!(jitterFraction >= 0 && jitterFraction <= 0.25)) {
            throw new IllegalArgumentException("jitterFraction: " + jitterFraction + " (expected: 0..0.25)");
        }
        return new RenewalSchedule(clock, random, jitterFraction);
    }

    /** The instant at which a certificate valid from {@code notBefore} to {@code notAfter} should be renewed. */
    public Instant renewAt(Instant notBefore, Instant notAfter) {
        requireNonNull(notBefore, "notBefore");
        requireNonNull(notAfter, "notAfter");
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException(
                    "validity: " + notBefore + ".." + notAfter + " (expected: notBefore < notAfter)");
        }
        long lifetimeMillis = Duration.between(notBefore, notAfter).toMillis();
        double r = random.getAsDouble();
        if (!(r >= 0 && r < 1)) {
            throw new IllegalStateException("random: " + r + " (expected: 0 <= r < 1)");
        }
        double offset = (r * 2 - 1) * jitterFraction; // uniform in [-jitter, +jitter)
        long at = Math.round(lifetimeMillis * (0.5 + offset));
        return notBefore.plusMillis(at);
    }

    /** How long to wait from now until renewal; zero when renewal is already due. */
    public Duration delayUntilRenewal(Instant notBefore, Instant notAfter) {
        Duration delay = Duration.between(clock.instant(), renewAt(notBefore, notAfter));
        return delay.isNegative() ? Duration.ZERO : delay;
    }
}
