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

  /**
   * Makers of the environment and its admins may build and run there (share apps, create flows,
   * submit and cancel runs); a MAKER grant names one environment (issue 12 §2).
   */
  public boolean canMakeIn(String environmentId) {
    return isAdminOf(environmentId)
        || roles.stream()
            .anyMatch(g -> g.role() == Role.MAKER && g.environmentId().equals(environmentId));
  }

  /**
   * Who may read an environment's runs (inputs and outputs included), machines, groups, flows,
   * usage and utilization: its admins and its makers (issue 12 §2), the same people who may act
   * there.
   */
  public boolean canReadIn(String environmentId) {
    return canMakeIn(environmentId);
  }
}
