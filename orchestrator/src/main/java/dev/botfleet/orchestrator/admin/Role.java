package dev.botfleet.orchestrator.admin;

/** Roles of a principal (SPEC "Entities"). */
public enum Role {
  GLOBAL_ADMIN,
  SERVICE_ADMIN,
  DELEGATED_ADMIN,
  /** Admin of one environment only. */
  ENVIRONMENT_ADMIN,
  MAKER;

  /** The tenant-wide admin roles: admins of every environment, and the "specific admins" of C5. */
  public boolean isTenantAdmin() {
    return this == GLOBAL_ADMIN || this == SERVICE_ADMIN || this == DELEGATED_ADMIN;
  }
}
