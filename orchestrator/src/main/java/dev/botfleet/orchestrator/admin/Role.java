package dev.botfleet.orchestrator.admin;

/** Roles of a principal (SPEC "Entities"). */
public enum Role {
  GLOBAL_ADMIN,
  SERVICE_ADMIN,
  DELEGATED_ADMIN,
  /** Admin of one environment only. */
  ENVIRONMENT_ADMIN,
  /** Builds and runs in the environments it is granted (one grant per environment). */
  MAKER;

  /** The tenant-wide admin roles: admins of every environment, and the "specific admins" of C5. */
  public boolean isTenantAdmin() {
    return this == GLOBAL_ADMIN || this == SERVICE_ADMIN || this == DELEGATED_ADMIN;
  }

  /** The roles granted per environment: each grant names one environment (issue 12 §2). */
  public boolean isEnvironmentScoped() {
    return this == ENVIRONMENT_ADMIN || this == MAKER;
  }
}
