package dev.botfleet.orchestrator.capacity;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;

/** Purchased units of one SKU: paid, or an admin-managed trial (C1, L6). */
public record Purchase(
    String id,
    Sku sku,
    long quantity,
    boolean trial,
    Instant startsAt,
    Instant endsAt,
    boolean extended,
    String idempotencyKey,
    String createdBy) {

  /** L6: admin-managed trials last 30 days and can be extended once by 30 days. */
  public static final Duration TRIAL_LENGTH = Duration.ofDays(30);

  public Purchase {
    requireNonNull(id, "id");
    requireNonNull(sku, "sku");
    requireNonNull(startsAt, "startsAt");
    requireNonNull(createdBy, "createdBy");
    if (quantity <= 0) {
      throw new IllegalArgumentException("quantity: " + quantity + " (expected: > 0)");
    }
    if (trial != (endsAt != null)) {
      throw new IllegalArgumentException(
          "endsAt: " + endsAt + " (expected: set exactly for trials)");
    }
  }

  /** Whether the units count as purchased at {@code now}: paid, or a trial that has not ended. */
  public boolean activeAt(Instant now) {
    return !now.isBefore(startsAt) && (endsAt == null || now.isBefore(endsAt));
  }
}
