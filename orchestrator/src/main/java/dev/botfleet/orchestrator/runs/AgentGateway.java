package dev.botfleet.orchestrator.runs;

import java.util.Set;

/**
 * The agent streams held by this orchestrator replica, seen from the run rules. Implemented by the
 * API layer; keeps the domain free of gRPC.
 */
public interface AgentGateway {
  /** Machines whose agent stream is open on this replica. */
  Set<String> connectedMachines();

  /** Sends an assignment; false when the machine is not connected here any more. */
  boolean assign(String machineId, Claim claim);

  /** R7: asks the agent to stop a run. */
  void cancel(String machineId, String runId, String reason);

  /**
   * Ends the machine's stream on this replica, if it has one: the machine was declared OFFLINE, so
   * its agent must say Hello again (and reconcile its runs) before it gets new work.
   */
  void disconnect(String machineId, String reason);

  /**
   * Ends the machine's stream on this replica, if it has one, with a catalogued reason the agent
   * sees (issue 12 §3: a removed machine's stream ends {@code A1_MACHINE_REMOVED}).
   */
  void end(String machineId, dev.botfleet.common.ErrorReason reason, String message);

  /** Pushes the machine's current bots and maintenance flag to its agent. */
  void pushSettings(String machineId, int bots, boolean maintenance);
}
