package dev.botfleet.orchestrator.admin;

import static java.util.Objects.requireNonNull;

/** Tenant-wide settings. */
public record TenantSettings(CapacityAllocationMode capacityAllocation) {
  public TenantSettings {
    requireNonNull(capacityAllocation, "capacityAllocation");
  }
}
