package dev.botfleet.orchestrator.machines;

public enum MachineStatus {
  ONLINE,
  /** Missed heartbeats for longer than offline-after (A3). */
  OFFLINE
}
