package dev.botfleet.orchestrator.machines;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.util.List;

/** What an agent reports about its machine (A2). */
public record MachineCapacity(
    String osFamily,
    String osVersion,
    String hostname,
    int logicalCpus,
    long memoryBytes,
    int activeSessions,
    int maxSessions,
    List<String> installedFlows,
    String agentVersion) {

  public MachineCapacity {
    installedFlows = List.copyOf(installedFlows);
    osFamily = osFamily == null || osFamily.isBlank() ? "OTHER" : osFamily;
    osVersion = osVersion == null ? "" : osVersion;
    hostname = hostname == null ? "" : hostname;
    agentVersion = agentVersion == null ? "" : agentVersion;
  }

  public void validate() {
    if (maxSessions < 1) {
      throw BotfleetException.invalid(
          ErrorReason.A2_MAX_SESSIONS,
          "max_sessions: "
              + maxSessions
              + " (expected: >= 1; the agent reports the sessions it allows)");
    }
    if (logicalCpus < 0 || memoryBytes < 0 || activeSessions < 0) {
      throw BotfleetException.invalid(
          ErrorReason.A2_CAPACITY, "capacity: negative cpus, memory or sessions");
    }
  }
}
