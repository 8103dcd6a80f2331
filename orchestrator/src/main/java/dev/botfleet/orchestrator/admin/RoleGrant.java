package dev.botfleet.orchestrator.admin;

import static java.util.Objects.requireNonNull;

/** A role held by a principal; {@code environmentId} is set only for ENVIRONMENT_ADMIN. */
public record RoleGrant(Role role, String environmentId) {
  public RoleGrant {
    requireNonNull(role, "role");
    if ((role == Role.ENVIRONMENT_ADMIN) != (environmentId != null)) {
      throw new IllegalArgumentException(
          "environmentId: " + environmentId + " (expected: set exactly for ENVIRONMENT_ADMIN)");
    }
  }

  public static RoleGrant of(Role role) {
    return new RoleGrant(role, null);
  }
}
