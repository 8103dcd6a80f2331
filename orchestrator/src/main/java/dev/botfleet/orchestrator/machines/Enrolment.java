package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
import dev.botfleet.common.Tokens;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A1 enrolment: join tokens (made, revoked, spent once) are exchanged for a machine credential, and
 * an agent's Hello is checked against that credential (A3).
 */
public final class Enrolment {
  public static final Duration DEFAULT_JOIN_TOKEN_TTL = Duration.ofHours(1);

  private final Transactions tx;
  private final MachineRepository machines;
  private final MachineGroups groups;
  private final EnvironmentService environments;
  private final AuditLog audit;
  private final Clock clock;

  public Enrolment(
      Transactions tx,
      MachineRepository machines,
      MachineGroups groups,
      EnvironmentService environments,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.machines = requireNonNull(machines, "machines");
    this.groups = requireNonNull(groups, "groups");
    this.environments = requireNonNull(environments, "environments");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  public record CreatedJoinToken(String id, String token, Instant expiresAt) {}

  public CreatedJoinToken createJoinToken(
      Principal caller, String environmentName, String groupName, Duration ttl) {
    Environment env = environments.require(environmentName);
    Access.requireAdminOf(
        caller, env.id(), env.name(), "create join tokens for '" + env.name() + "'");
    Duration life = ttl == null || ttl.isZero() ? DEFAULT_JOIN_TOKEN_TTL : ttl;
    if (life.isNegative() || life.compareTo(Duration.ofDays(30)) > 0) {
      throw BotfleetException.invalid(
          ErrorReason.A1_TTL, "ttl: " + life + " (expected: between 1 second and 30 days)");
    }
    return tx.inTransaction(
        () -> {
          String groupId = null;
          if (groupName != null && !groupName.isBlank()) {
            groupId = groups.requireGroup(env, groupName).id();
          }
          Instant now = clock.instant();
          String token = Tokens.newToken("bfj_");
          JoinToken jt =
              new JoinToken(Ids.newId("jtk"), env.id(), groupId, now.plus(life), null, false);
          machines.insertJoinToken(jt, Tokens.hash(token), caller.name(), now);
          audit.append(
              now,
              caller.name(),
              "machine.join-token",
              "environment=" + env.name(),
              null,
              jt.id() + " expires " + jt.expiresAt());
          return new CreatedJoinToken(jt.id(), token, jt.expiresAt());
        });
  }

  public void revokeJoinToken(Principal caller, String tokenId) {
    tx.run(
        () -> {
          JoinToken jt =
              machines
                  .findJoinToken(tokenId)
                  .orElseThrow(
                      () ->
                          BotfleetException.notFound(
                              ErrorReason.A1_TOKEN_NOT_FOUND,
                              "join token '" + tokenId + "' does not exist"));
          Environment env = environments.requireById(jt.environmentId());
          Access.requireAdminOf(
              caller, env.id(), env.name(), "revoke join tokens of '" + env.name() + "'");
          machines.revokeJoinToken(tokenId);
          audit.append(
              clock.instant(),
              caller.name(),
              "machine.join-token.revoke",
              "token=" + tokenId,
              null,
              "revoked");
        });
  }

  public record Enrolled(Machine machine, String credential, Environment environment) {}

  /** A1: spends a join token and registers the machine; the credential is shown once. */
  public Enrolled enroll(String joinToken, MachineCapacity capacityReport, String machineName) {
    capacityReport.validate();
    String name =
        machineName == null || machineName.isBlank() ? capacityReport.hostname() : machineName;
    Names.require("machine name", name);
    if (joinToken == null || joinToken.isBlank()) {
      throw BotfleetException.unauthenticated(
          ErrorReason.A1_TOKEN_REQUIRED,
          "join_token: missing (expected: a token from CreateJoinToken)");
    }
    Enrolled enrolled =
        tx.inTransaction(
            () -> {
              Instant now = clock.instant();
              JoinToken jt =
                  machines
                      .findJoinTokenForUpdate(Tokens.hash(joinToken))
                      .orElseThrow(
                          () ->
                              BotfleetException.unauthenticated(
                                  ErrorReason.A1_TOKEN_UNKNOWN, "unknown join token"));
              if (jt.revoked()) {
                throw BotfleetException.unauthenticated(
                    ErrorReason.A1_TOKEN_REVOKED, "join token " + jt.id() + " was revoked");
              }
              if (jt.usedAt() != null) {
                throw BotfleetException.unauthenticated(
                    ErrorReason.A1_TOKEN_USED,
                    "join token "
                        + jt.id()
                        + " was already used at "
                        + jt.usedAt()
                        + "; ask for a new one");
              }
              if (!now.isBefore(jt.expiresAt())) {
                throw BotfleetException.unauthenticated(
                    ErrorReason.A1_TOKEN_EXPIRED,
                    "join token " + jt.id() + " expired at " + jt.expiresAt());
              }
              Environment env = environments.requireById(jt.environmentId());
              String credential = Tokens.newToken("bfm_");
              Machine m =
                  new Machine(
                      Ids.newId("mach"),
                      env.id(),
                      name,
                      jt.groupId(),
                      capacityReport,
                      true,
                      false,
                      MachineStatus.OFFLINE,
                      now,
                      now,
                      0,
                      0,
                      null);
              if (!machines.insertMachine(m, Tokens.hash(credential))) {
                throw BotfleetException.alreadyExists(
                    ErrorReason.MACHINE_EXISTS,
                    "a machine named '"
                        + name
                        + "' is already enrolled in '"
                        + env.name()
                        + "' (expected: a new machine_name)");
              }
              machines.markJoinTokenUsed(jt.id(), m.id(), now);
              audit.append(
                  now,
                  "agent:" + name,
                  "machine.enroll",
                  "environment=" + env.name() + " machine=" + name,
                  null,
                  m.id());
              return new Enrolled(m, credential, env);
            });
    return enrolled;
  }

  /**
   * A3 Hello: checks the credential, stores the reported capacity and marks the machine ONLINE, in
   * one transaction, because after an orchestrator restart thousands of agents say Hello at once.
   */
  public Machine hello(
      String machineId, String credential, MachineCapacity report, String replica) {
    report.validate();
    return tx.inTransaction(
        () -> {
          String id =
              machines
                  .findIdByCredentialHash(Tokens.hash(credential == null ? "" : credential))
                  .orElseThrow(
                      () ->
                          BotfleetException.unauthenticated(
                              ErrorReason.A1_CREDENTIAL_UNKNOWN,
                              "unknown machine credential; enrol again with a new join token"));
          if (!id.equals(machineId)) {
            throw BotfleetException.unauthenticated(
                ErrorReason.A1_CREDENTIAL_MISMATCH,
                "credential does not belong to machine " + machineId);
          }
          // Issue 12 §3: a removed machine's credential is revoked; its agent must enrol anew.
          Machine known = machines.find(id).orElseThrow();
          if (known.status() == MachineStatus.REMOVED) {
            throw BotfleetException.unauthenticated(
                ErrorReason.A1_MACHINE_REMOVED,
                "machine "
                    + known.name()
                    + " ("
                    + id
                    + ") was removed; its credential is revoked (enrol again with a new join token)");
          }
          machines.updateCapacity(id, report);
          machines.markConnected(id, replica, clock.instant());
          return machines.find(id).orElseThrow();
        });
  }
}
