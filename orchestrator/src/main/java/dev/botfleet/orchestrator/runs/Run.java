package dev.botfleet.orchestrator.runs;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** One execution of a desktop flow in unattended mode on one bot (R1, R5). */
public record Run(
    String id,
    String environmentId,
    String flowName,
    RunTarget target,
    Priority priority,
    Map<String, String> inputs,
    String triggeringFlow,
    Duration queueTimeout,
    Duration runTimeout,
    boolean retryable,
    String idempotencyKey,
    RunState state,
    String machineId,
    String botId,
    int attempt,
    Instant submittedAt,
    Instant queueDeadline,
    Instant assignedAt,
    Instant startedAt,
    Instant endedAt,
    Integer exitCode,
    Map<String, String> outputs,
    String logTail,
    String failureReason,
    String message,
    boolean cancelRequested,
    String submittedBy,
    LateResult lateResult) {

  public Run {
    inputs = Map.copyOf(inputs);
    outputs = outputs == null ? Map.of() : Map.copyOf(outputs);
  }
}
