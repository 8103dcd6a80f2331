package dev.botfleet.orchestrator.runs;

import java.time.Instant;
import java.util.Map;

/**
 * What an agent reports about a run it was assigned (A4). {@code outcome} null: it started. {@code
 * machineId} is the machine whose authenticated stream carried the report, never a value the agent
 * chose: a report is applied only to a run assigned to that machine in that attempt.
 *
 * <p>A report always fits the run row: a failure reason longer than its column keeps its code (the
 * part before ':') and the whole text goes to the message; outputs too large to store are dropped
 * with a note in the message. Otherwise the report could never be written, its run would never end,
 * and the batch it is in would be retried for ever.
 */
public record RunReport(
    String machineId,
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

  /** Size of the {@code failure_reason} column. */
  public static final int MAX_FAILURE_REASON = 128;

  /** Largest outputs kept, in characters of JSON (the {@code outputs} column holds 65,536). */
  public static final int MAX_OUTPUTS_JSON = 60_000;

  public RunReport {
    java.util.Objects.requireNonNull(machineId, "machineId");
    java.util.Objects.requireNonNull(runId, "runId");
    if (failureReason != null && failureReason.length() > MAX_FAILURE_REASON) {
      int colon = failureReason.indexOf(':');
      String code =
          colon > 0 && colon <= MAX_FAILURE_REASON
              ? failureReason.substring(0, colon)
              : failureReason.substring(0, MAX_FAILURE_REASON);
      message = message == null || message.isBlank() ? failureReason : message;
      failureReason = code;
    }
    if (outputs != null && !outputs.isEmpty()) {
      long json = outputsJsonLength(outputs);
      if (json > MAX_OUTPUTS_JSON) {
        String note =
            "outputs dropped: "
                + json
                + " characters as JSON (expected: at most "
                + MAX_OUTPUTS_JSON
                + ")";
        message = message == null || message.isBlank() ? note : message + "; " + note;
        outputs = Map.of();
      }
    }
  }

  public static RunReport started(String machineId, String runId, int attempt, Instant at) {
    return new RunReport(machineId, runId, attempt, null, at, null, null, Map.of(), "", null, null);
  }

  public boolean finished() {
    return outcome != null;
  }

  /**
   * Upper bound of the outputs' length as stored (a compact JSON object): characters that JSON
   * printers escape count as their longest escape, so a map under the bound always fits.
   */
  private static long outputsJsonLength(Map<String, String> outputs) {
    long length = 2;
    for (Map.Entry<String, String> e : outputs.entrySet()) {
      length +=
          escapedLength(e.getKey()) + escapedLength(e.getValue() == null ? "" : e.getValue()) + 6;
    }
    return length;
  }

  private static long escapedLength(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        n += 2;
      } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '=' || c == '\''
          || c > 0x7e) {
        n += 6;
      } else {
        n += 1;
      }
    }
    return n;
  }
}
