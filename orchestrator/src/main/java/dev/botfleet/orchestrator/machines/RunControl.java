package dev.botfleet.orchestrator.machines;

/** What machine rules need from runs: P10 forced de-allocation cancels the bot's run. */
public interface RunControl {
  /** Inside the caller's transaction: ends the run as CANCELLED and frees its bot. */
  void cancelForDeallocation(String runId, String reason);

  /** After commit: tell the agent to stop the run (R7). */
  void stopOnAgent(String machineId, String runId, String reason);
}
