package dev.botfleet.orchestrator.admin;

import static java.util.Objects.requireNonNull;

/**
 * A role held by a principal. {@code environmentId} is set exactly for the roles scoped to one
 * environment: ENVIRONMENT_ADMIN and MAKER (issue 12 §2: a maker acts only where it is granted).
 */
public record RoleGrant(Role role, String environmentId) {
  public RoleGrant {
    requireNonNull(role, "role");
    if (role.isEnvironmentScoped() != (environmentId != null)) {
      throw new IllegalArgumentException(
          "environmentId: "
              + environmentId
              + " (expected: set exactly for ENVIRONMENT_ADMIN and MAKER)");
    }
  }

  /** A tenant-wide grant (GLOBAL_ADMIN, SERVICE_ADMIN, DELEGATED_ADMIN). */
  public static RoleGrant of(Role role) {
    return new RoleGrant(role, null);
  }
}
