package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorCode;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.proto.v1.AgentServiceGrpc;
import dev.botfleet.proto.v1.EnrollRequest;
import dev.botfleet.proto.v1.EnrollResponse;
import dev.botfleet.proto.v1.MachineCapacity;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
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
   * The credential stored in {@code dataDir}, or a new one from enrolling with {@code joinToken}
   * (then saved there). With a stored credential the token is ignored, so a restart needs none.
   *
   * @param server the orchestrator address, stored with a new credential
   * @param joinToken the one-time token, or {@code null}
   * @param machineName the machine name to ask for, or {@code null} for the hostname
   * @param capacity what to report at enrolment; only called when enrolling
   * @throws BotfleetException when there is no credential and no token ({@code
   *     FAILED_PRECONDITION}), or the orchestrator refused the token (its code and message)
   */
  public static MachineCredential credentialFor(
      Path dataDir,
      String server,
      String joinToken,
      String machineName,
      Supplier<MachineCapacity> capacity,
      Channel channel) {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(server, "server");
    requireNonNull(capacity, "capacity");
    requireNonNull(channel, "channel");
    Optional<MachineCredential> stored = MachineCredential.load(dataDir);
    if (stored.isPresent()) {
      MachineCredential credential = stored.get();
      if (joinToken != null && !joinToken.isBlank()) {
        log.info(
            "event=join_token_ignored reason=already_enrolled machine={} file={}",
            credential.machineId(),
            MachineCredential.file(dataDir));
      }
      return credential;
    }
    if (joinToken == null || joinToken.isBlank()) {
      throw BotfleetException.precondition(
          ErrorReason.A1_NOT_ENROLLED,
          "no credential in "
              + dataDir.toAbsolutePath().normalize()
              + " and no --join-token (expected: a join token from `botfleet machine join-token"
              + " --env <environment>` on the first start)");
    }
    MachineCredential credential =
        enroll(channel, server, joinToken, capacity.get(), machineName, DEADLINE);
    credential.save(dataDir);
    log.info(
        "event=enrolled machine={} name={} environment={} file={}",
        credential.machineId(),
        credential.machineName(),
        credential.environment(),
        MachineCredential.file(dataDir));
    return credential;
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
    EnrollRequest.Builder request =
        EnrollRequest.newBuilder()
            .setJoinToken(requireNonNull(joinToken, "joinToken").strip())
            .setCapacity(requireNonNull(capacity, "capacity"));
    if (machineName != null && !machineName.isBlank()) {
      request.setMachineName(machineName.strip());
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
      log.warn(
          "event=enrol_refused server={} code={} message=\"{}\"", server, status.getCode(), why);
      throw new BotfleetException(
          ErrorReason.A1_ENROLMENT_FAILED,
          errorCode(status.getCode()),
          "enrolment with " + server + " failed: " + why + " (" + status.getCode() + ")");
    }
    return new MachineCredential(
        response.getMachineId(),
        response.getCredential(),
        server,
        response.getEnvironment(),
        response.getMachineName());
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
