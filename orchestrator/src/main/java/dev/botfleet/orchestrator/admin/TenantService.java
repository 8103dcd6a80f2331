package dev.botfleet.orchestrator.admin;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.Transactions;
import java.time.Clock;

public final class TenantService {
  private final Transactions tx;
  private final TenantRepository tenant;
  private final AuditLog audit;
  private final Clock clock;

  public TenantService(Transactions tx, TenantRepository tenant, AuditLog audit, Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.tenant = requireNonNull(tenant, "tenant");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  public TenantSettings settings() {
    return tx.inTransaction(tenant::get);
  }

  /** Sets the capacity allocation governance (C5); null leaves it unchanged. GLOBAL_ADMIN only. */
  public TenantSettings update(Principal caller, CapacityAllocationMode capacityAllocation) {
    return update(caller, new Change(capacityAllocation, null, null, null, null));
  }

  /**
   * The settings to change; null fields keep their value.
   *
   * @param capacityAllocation C5 governance
   * @param governmentCloud L5: no self-service trials in a government cloud
   * @param overLimit M3 policy
   * @param limitMultiplier M3 multiplier (>= 1)
   * @param meteringDayOffsetMinutes M2 day boundary as a UTC offset in minutes
   */
  public record Change(
      CapacityAllocationMode capacityAllocation,
      Boolean governmentCloud,
      OverLimitPolicy overLimit,
      Double limitMultiplier,
      Integer meteringDayOffsetMinutes) {}

  /** Changes the given settings (C5, L5, M2, M3). GLOBAL_ADMIN only; each change is audited. */
  public TenantSettings update(Principal caller, Change change) {
    Access.requireAnyRole(caller, "change tenant settings", Role.GLOBAL_ADMIN);
    requireNonNull(change, "change");
    return tx.inTransaction(
        () -> {
          TenantSettings before = tenant.getForUpdate();
          TenantSettings after =
              new TenantSettings(
                  change.capacityAllocation() == null
                      ? before.capacityAllocation()
                      : change.capacityAllocation(),
                  change.governmentCloud() == null
                      ? before.governmentCloud()
                      : change.governmentCloud(),
                  change.overLimit() == null ? before.overLimit() : change.overLimit(),
                  change.limitMultiplier() == null
                      ? before.limitMultiplier()
                      : change.limitMultiplier(),
                  change.meteringDayOffsetMinutes() == null
                      ? before.meteringDayOffsetMinutes()
                      : change.meteringDayOffsetMinutes());
          if (!after.equals(before)) {
            tenant.update(after);
            auditIfChanged(
                caller,
                "capacity_allocation",
                before.capacityAllocation(),
                after.capacityAllocation());
            auditIfChanged(
                caller, "government_cloud", before.governmentCloud(), after.governmentCloud());
            auditIfChanged(caller, "over_limit", before.overLimit(), after.overLimit());
            auditIfChanged(
                caller, "limit_multiplier", before.limitMultiplier(), after.limitMultiplier());
            auditIfChanged(
                caller,
                "metering_day_offset_minutes",
                before.meteringDayOffsetMinutes(),
                after.meteringDayOffsetMinutes());
          }
          return after;
        });
  }

  private void auditIfChanged(Principal caller, String setting, Object before, Object after) {
    if (!before.equals(after)) {
      audit.append(
          clock.instant(),
          caller.name(),
          "tenant.settings",
          setting,
          before.toString(),
          after.toString());
    }
  }

  /** One page of the audit log, newest first (issue 8 §2); the API bounds {@code pageSize}. */
  public AuditPage auditEvents(Principal caller, String actionPrefix, Long beforeId, int pageSize) {
    Access.requireTenantAdmin(caller, "read the audit log");
    return tx.inTransaction(
        () -> audit.list(actionPrefix == null ? "" : actionPrefix, beforeId, pageSize));
  }
}
