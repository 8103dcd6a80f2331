package dev.botfleet.orchestrator.admin;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * A caller of the admin API: a user or an admin with roles. {@code tokenExpiresAt} (null: never)
 * and {@code revokedAt} (null: not revoked) follow its credential life cycle (issue 12 §3).
 */
public record Principal(
    String id,
    String name,
    List<RoleGrant> roles,
    Instant createdAt,
    Instant tokenExpiresAt,
    Instant revokedAt) {
  public Principal {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    roles = List.copyOf(roles);
    requireNonNull(createdAt, "createdAt");
  }

  /** A principal whose token never expires and that is not revoked. */
  public Principal(String id, String name, List<RoleGrant> roles, Instant createdAt) {
    this(id, name, roles, createdAt, null, null);
  }

  public boolean revoked() {
    return revokedAt != null;
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
