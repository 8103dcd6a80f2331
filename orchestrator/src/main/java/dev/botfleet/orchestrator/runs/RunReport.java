package dev.botfleet.orchestrator.runs;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an agent reports about a run it was assigned (A4). {@code outcome} null: it started.
 *
 * <p>A report always fits the run row: a failure reason longer than its column keeps its code (the
 * part before ':') and the whole text goes to the message; outputs too large to store are dropped
 * with a note in the message. Otherwise the report could never be written, its run would never
 * end, and the batch it is in would be retried for ever.
 */
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

  /** Size of the {@code failure_reason} column. */
  public static final int MAX_FAILURE_REASON = 128;
  /** Largest outputs kept, in characters of JSON (the {@code outputs} column holds 65,536). */
  public static final int MAX_OUTPUTS_JSON = 60_000;

  public RunReport {
    if (failureReason != null && failureReason.length() > MAX_FAILURE_REASON) {
      int colon = failureReason.indexOf(':');
      String code = colon > 0 && colon <= MAX_FAILURE_REASON ? failureReason.substring(0, colon) : failureReason.substring(0, MAX_FAILURE_REASON);
      message = message == null || message.isBlank() ? failureReason : message;
      failureReason = code;
    }
    if (outputs != null && !outputs.isEmpty()) {
      long json = outputsJsonLength(outputs);
      if (json > MAX_OUTPUTS_JSON) {
        String note = "outputs dropped: " + json + " characters as JSON (expected: at most " + MAX_OUTPUTS_JSON + ")";
        message = message == null || message.isBlank() ? note : message + "; " + note;
        outputs = Map.of();
      }
    }
  }

  public static RunReport started(String runId, int attempt, Instant at) {
    return new RunReport(runId, attempt, null, at, null, null, Map.of(), "", null, null);
  }

  public boolean finished() {
    return outcome != null;
  }

  /** Length of the outputs as stored (a compact JSON object); exact only when it may matter. */
  private static long outputsJsonLength(Map<String, String> outputs) {
    long raw = 2;
    for (Map.Entry<String, String> e : outputs.entrySet()) {
      raw += e.getKey().length() + (e.getValue() == null ? 0 : e.getValue().length()) + 6;
    }
    // Escaping makes a character at most 6 long, so small maps need no printing.
    if (raw > MAX_OUTPUTS_JSON || raw * 6 <= MAX_OUTPUTS_JSON) {
      return raw;
    }
    Struct.Builder b = Struct.newBuilder();
    new TreeMap<>(outputs).forEach((k, v) -> b.putFields(k, Value.newBuilder().setStringValue(v == null ? "" : v).build()));
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(b).length();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
