package dev.botfleet.orchestrator.runs;

import java.time.Duration;

/** Per desktop flow defaults: retry after agent loss is opt-in (R5); time-outs (R10). */
public record DesktopFlow(
    String environmentId,
    String name,
    boolean retryable,
    Duration queueTimeout,
    Duration runTimeout) {
  /** R10 defaults. */
  public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofHours(6);

  public static final Duration DEFAULT_RUN_TIMEOUT = Duration.ofHours(24);

  public static DesktopFlow defaults(String environmentId, String name) {
    return new DesktopFlow(environmentId, name, false, DEFAULT_QUEUE_TIMEOUT, DEFAULT_RUN_TIMEOUT);
  }
}
