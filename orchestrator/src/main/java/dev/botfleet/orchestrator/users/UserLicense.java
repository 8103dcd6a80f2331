package dev.botfleet.orchestrator.users;

import static java.util.Objects.requireNonNull;

import dev.botfleet.orchestrator.licensing.Capability;
import dev.botfleet.orchestrator.licensing.EntitlementMatrix;
import dev.botfleet.orchestrator.licensing.LicenseType;
import java.time.Instant;

/**
 * One license of one user (L1). Active from {@code startsAt} until {@code endsAt} (exclusive; null
 * means no end).
 */
public record UserLicense(
    String id,
    String userId,
    LicenseType type,
    LicenseSource source,
    Instant startsAt,
    Instant endsAt,
    boolean extended) {

  public UserLicense {
    requireNonNull(id, "id");
    requireNonNull(userId, "userId");
    requireNonNull(type, "type");
    requireNonNull(source, "source");
    requireNonNull(startsAt, "startsAt");
  }

  public boolean activeAt(Instant now) {
    return !now.isBefore(startsAt) && (endsAt == null || now.isBefore(endsAt));
  }

  /** The license's "Daily PPR limit" cell (L2). */
  public long dailyRequestLimit() {
    return EntitlementMatrix.lookup(type, Capability.DAILY_PPR).quantity();
  }
}
