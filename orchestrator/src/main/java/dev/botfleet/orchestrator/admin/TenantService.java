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
    Access.requireAnyRole(caller, "change tenant settings", Role.GLOBAL_ADMIN);
    return tx.inTransaction(
        () -> {
          TenantSettings before = tenant.getForUpdate();
          TenantSettings after =
              new TenantSettings(
                  capacityAllocation == null ? before.capacityAllocation() : capacityAllocation);
          if (!after.equals(before)) {
            tenant.update(after);
            audit.append(
                clock.instant(),
                caller.name(),
                "tenant.settings",
                "capacity_allocation",
                before.capacityAllocation().name(),
                after.capacityAllocation().name());
          }
          return after;
        });
  }

  public java.util.List<AuditEvent> auditEvents(Principal caller, int limit, String actionPrefix) {
    Access.requireTenantAdmin(caller, "read the audit log");
    int bounded = limit <= 0 ? 100 : Math.min(limit, 1000);
    return tx.inTransaction(() -> audit.list(bounded, actionPrefix == null ? "" : actionPrefix));
  }
}
