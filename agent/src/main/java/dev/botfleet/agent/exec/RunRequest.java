package dev.botfleet.agent.exec;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;

/**
 * One run to execute on this machine (SPEC A4).
 *
 * @param runId the orchestrator's run id
 * @param flowName the desktop flow's name; checked against the installed flows when the run starts,
 *     so a bad name becomes a failed run rather than an exception (SPEC A5)
 * @param inputs the run's inputs by name, passed to the flow on stdin and as environment variables
 * @param timeout the run time-out (SPEC R10), counted from the process start
 */
public record RunRequest(
    String runId, String flowName, Map<String, String> inputs, Duration timeout) {
  public RunRequest {
    requireNonNull(runId, "runId");
    requireNonNull(flowName, "flowName");
    requireNonNull(inputs, "inputs");
    requireNonNull(timeout, "timeout");
    if (runId.isBlank()) {
      throw new IllegalArgumentException("runId: blank (expected: the orchestrator's run id)");
    }
    inputs.forEach(
        (key, value) -> {
          requireNonNull(key, "inputs key");
          requireNonNull(value, () -> "inputs['" + key + "']");
          if (key.isEmpty()) {
            throw new IllegalArgumentException("inputs: empty key (expected: a non-empty name)");
          }
        });
    inputs = Map.copyOf(inputs);
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
    }
  }
}
