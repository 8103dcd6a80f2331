package dev.botfleet.orchestrator.runs;

import java.time.Instant;
import java.util.Map;

/** What an agent reports about a run it was assigned (A4). {@code outcome} null: it started. */
public record RunReport(
    String runId,
    int attempt,
    RunState outcome,
    Instant startedAt,
    Instant endedAt,
    Integer exitCode,
    Map<String, String> outputs,
    String logTail,
    String failureReason,
    String message) {

  public static RunReport started(String runId, int attempt, Instant at) {
    return new RunReport(runId, attempt, null, at, null, null, Map.of(), "", null, null);
  }

  public boolean finished() {
    return outcome != null;
  }
}
