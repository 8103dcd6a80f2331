package dev.botfleet.orchestrator.metrics;

import dev.botfleet.orchestrator.runs.RunRetention;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/** Retention of run history (issue 9, O1): how many finished runs this replica purged. */
public final class RetentionMetrics implements MeterBinder {
  private final RunRetention retention;

  public RetentionMetrics(RunRetention retention) {
    this.retention = retention;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("botfleet.runs.purged", retention, RunRetention::purged)
        .description(
            "Finished runs deleted by this replica because they ended longer ago than the run retention period")
        .register(registry);
  }
}
