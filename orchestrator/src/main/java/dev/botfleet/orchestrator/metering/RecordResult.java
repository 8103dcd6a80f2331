package dev.botfleet.orchestrator.metering;

import dev.botfleet.orchestrator.licensing.FlowPlan;
import java.time.Instant;

/**
 * What happened to one record.
 *
 * @param overage the part of the record counted beyond the limit (RECORD_OVERAGE)
 * @param retryAt for THROTTLED: when the bucket's limit lifts (the next reset); else null
 */
public record RecordResult(
    String key, Outcome outcome, String bucket, FlowPlan plan, long overage, Instant retryAt) {
  public enum Outcome {
    /** Counted now. */
    RECORDED,
    /** The key was recorded before (M4); counted once, then. */
    DUPLICATE,
    /** Refused by THROTTLE (M3); not counted. */
    THROTTLED
  }
}
