package dev.botfleet.orchestrator.environments;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import java.time.Clock;
import java.util.List;

public final class EnvironmentService {
  private final Transactions tx;
  private final EnvironmentRepository environments;
  private final AuditLog audit;
  private final Clock clock;

  /**
   * Environments are never renamed or deleted, so a found one can be remembered for good; this
   * keeps name lookups off the database on hot paths (run submission, metering).
   */
  private final java.util.Map<String, Environment> byName =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final java.util.Map<String, Environment> byId =
      new java.util.concurrent.ConcurrentHashMap<>();

  public EnvironmentService(
      Transactions tx, EnvironmentRepository environments, AuditLog audit, Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.environments = requireNonNull(environments, "environments");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  public Environment create(Principal caller, String name, EnvironmentType type) {
    Access.requireTenantAdmin(caller, "create environments");
    Names.require("environment", name);
    if (type == null) {
      throw BotfleetException.invalid(
          ErrorReason.ENVIRONMENT_TYPE_REQUIRED,
          "type: missing (expected: one of DEFAULT, PRODUCTION, SANDBOX, TRIAL, DEVELOPER, TEAMS)");
    }
    return tx.inTransaction(
        () -> {
          Environment env = new Environment(Ids.newId("env"), name, type, clock.instant());
          if (!environments.insert(env)) {
            throw BotfleetException.alreadyExists(
                ErrorReason.ENVIRONMENT_EXISTS,
                "environment '" + name + "' already exists (expected: a new name)");
          }
          audit.append(
              clock.instant(),
              caller.name(),
              "environment.create",
              "environment=" + name,
              null,
              type.name());
          return env;
        });
  }

  public List<Environment> list() {
    return tx.inTransaction(environments::list);
  }

  /** The environment by name, or NOT_FOUND. */
  public Environment require(String name) {
    if (name == null || name.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.ENVIRONMENT_REQUIRED, "environment: missing (expected: an environment name)");
    }
    Environment cached = byName.get(name);
    if (cached != null) {
      return cached;
    }
    Environment env =
        tx.inTransaction(() -> environments.findByName(name))
            .orElseThrow(
                () ->
                    BotfleetException.notFound(
                        ErrorReason.ENVIRONMENT_NOT_FOUND,
                        "environment '" + name + "' does not exist (see `botfleet env list`)"));
    remember(env);
    return env;
  }

  public Environment requireById(String id) {
    Environment cached = byId.get(id);
    if (cached != null) {
      return cached;
    }
    Environment env =
        tx.inTransaction(() -> environments.findById(id))
            .orElseThrow(
                () ->
                    BotfleetException.notFound(
                        ErrorReason.ENVIRONMENT_NOT_FOUND,
                        "environment id '" + id + "' does not exist"));
    remember(env);
    return env;
  }

  private void remember(Environment env) {
    byName.put(env.name(), env);
    byId.put(env.id(), env);
  }
}
