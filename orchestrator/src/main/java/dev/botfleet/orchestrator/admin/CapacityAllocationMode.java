package dev.botfleet.orchestrator.admin;

/** C5: who can allocate add-on capacity to environments. */
public enum CapacityAllocationMode {
  /** Any admin of the target environment (default). */
  EVERYONE,
  /** Only GLOBAL_ADMIN, SERVICE_ADMIN and DELEGATED_ADMIN. */
  ONLY_SPECIFIC_ADMINS
}
