package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.botfleet.agent.exec.RunResult;
import dev.botfleet.proto.v1.MachineCapacity;
import dev.botfleet.proto.v1.OsFamily;
import dev.botfleet.proto.v1.RunFailureReason;
import dev.botfleet.proto.v1.RunFinished;
import dev.botfleet.proto.v1.RunOutcome;
import dev.botfleet.proto.v1.RunStarted;
import dev.botfleet.proto.v1.RunUpdate;
import java.time.Instant;
import java.util.List;

/**
 * Agent values to and from {@code botfleet.v1} messages. What goes up is cut to the bounds the
 * orchestrator checks on the stream (its {@code RequestLimits}, docs/limits.md, issue 7): a report
 * over them would close the stream, and a report is re-sent until acknowledged (A6).
 */
public final class Messages {
  /** Bounds of the orchestrator's API (docs/limits.md); keep in step with it. */
  static final int MAX_CHARS = 256;

  static final int MAX_ITEMS = 1000;
  static final int MAX_LOG_TAIL = 200_000;
  static final int MAX_MESSAGE = 16_384;
  static final int MAX_OUTPUT_VALUE = 60_000;
  static final int MAX_SESSIONS = 10_000;
  static final int MAX_CPUS = 65_536;
  static final long MAX_MEMORY_BYTES = 1L << 52;

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
    List<String> flows =
        requireNonNull(installedFlows, "installedFlows").stream()
            .filter(f -> f.length() <= MAX_CHARS)
            .limit(MAX_ITEMS)
            .toList();
    return MachineCapacity.newBuilder()
        .setOsFamily(osFamily(probed.osFamily()))
        .setOsVersion(head(probed.osVersion(), MAX_CHARS))
        .setHostname(head(probed.hostname(), MAX_CHARS))
        .setLogicalCpus(Math.max(0, Math.min(probed.logicalCpus(), MAX_CPUS)))
        .setMemoryBytes(Math.max(0, Math.min(probed.memoryBytes(), MAX_MEMORY_BYTES)))
        .setActiveSessions(Math.max(0, Math.min(probed.activeSessions(), MAX_SESSIONS)))
        .setMaxSessions(Math.max(0, Math.min(probed.maxSessions(), MAX_SESSIONS)))
        .addAllInstalledFlows(flows)
        .setAgentVersion(head(agentVersion(), MAX_CHARS))
        .build();
  }

  public static RunUpdate started(String runId, int attempt, Instant startedAt) {
    return RunUpdate.newBuilder()
        .setRunId(runId)
        .setAttempt(attempt)
        .setStarted(RunStarted.newBuilder().setStartedAt(timestamp(startedAt)))
        .build();
  }

  /**
   * The runner's failure codes as the closed set of the wire (issue 8 §2). {@code EXIT_CODE_<n>}
   * travels as EXIT_CODE with the exit code beside it; a code not in the set (e.g. {@code
   * INVALID_FLOW_NAME: …}) as AGENT_ERROR, its text moving into the message.
   */
  static RunFailureReason failureReason(String code) {
    if (code == null) {
      return RunFailureReason.RUN_FAILURE_REASON_UNSPECIFIED;
    }
    if (code.startsWith("EXIT_CODE_")) {
      return RunFailureReason.RUN_FAILURE_REASON_EXIT_CODE;
    }
    return switch (code) {
      case "FLOW_NOT_INSTALLED" -> RunFailureReason.RUN_FAILURE_REASON_FLOW_NOT_INSTALLED;
      case "AGENT_LOST" -> RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST;
      case "CANCELLED" -> RunFailureReason.RUN_FAILURE_REASON_CANCELLED_ON_AGENT;
      case "TIMED_OUT" -> RunFailureReason.RUN_FAILURE_REASON_RUN_TIMEOUT;
      default -> RunFailureReason.RUN_FAILURE_REASON_AGENT_ERROR;
    };
  }

  /** The final report of a run (SPEC A4): outcome, exit code, outputs, log tail and times. */
  public static RunUpdate finished(RunResult result, int attempt) {
    String message = result.message();
    RunFailureReason reason = failureReason(result.failureReason());
    if (reason == RunFailureReason.RUN_FAILURE_REASON_AGENT_ERROR) {
      // A code outside the closed set: its words travel in the message.
      message =
          message == null || message.isBlank()
              ? result.failureReason()
              : result.failureReason() + "; " + message;
    }
    String dropped = outputsOverBounds(result.outputs());
    if (dropped != null) {
      message = message == null || message.isBlank() ? dropped : message + "; " + dropped;
    }
    String log = result.logTail();
    if (log.length() > MAX_LOG_TAIL) {
      // The tail is what matters: keep the last characters.
      int from = log.length() - MAX_LOG_TAIL;
      if (Character.isLowSurrogate(log.charAt(from))) {
        from++;
      }
      log = log.substring(from);
    }
    RunFinished.Builder finished =
        RunFinished.newBuilder()
            .setOutcome(outcome(result.outcome()))
            .putAllOutputs(dropped == null ? result.outputs() : java.util.Map.of())
            .setLogTail(log)
            .setEndedAt(timestamp(result.endedAt()))
            .setMessage(head(message, MAX_MESSAGE));
    if (result.exitCode() != null) {
      finished.setExitCode(result.exitCode());
    }
    if (result.startedAt() != null) {
      finished.setStartedAt(timestamp(result.startedAt()));
    }
    finished.setFailureReason(reason);
    return RunUpdate.newBuilder()
        .setRunId(result.runId())
        .setAttempt(attempt)
        .setFinished(finished)
        .build();
  }

  /** Why outputs cannot go up as they are, or null when they fit the bounds. */
  static String outputsOverBounds(java.util.Map<String, String> outputs) {
    if (outputs.size() > MAX_ITEMS) {
      return "outputs dropped: "
          + outputs.size()
          + " entries (expected: at most "
          + MAX_ITEMS
          + ")";
    }
    for (var e : outputs.entrySet()) {
      if (e.getKey().length() > MAX_CHARS) {
        return "outputs dropped: a name of "
            + e.getKey().length()
            + " characters (expected: at most "
            + MAX_CHARS
            + ")";
      }
      if (e.getValue() != null && e.getValue().length() > MAX_OUTPUT_VALUE) {
        return "outputs dropped: '"
            + e.getKey()
            + "' holds "
            + e.getValue().length()
            + " characters (expected: at most "
            + MAX_OUTPUT_VALUE
            + ")";
      }
    }
    return null;
  }

  /**
   * The first {@code max} characters of {@code s} ("" for null), not splitting a surrogate pair.
   */
  static String head(String s, int max) {
    if (s == null) {
      return "";
    }
    if (s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
  }

  public static RunOutcome outcome(RunResult.Outcome outcome) {
    switch (requireNonNull(outcome, "outcome")) {
      case SUCCEEDED:
        return RunOutcome.RUN_OUTCOME_SUCCEEDED;
      case FAILED:
        return RunOutcome.RUN_OUTCOME_FAILED;
      case TIMED_OUT:
        return RunOutcome.RUN_OUTCOME_TIMED_OUT;
      case CANCELLED:
        return RunOutcome.RUN_OUTCOME_CANCELLED;
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

  /** The probe's family names (MachineCapacity checks them) as the wire's enum. */
  static OsFamily osFamily(String family) {
    return switch (family) {
      case "WINDOWS" -> OsFamily.OS_FAMILY_WINDOWS;
      case "LINUX" -> OsFamily.OS_FAMILY_LINUX;
      case "MACOS" -> OsFamily.OS_FAMILY_MACOS;
      default -> OsFamily.OS_FAMILY_OTHER;
    };
  }
}
