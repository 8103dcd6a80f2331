package dev.botfleet.orchestrator.admin;

/** M3: what happens to a request over its bucket's daily limit. */
public enum OverLimitPolicy {
  /** Refused with RESOURCE_EXHAUSTED and the time the limit lifts (the next reset). */
  THROTTLE,
  /** Accepted and counted as overage. */
  RECORD_OVERAGE
}
