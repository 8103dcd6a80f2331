package dev.botfleet.agent.exec;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;

/**
 * How one run ended (SPEC A4, R5).
 *
 * @param runId the run's id
 * @param outcome how it ended
 * @param exitCode the process exit code, {@code null} when no process was started
 * @param outputs the outputs the flow wrote to {@code BOTFLEET_OUTPUT}; empty when none or
 *     unreadable
 * @param logTail the last bytes of the merged stdout and stderr, decoded as UTF-8
 * @param startedAt when the process started, {@code null} when none was started
 * @param endedAt when the run ended
 * @param failureReason {@code null} on success; otherwise a code such as {@code
 *     FLOW_NOT_INSTALLED}, {@code INVALID_FLOW_NAME: ...}, {@code EXIT_CODE_3}, {@code TIMED_OUT},
 *     {@code CANCELLED}, {@code START_FAILED: ...}
 * @param message a sentence for people: what happened, plus notes (unreadable outputs, log cut)
 */
public record RunResult(
    String runId,
    Outcome outcome,
    Integer exitCode,
    Map<String, String> outputs,
    String logTail,
    Instant startedAt,
    Instant endedAt,
    String failureReason,
    String message) {

  /** Terminal run states an agent can report; the orchestrator adds its own (e.g. AGENT_LOST). */
  public enum Outcome {
    SUCCEEDED,
    FAILED,
    TIMED_OUT,
    CANCELLED
  }

  public RunResult {
    requireNonNull(runId, "runId");
    requireNonNull(outcome, "outcome");
    outputs = Map.copyOf(requireNonNull(outputs, "outputs"));
    requireNonNull(logTail, "logTail");
    requireNonNull(endedAt, "endedAt");
    requireNonNull(message, "message");
    if ((outcome == Outcome.SUCCEEDED) != (failureReason == null)) {
      throw new IllegalArgumentException(
          "failureReason: '"
              + failureReason
              + "' for outcome "
              + outcome
              + " (expected: null exactly when SUCCEEDED)");
    }
    if ((exitCode == null) != (startedAt == null)) {
      throw new IllegalArgumentException(
          "exitCode "
              + exitCode
              + " with startedAt "
              + startedAt
              + " (expected: both set when a process ran, both null otherwise)");
    }
  }

  /** A run that ended before any process started. */
  static RunResult notStarted(
      String runId, Outcome outcome, String failureReason, String message, Instant endedAt) {
    return new RunResult(runId, outcome, null, Map.of(), "", null, endedAt, failureReason, message);
  }

  public boolean succeeded() {
    return outcome == Outcome.SUCCEEDED;
  }
}
