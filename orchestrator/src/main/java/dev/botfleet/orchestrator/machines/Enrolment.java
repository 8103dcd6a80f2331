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
  private final MachineCertificates certificates;
  private final Clock clock;

  public Enrolment(
      Transactions tx,
      MachineRepository machines,
      MachineGroups groups,
      EnvironmentService environments,
      AuditLog audit,
      MachineCertificates certificates,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.machines = requireNonNull(machines, "machines");
    this.groups = requireNonNull(groups, "groups");
    this.environments = requireNonNull(environments, "environments");
    this.audit = requireNonNull(audit, "audit");
    this.certificates = requireNonNull(certificates, "certificates");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * A new join token. With TLS on, {@code token} ends in {@code .<CA fingerprint>} (issue 12 §1):
   * the agent pins the orchestrator's CA from the token alone, as kubeadm join does.
   */
  public record CreatedJoinToken(
      String id, String token, Instant expiresAt, String caFingerprint) {}

  /** The secret part of a join token: what is stored hashed; the pin after '.' is public. */
  static String secretOf(String joinToken) {
    int dot = joinToken.indexOf('.');
    return (dot < 0 ? joinToken : joinToken.substring(0, dot)).strip();
  }

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
          String pin = certificates.pin().map(f -> f.hex()).orElse("");
          return new CreatedJoinToken(
              jt.id(), pin.isEmpty() ? token : token + "." + pin, jt.expiresAt(), pin);
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

  /**
   * A machine just enrolled: its credential (shown once) and, with TLS on, its client certificate
   * and the CAs to trust the orchestrator by.
   */
  public record Enrolled(
      Machine machine,
      String credential,
      Environment environment,
      MachineCertificates.Issued certificate,
      String caCertificatesPem) {}

  /**
   * A1: spends a join token and registers the machine; the credential is shown once. With TLS on,
   * {@code csrPem} is required and signed into the machine's first client certificate.
   */
  public Enrolled enroll(
      String joinToken, MachineCapacity capacityReport, String machineName, String csrPem) {
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
                      .findJoinTokenForUpdate(Tokens.hash(secretOf(joinToken)))
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
              MachineCertificates.Issued cert = null;
              if (certificates.enabled()) {
                cert = certificates.issue(csrPem, m.id());
                machines.setCertificate(m.id(), cert.serial(), cert.expiresAt(), false);
              }
              machines.markJoinTokenUsed(jt.id(), m.id(), now);
              audit.append(
                  now,
                  "agent:" + name,
                  "machine.enroll",
                  "environment=" + env.name() + " machine=" + name,
                  null,
                  m.id());
              return new Enrolled(m, credential, env, cert, certificates.serverAuthoritiesPem());
            });
    return enrolled;
  }

  /**
   * A3 Hello: checks the credential, stores the reported capacity and marks the machine ONLINE, in
   * one transaction, because after an orchestrator restart thousands of agents say Hello at once.
   */
  public Machine hello(
      String machineId,
      String credential,
      MachineCapacity report,
      String replica,
      ClientCertificate peer) {
    report.validate();
    if (certificates.enabled() && peer == null) {
      throw BotfleetException.unauthenticated(
          ErrorReason.A1_CERTIFICATE_REQUIRED,
          "no client certificate (expected: the machine's certificate from enrolment; this"
              + " orchestrator serves mutual TLS)");
    }
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
          if (peer != null) {
            checkCertificate(id, peer);
          }
          machines.updateCapacity(id, report);
          machines.markConnected(id, replica, clock.instant());
          return machines.find(id).orElseThrow();
        });
  }

  /**
   * Issue 12 §1: the certificate must name this machine and be one the machine holds now; an older
   * one (renewed or rotated away) is refused however well signed.
   */
  private void checkCertificate(String machineId, ClientCertificate peer) {
    if (!peer.machineId().equals(machineId)) {
      throw BotfleetException.unauthenticated(
          ErrorReason.A1_CERTIFICATE_MISMATCH,
          "the client certificate was issued to another machine than " + machineId);
    }
    CertificateSerials serials = machines.certificateSerials(machineId).orElseThrow();
    if (!serials.accepts(peer.serial())) {
      throw BotfleetException.unauthenticated(
          ErrorReason.A1_CERTIFICATE_REVOKED,
          "client certificate "
              + peer.serial()
              + " is no longer machine "
              + machineId
              + "'s (replaced or revoked; if the machine was removed, enrol it again)");
    }
    if (serials.isCurrent(peer.serial()) && serials.previous() != null) {
      machines.dropPreviousCertificate(machineId);
    }
  }

  /**
   * Issue 12 §1: a renewal over the stream of {@code peer}'s machine. The new certificate becomes
   * current; the one in use stays valid until the new one is presented or it expires.
   */
  public MachineCertificates.Issued renewCertificate(String machineId, String csrPem) {
    if (!certificates.enabled()) {
      throw BotfleetException.invalid(
          ErrorReason.A1_CSR_INVALID,
          "this orchestrator serves plaintext and issues no certificates");
    }
    MachineCertificates.Issued cert = certificates.issue(csrPem, machineId);
    tx.run(
        () -> {
          machines.findForUpdate(machineId).orElseThrow();
          CertificateSerials before = machines.certificateSerials(machineId).orElseThrow();
          // A rotation revokes the certificate in use at once; a renewal keeps it until the new
          // one is presented (a crash mid-renewal must not lock the agent out).
          boolean rotation = before.rotationRequested();
          machines.setCertificate(machineId, cert.serial(), cert.expiresAt(), !rotation);
          audit.append(
              clock.instant(),
              "agent:" + machineId,
              rotation ? "machine.certificate.rotate" : "machine.certificate.renew",
              "machine=" + machineId,
              before.current(),
              "serial " + cert.serial() + " expires " + cert.expiresAt());
        });
    return cert;
  }

  /** Whether the machine's agent is to rotate its certificate now (told after its Hello). */
  public boolean rotationDue(String machineId) {
    return certificates.enabled()
        && tx.inTransaction(
            () ->
                machines
                    .certificateSerials(machineId)
                    .map(CertificateSerials::rotationRequested)
                    .orElse(false));
  }

  /**
   * Issue 12 §3 {@code machine rotate-credential}: the machine's agent is asked for a certificate
   * for a new key; the one in use is revoked the moment the new one is issued. {@code tellAgent}
   * runs after the commit with the machine id, to ask the agent at once where its stream is held
   * here; elsewhere it is asked at its next Hello.
   */
  public Machine requestRotation(
      Principal caller, String machineId, java.util.function.Consumer<String> tellAgent) {
    if (!certificates.enabled()) {
      throw BotfleetException.precondition(
          ErrorReason.A1_ROTATION_NEEDS_TLS,
          "this orchestrator serves plaintext: machines hold no certificate to rotate (remove"
              + " the machine and enrol it again to replace its credential)");
    }
    return tx.inTransaction(
        () -> {
          Machine m =
              machines
                  .findForUpdate(machineId)
                  .orElseThrow(
                      () ->
                          BotfleetException.notFound(
                              ErrorReason.MACHINE_NOT_FOUND,
                              "machine '" + machineId + "' does not exist"));
          Environment env = environments.requireById(m.environmentId());
          Access.requireAdminOf(
              caller, env.id(), env.name(), "rotate the credential of machine '" + m.name() + "'");
          Instant now = clock.instant();
          machines.requestCertificateRotation(m.id(), now);
          audit.append(
              now,
              caller.name(),
              "machine.credential.rotate-request",
              "environment=" + env.name() + " machine=" + m.name(),
              null,
              "rotation requested");
          tx.afterCommit(() -> tellAgent.accept(m.id()));
          return m;
        });
  }
}
