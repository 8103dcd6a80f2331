package dev.botfleet.orchestrator.metering;

import dev.botfleet.orchestrator.licensing.FlowPlan;

/** Told after each committed batch (metrics). */
public interface MeteringListener {
  /**
   * {@code requests} requests in {@code records} records were counted for flows on {@code plan}.
   */
  void recorded(FlowPlan plan, long records, long requests);

  /** {@code records} records carrying {@code requests} requests were refused by THROTTLE (M3). */
  void throttled(long records, long requests);
}
