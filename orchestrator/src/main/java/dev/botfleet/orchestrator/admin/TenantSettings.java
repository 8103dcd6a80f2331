package dev.botfleet.orchestrator.admin;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * Tenant-wide settings.
 *
 * @param capacityAllocation who may allocate add-on capacity (C5)
 * @param governmentCloud a government cloud tenant gets no self-service trial (L5)
 * @param overLimit what happens over a daily request limit (M3)
 * @param limitMultiplier every daily request limit is multiplied by this, >= 1 (M3)
 * @param meteringDayOffsetMinutes the metering day starts at 00:00 at this UTC offset (M2)
 */
public record TenantSettings(
    CapacityAllocationMode capacityAllocation,
    boolean governmentCloud,
    OverLimitPolicy overLimit,
    double limitMultiplier,
    int meteringDayOffsetMinutes) {

  public static final int MAX_DAY_OFFSET_MINUTES = 14 * 60;

  public TenantSettings {
    requireNonNull(capacityAllocation, "capacityAllocation");
    requireNonNull(overLimit, "overLimit");
    if (!(limitMultiplier >= 1) || Double.isInfinite(limitMultiplier) || limitMultiplier > 1000) {
      throw BotfleetException.invalid(
          ErrorReason.M3_LIMIT_MULTIPLIER,
          "limit multiplier: " + limitMultiplier + " (expected: 1 to 1000)");
    }
    if (Math.abs(meteringDayOffsetMinutes) > MAX_DAY_OFFSET_MINUTES) {
      throw BotfleetException.invalid(
          ErrorReason.M2_DAY_OFFSET,
          "metering day offset: " + meteringDayOffsetMinutes + " minutes (expected: -840 to 840)");
    }
  }

  /** The defaults for everything but capacity allocation. */
  public TenantSettings(CapacityAllocationMode capacityAllocation) {
    this(capacityAllocation, false, OverLimitPolicy.THROTTLE, 1.0, 0);
  }

  public ZoneOffset meteringOffset() {
    return ZoneOffset.ofTotalSeconds(meteringDayOffsetMinutes * 60);
  }

  /** M2: the metering day {@code at} falls in. */
  public LocalDate meteringDay(Instant at) {
    return at.atOffset(meteringOffset()).toLocalDate();
  }

  /** M2: when metering day {@code day} starts. */
  public Instant dayStart(LocalDate day) {
    return day.atStartOfDay().toInstant(meteringOffset());
  }

  /** M2: the next reset after {@code at}. */
  public Instant nextReset(Instant at) {
    return dayStart(meteringDay(at).plusDays(1));
  }

  /** M3: a daily limit with the multiplier applied (rounded down). */
  public long effectiveLimit(long baseLimit) {
    if (limitMultiplier == 1.0) {
      return baseLimit;
    }
    return (long) Math.floor(baseLimit * limitMultiplier);
  }

  public Duration untilNextReset(Instant at) {
    return Duration.between(at, nextReset(at));
  }

  public TenantSettings withCapacityAllocation(CapacityAllocationMode mode) {
    return new TenantSettings(
        mode, governmentCloud, overLimit, limitMultiplier, meteringDayOffsetMinutes);
  }
}
