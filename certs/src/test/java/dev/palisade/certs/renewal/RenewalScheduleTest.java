package dev.palisade.certs.renewal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RenewalScheduleTest {
    static final Instant NOT_BEFORE = Instant.parse("2026-11-28T00:00:00Z");
    static final Instant NOT_AFTER = NOT_BEFORE.plus(Duration.ofHours(24));

    static RenewalSchedule at(Instant now, double random) {
        return RenewalSchedule.of(Clock.fixed(now, ZoneOffset.UTC), () -> random, 0.05);
    }

    @Test
    void renewsAtHalfLifeWithoutJitter() {
        assertThat(at(NOT_BEFORE, 0.5).renewAt(NOT_BEFORE, NOT_AFTER)).isEqualTo(NOT_BEFORE.plus(Duration.ofHours(12)));
    }

    @Test
    void jitterStaysWithinFivePercentOfTheLifetimeEitherWay() {
        assertThat(at(NOT_BEFORE, 0.0).renewAt(NOT_BEFORE, NOT_AFTER))
                .isEqualTo(NOT_BEFORE.plus(Duration.ofMinutes(648))); // 10.8 h
        assertThat(at(NOT_BEFORE, 0.999999).renewAt(NOT_BEFORE, NOT_AFTER))
                .isBetween(NOT_BEFORE.plus(Duration.ofMinutes(791)), NOT_BEFORE.plus(Duration.ofMinutes(792)));
    }

    @Test
    void delayCountsFromTheInjectedClockAndIsNeverNegative() {
        assertThat(at(NOT_BEFORE.plus(Duration.ofHours(2)), 0.5).delayUntilRenewal(NOT_BEFORE, NOT_AFTER))
                .isEqualTo(Duration.ofHours(10));
        assertThat(at(NOT_BEFORE.plus(Duration.ofHours(20)), 0.5).delayUntilRenewal(NOT_BEFORE, NOT_AFTER))
                .isZero();
    }

    @Test
    void aFleetStartedTogetherSpreadsItsRenewals() {
        java.security.SecureRandom random = new java.security.SecureRandom();
        RenewalSchedule schedule =
                RenewalSchedule.of(Clock.fixed(NOT_BEFORE, ZoneOffset.UTC), random::nextDouble, 0.05);
        long distinctMinutes = java.util.stream.IntStream.range(0, 200)
                .mapToObj(i -> schedule.renewAt(NOT_BEFORE, NOT_AFTER).getEpochSecond() / 60)
                .distinct()
                .count();
        assertThat(distinctMinutes).isGreaterThan(50);
    }

    @Test
    void refusesBadInput() {
        assertThatThrownBy(() -> at(NOT_BEFORE, 0.5).renewAt(NOT_AFTER, NOT_BEFORE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("notBefore < notAfter");
        assertThatThrownBy(() -> RenewalSchedule.of(Clock.systemUTC(), () -> 0.5, 0.9))
                .hasMessageContaining("jitterFraction");
        assertThatThrownBy(() -> at(NOT_BEFORE, 1.5).renewAt(NOT_BEFORE, NOT_AFTER))
                .isInstanceOf(IllegalStateException.class);
    }
}
