package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;

/**
 * Reads follow the roles (issue 12 §2, O4): an environment's data is read by its admins and makers,
 * tenant-wide data by a tenant admin. Every read RPC goes through one of these before it reads.
 */
final class Scopes {
  private final EnvironmentService environments;

  Scopes(EnvironmentService environments) {
    this.environments = environments;
  }

  /**
   * The environment named, after checking the caller may read it; PERMISSION_DENIED
   * (O4_ENVIRONMENT_ROLE_REQUIRED) when it holds no role there. Environment names are not secret (a
   * tenant admin hands them out), so naming one that exists is not hidden.
   */
  Environment readable(String environmentName, String what) {
    Environment env = environments.require(environmentName);
    Access.requireReaderOf(
        caller(), env.id(), env.name(), "read " + what + " of '" + env.name() + "'");
    return env;
  }

  /** Tenant-wide reads: GLOBAL_ADMIN, SERVICE_ADMIN or DELEGATED_ADMIN (ROLE_REQUIRED). */
  static void tenantWide(String what) {
    Access.requireTenantAdmin(caller(), "read " + what);
  }
}
