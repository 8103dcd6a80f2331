package dev.botfleet.orchestrator.runs;

import java.time.Duration;

/** Run life-cycle events, for metrics; implementations must be fast and never throw. */
public interface RunEvents {
  default void assigned(Run run, Duration queueWait) {}

  default void ended(String runId, RunState state, String failureReason, Duration runDuration) {}

  default void offline(String machineId) {}

  /** An agent message about a run was refused (issue 7): not that machine's run in that attempt. */
  default void reportRefused(String machineId, AgentReportFence.Refusal why) {}

  /** A result arrived after the orchestrator had ended the run and was kept as its LateResult. */
  default void lateResult(String runId, RunState outcome) {}

  RunEvents NONE = new RunEvents() {};
}
