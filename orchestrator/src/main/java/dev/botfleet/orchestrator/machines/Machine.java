package dev.botfleet.orchestrator.machines;

import java.time.Instant;

/** A machine registered by an agent, with its bots (P5). */
public record Machine(
    String id,
    String environmentId,
    String name,
    String groupId,
    MachineCapacity capacity,
    boolean autoAllocation,
    boolean maintenance,
    MachineStatus status,
    Instant lastHeartbeat,
    Instant enrolledAt,
    int bots,
    int busyBots,
    /** When it was removed (issue 12 §3; status REMOVED), else null. */
    Instant removedAt) {

  public int freeBots() {
    return bots - busyBots;
  }
}
