package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.botfleet.agent.exec.RunResult;
import dev.botfleet.proto.v1.MachineCapacity;
import dev.botfleet.proto.v1.RunFinished;
import dev.botfleet.proto.v1.RunOutcome;
import dev.botfleet.proto.v1.RunStarted;
import dev.botfleet.proto.v1.RunUpdate;
import java.time.Instant;
import java.util.List;

/** Agent values to and from {@code botfleet.v1} messages. */
public final class Messages {
  private Messages() {}

  /** This agent's version, from the jar manifest; {@code "dev"} when run from classes. */
  public static String agentVersion() {
    String version = Messages.class.getPackage().getImplementationVersion();
    return version == null || version.isBlank() ? "dev" : version;
  }

  /** What the agent reports about its machine (SPEC A2), with its installed flows (A5). */
  public static MachineCapacity capacity(
      dev.botfleet.agent.probe.MachineCapacity probed, List<String> installedFlows) {
    requireNonNull(probed, "probed");
    return MachineCapacity.newBuilder()
        .setOsFamily(probed.osFamily())
        .setOsVersion(probed.osVersion())
        .setHostname(probed.hostname())
        .setLogicalCpus(probed.logicalCpus())
        .setMemoryBytes(probed.memoryBytes())
        .setActiveSessions(probed.activeSessions())
        .setMaxSessions(probed.maxSessions())
        .addAllInstalledFlows(requireNonNull(installedFlows, "installedFlows"))
        .setAgentVersion(agentVersion())
        .build();
  }

  public static RunUpdate started(String runId, int attempt, Instant startedAt) {
    return RunUpdate.newBuilder()
        .setRunId(runId)
        .setAttempt(attempt)
        .setStarted(RunStarted.newBuilder().setStartedAt(timestamp(startedAt)))
        .build();
  }

  /** The final report of a run (SPEC A4): outcome, exit code, outputs, log tail and times. */
  public static RunUpdate finished(RunResult result, int attempt) {
    RunFinished.Builder finished =
        RunFinished.newBuilder()
            .setOutcome(outcome(result.outcome()))
            .putAllOutputs(result.outputs())
            .setLogTail(result.logTail())
            .setEndedAt(timestamp(result.endedAt()))
            .setMessage(result.message());
    if (result.exitCode() != null) {
      finished.setExitCode(result.exitCode());
    }
    if (result.startedAt() != null) {
      finished.setStartedAt(timestamp(result.startedAt()));
    }
    if (result.failureReason() != null) {
      finished.setFailureReason(result.failureReason());
    }
    return RunUpdate.newBuilder()
        .setRunId(result.runId())
        .setAttempt(attempt)
        .setFinished(finished)
        .build();
  }

  public static RunOutcome outcome(RunResult.Outcome outcome) {
    switch (requireNonNull(outcome, "outcome")) {
      case SUCCEEDED:
        return RunOutcome.OUTCOME_SUCCEEDED;
      case FAILED:
        return RunOutcome.OUTCOME_FAILED;
      case TIMED_OUT:
        return RunOutcome.OUTCOME_TIMED_OUT;
      case CANCELLED:
        return RunOutcome.OUTCOME_CANCELLED;
      default:
        throw new IllegalArgumentException("outcome: " + outcome + " (expected: a known one)");
    }
  }

  public static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }

  /** A proto duration as a Java one; {@code null} when unset or not positive. */
  static java.time.Duration positive(Duration duration) {
    java.time.Duration d = java.time.Duration.ofSeconds(duration.getSeconds(), duration.getNanos());
    return d.isNegative() || d.isZero() ? null : d;
  }
}
