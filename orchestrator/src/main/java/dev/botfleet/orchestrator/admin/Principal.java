package dev.botfleet.orchestrator.admin;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/** A caller of the admin API: a user or an admin with roles. */
public record Principal(String id, String name, List<RoleGrant> roles, Instant createdAt) {
  public Principal {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    roles = List.copyOf(roles);
    requireNonNull(createdAt, "createdAt");
  }

  public boolean has(Role role) {
    return roles.stream().anyMatch(g -> g.role() == role);
  }

  public boolean isTenantAdmin() {
    return roles.stream().anyMatch(g -> g.role().isTenantAdmin());
  }

  /** Tenant admins administer every environment; an ENVIRONMENT_ADMIN only its own. */
  public boolean isAdminOf(String environmentId) {
    return isTenantAdmin()
        || roles.stream()
            .anyMatch(
                g -> g.role() == Role.ENVIRONMENT_ADMIN && g.environmentId().equals(environmentId));
  }

  /** Makers and admins of the environment may build there (share apps, create flows). */
  public boolean canMakeIn(String environmentId) {
    return has(Role.MAKER) || isAdminOf(environmentId);
  }
}
