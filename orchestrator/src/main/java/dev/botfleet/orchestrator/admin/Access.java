package dev.botfleet.orchestrator.admin;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.util.Arrays;

/** Authorization checks shared by the services; each refusal names what was needed. */
public final class Access {
  private Access() {}

  public static void requireAnyRole(Principal caller, String action, Role... roles) {
    for (Role role : roles) {
      if (caller.has(role)) {
        return;
      }
    }
    throw BotfleetException.denied(
        ErrorReason.ROLE_REQUIRED,
        caller.name()
            + " may not "
            + action
            + " (expected one of the roles "
            + Arrays.toString(roles)
            + ")");
  }

  public static void requireTenantAdmin(Principal caller, String action) {
    requireAnyRole(caller, action, Role.GLOBAL_ADMIN, Role.SERVICE_ADMIN, Role.DELEGATED_ADMIN);
  }

  public static void requireAdminOf(
      Principal caller, String environmentId, String environmentName, String action) {
    if (!caller.isAdminOf(environmentId)) {
      throw BotfleetException.denied(
          ErrorReason.ENVIRONMENT_ADMIN_REQUIRED,
          caller.name()
              + " may not "
              + action
              + " (expected: a tenant admin or ENVIRONMENT_ADMIN of '"
              + environmentName
              + "')");
    }
  }

  public static void requireMakerIn(
      Principal caller, String environmentId, String environmentName, String action) {
    if (!caller.canMakeIn(environmentId)) {
      throw BotfleetException.denied(
          ErrorReason.MAKER_REQUIRED,
          caller.name()
              + " may not "
              + action
              + " (expected: MAKER of '"
              + environmentName
              + "', or an admin of '"
              + environmentName
              + "')");
    }
  }

  /**
   * Reads of an environment's data (runs with inputs and outputs, machines, groups, flows, usage,
   * utilization): its admins and its makers (issue 12 §2).
   */
  public static void requireReaderOf(
      Principal caller, String environmentId, String environmentName, String action) {
    if (!caller.canReadIn(environmentId)) {
      throw BotfleetException.denied(
          ErrorReason.O4_ENVIRONMENT_ROLE_REQUIRED,
          caller.name()
              + " may not "
              + action
              + " (expected: a tenant admin, or ENVIRONMENT_ADMIN or MAKER of '"
              + environmentName
              + "')");
    }
  }
}
