package dev.botfleet.orchestrator.runs;

import java.time.Duration;

/**
 * What happened to runs, published by {@link RunLifecycle} once per transition (issue 8 §3) and
 * followed by the dispatcher (frees bots, wakes up), the metrics and the PostgreSQL notifier.
 * Implementations must be fast and should not throw; one that throws is logged and skipped.
 */
public interface RunEvents {
  /** R1: a new run was queued. */
  default void queued(Run run) {}

  /** R2: a queued run was claimed for a bot; {@code queueWait} from submission to the claim. */
  default void assigned(Claim claim, Duration queueWait) {}

  /**
   * R5: an assigned or running run went back to the queue (refused, lease expired, agent lost with
   * a retryable flow): its bot is free and the run can be dispatched again.
   */
  default void requeued(String runId) {}

  /**
   * R5: a run reached a final state; if it held a bot, the bot is free. {@code machineId} is the
   * machine that held it, null for a run that ended while queued.
   */
  default void ended(
      String runId, String machineId, RunState state, String failureReason, Duration runDuration) {}

  /**
   * R10: the orchestrator's backstop ended a running run that passed its time-out without a result
   * from its agent, which must now stop it. To a subscriber that does not tell the two apart, this
   * is the run ending TIMED_OUT.
   */
  default void timedOut(String runId, String machineId, Duration runDuration) {
    ended(runId, machineId, RunState.TIMED_OUT, "TIMED_OUT", runDuration);
  }

  /** R7: a cancel was requested for a run that holds a bot: its agent must stop it. */
  default void cancelRequested(Run run) {}

  /** A3: a machine was marked OFFLINE after missed heartbeats. */
  default void offline(String machineId) {}

  /** An agent message about a run was refused (issue 7): not that machine's run in that attempt. */
  default void reportRefused(String machineId, AgentReportFence.Refusal why) {}

  /**
   * P6, C8: a run needed a new bot on the machine and auto-allocation refused it; {@code reason} is
   * the wait code that says why (OVER_CAPACITY, NO_PROCESS_CAPACITY, MAX_SESSIONS_REACHED …).
   */
  default void autoAllocationRefused(String machineId, String reason) {}

  /** A result arrived after the orchestrator had ended the run and was kept as its LateResult. */
  default void lateResult(String runId, RunState outcome) {}

  RunEvents NONE = new RunEvents() {};
}
