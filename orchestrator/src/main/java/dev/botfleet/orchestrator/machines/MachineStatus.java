package dev.botfleet.orchestrator.machines;

public enum MachineStatus {
  ONLINE,
  /** Missed heartbeats for longer than offline-after (A3). */
  OFFLINE,
  /**
   * Removed by an admin (issue 12 §3): its credential is refused, it holds no bots and takes no
   * runs; its row stays so run history still names it.
   */
  REMOVED
}
