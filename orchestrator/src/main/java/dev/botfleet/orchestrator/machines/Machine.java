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

  /**
   * P5: bots beyond the sessions the machine last reported (it reported fewer than it holds). They
   * keep their runs, but the machine takes no new run beyond its sessions until an admin
   * de-allocates the excess or the sessions come back.
   */
  public int excessBots() {
    return Math.max(0, bots - capacity.maxSessions());
  }
}
