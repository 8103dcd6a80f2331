package dev.botfleet.orchestrator.runs;

import java.time.Duration;

/** Run life-cycle events, for metrics; implementations must be fast and never throw. */
public interface RunEvents {
  default void assigned(Run run, Duration queueWait) {}

  default void ended(String runId, RunState state, String failureReason, Duration runDuration) {}

  default void offline(String machineId) {}

  RunEvents NONE = new RunEvents() {};
}
