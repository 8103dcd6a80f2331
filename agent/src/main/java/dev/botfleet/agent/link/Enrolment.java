package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorCode;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.tls.CertificateAuthority;
import dev.botfleet.common.tls.Fingerprint;
import dev.botfleet.common.tls.Pem;
import dev.botfleet.common.tls.Trust;
import dev.botfleet.proto.v1.AgentServiceGrpc;
import dev.botfleet.proto.v1.EnrollRequest;
import dev.botfleet.proto.v1.EnrollResponse;
import dev.botfleet.proto.v1.MachineCapacity;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Exchanges a one-time join token for a machine credential (SPEC A1), once per data directory. */
public final class Enrolment {
  private static final Logger log = LoggerFactory.getLogger(Enrolment.class);

  /** Deadline of the Enroll call. */
  public static final Duration DEADLINE = Duration.ofSeconds(30);

  private Enrolment() {}

  /**
   * A machine's credential and, over TLS, its certificate files (issue 12 §1).
   *
   * @param tls null when the agent talks plaintext
   */
  public record Enrolled(MachineCredential credential, AgentTls tls) {}

  /**
   * The credential stored in {@code dataDir}, or a new one from enrolling with {@code joinToken}
   * (then saved there). With a stored credential the token is ignored, so a restart needs none.
   *
   * <p>Over TLS (the default) a new agent trusts only the orchestrator whose certificate chain
   * holds the CA the join token pins (or {@code caFile}), sends a CSR for a key it made and keeps,
   * and stores the client certificate and CA it gets back, before machine.properties: a crash in
   * between leaves an agent that is not enrolled, never one without its certificate.
   *
   * @param server the orchestrator address, stored with a new credential
   * @param joinToken the one-time token, or {@code null}
   * @param machineName the machine name to ask for, or {@code null} for the hostname
   * @param capacity what to report at enrolment; only called when enrolling
   * @param plaintext talk to an orchestrator started with --insecure-plaintext
   * @param caFile trust this CA instead of the token's pin, or null
   * @throws BotfleetException when there is no credential and no token ({@code
   *     FAILED_PRECONDITION}), or the orchestrator refused the token (its code and message)
   */
  public static Enrolled credentialFor(
      Path dataDir,
      String server,
      String joinToken,
      String machineName,
      Supplier<MachineCapacity> capacity,
      boolean plaintext,
      Path caFile) {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(server, "server");
    requireNonNull(capacity, "capacity");
    Optional<MachineCredential> stored = MachineCredential.load(dataDir);
    if (stored.isPresent()) {
      MachineCredential credential = stored.get();
      if (joinToken != null && !joinToken.isBlank()) {
        log.info(
            "event=join_token_ignored reason=already_enrolled machine={} file={}",
            credential.machineId(),
            MachineCredential.file(dataDir));
      }
      if (plaintext) {
        return new Enrolled(credential, null);
      }
      AgentTls tls =
          AgentTls.load(dataDir, credential.machineId())
              .orElseThrow(
                  () ->
                      BotfleetException.precondition(
                          ErrorReason.A1_CREDENTIAL_FILE_INVALID,
                          dataDir.toAbsolutePath().normalize()
                              + " holds a machine enrolled over plaintext, without a client"
                              + " certificate (expected: --insecure-plaintext for that"
                              + " orchestrator, or delete the data directory and enrol again"
                              + " with a new join token)"));
      return new Enrolled(credential, tls);
    }
    if (joinToken == null || joinToken.isBlank()) {
      throw BotfleetException.precondition(
          ErrorReason.A1_NOT_ENROLLED,
          "no credential in "
              + dataDir.toAbsolutePath().normalize()
              + " and no --join-token (expected: a join token from `botfleet machine join-token"
              + " --env <environment>` on the first start, in --join-token, --join-token-file"
              + " or BOTFLEET_JOIN_TOKEN)");
    }
    String token = joinToken.strip();
    Optional<Fingerprint> pin = AgentTls.pinOf(token);
    if (!plaintext && pin.isEmpty() && caFile == null) {
      throw BotfleetException.precondition(
          ErrorReason.A1_TOKEN_UNPINNED,
          "the join token carries no CA fingerprint, so this agent cannot tell the orchestrator"
              + " from an impostor (expected: a token made by a TLS orchestrator, ending in"
              + " '.<64 hex digits>', or --ca-file with the orchestrator's CA)");
    }
    Trust.PinnedTrustManager pinned = pin.map(Trust::pinned).orElse(null);
    ManagedChannel channel =
        plaintext
            ? AgentLink.channelTo(server)
            : AgentLink.channelTo(server, AgentTls.enrolment(pinned, caFile));
    try {
      if (plaintext) {
        MachineCredential credential =
            enroll(channel, server, token, capacity.get(), machineName, DEADLINE);
        credential.save(dataDir);
        logEnrolled(dataDir, credential);
        return new Enrolled(credential, null);
      }
      KeyPair key = CertificateAuthority.newKeyPair();
      String csr =
          Pem.csr(CertificateAuthority.newCsr(key, machineName == null ? "agent" : machineName));
      EnrollResponse response;
      try {
        response = call(channel, server, token, capacity.get(), machineName, DEADLINE, csr);
      } catch (BotfleetException e) {
        if (pinned != null && pinned.lastRefusal() != null) {
          throw new BotfleetException(
              e.reason(),
              e.code(),
              "enrolment with " + server + " refused: " + pinned.lastRefusal());
        }
        throw e;
      }
      if (response.getCertificate().isEmpty() || response.getCaCertificates().isEmpty()) {
        throw BotfleetException.precondition(
            ErrorReason.A1_ENROLMENT_UNTRUSTED,
            "the orchestrator at " + server + " issued no client certificate (is it plaintext?)");
      }
      if (pin.isPresent()
          && pin.get().find(Pem.parseCertificates(response.getCaCertificates())).isEmpty()) {
        throw BotfleetException.precondition(
            ErrorReason.A1_ENROLMENT_UNTRUSTED,
            "the orchestrator's CA certificates do not include the pinned " + pin.get());
      }
      MachineCredential credential = credential(response, server);
      AgentTls tls =
          AgentTls.save(
              dataDir,
              credential.machineId(),
              key.getPrivate(),
              response.getCertificate(),
              response.getCaCertificates());
      credential.save(dataDir);
      logEnrolled(dataDir, credential);
      return new Enrolled(credential, tls);
    } finally {
      channel.shutdownNow();
    }
  }

  private static void logEnrolled(Path dataDir, MachineCredential credential) {
    log.info(
        "event=enrolled machine={} name={} environment={} file={}",
        credential.machineId(),
        credential.machineName(),
        credential.environment(),
        MachineCredential.file(dataDir));
  }

  /**
   * Calls {@code Enroll}.
   *
   * @throws BotfleetException with the orchestrator's status code and message when refused (spent,
   *     expired or revoked token) or unreachable
   */
  public static MachineCredential enroll(
      Channel channel,
      String server,
      String joinToken,
      MachineCapacity capacity,
      String machineName,
      Duration deadline) {
    return credential(
        call(channel, server, joinToken, capacity, machineName, deadline, null), server);
  }

  static MachineCredential credential(EnrollResponse response, String server) {
    return new MachineCredential(
        response.getMachineId(),
        response.getCredential(),
        server,
        response.getEnvironment(),
        response.getMachineName());
  }

  /**
   * Calls {@code Enroll}; with {@code csr}, the answer carries the machine's client certificate and
   * the CAs to trust the orchestrator by (issue 12 §1).
   */
  static EnrollResponse call(
      Channel channel,
      String server,
      String joinToken,
      MachineCapacity capacity,
      String machineName,
      Duration deadline,
      String csr) {
    EnrollRequest.Builder request =
        EnrollRequest.newBuilder()
            .setJoinToken(requireNonNull(joinToken, "joinToken").strip())
            .setCapacity(requireNonNull(capacity, "capacity"));
    if (machineName != null && !machineName.isBlank()) {
      request.setMachineName(machineName.strip());
    }
    if (csr != null) {
      request.setCsr(csr);
    }
    EnrollResponse response;
    try {
      response =
          AgentServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
              .enroll(request.build());
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      String why =
          status.getDescription() == null ? status.getCode().toString() : status.getDescription();
      if (status.getCause() != null && status.getCause().getMessage() != null) {
        why += ": " + status.getCause().getMessage(); // e.g. the TLS handshake's refusal
      }
      log.warn(
          "event=enrol_refused server={} code={} message=\"{}\"", server, status.getCode(), why);
      throw new BotfleetException(
          ErrorReason.A1_ENROLMENT_FAILED,
          errorCode(status.getCode()),
          "enrolment with " + server + " failed: " + why + " (" + status.getCode() + ")");
    }
    return response;
  }

  static ErrorCode errorCode(Status.Code code) {
    for (ErrorCode candidate : ErrorCode.values()) {
      if (candidate.name().equals(code.name())) {
        return candidate;
      }
    }
    return code == Status.Code.DEADLINE_EXCEEDED ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL;
  }
}
