package dev.botfleet.orchestrator.metrics;

import dev.botfleet.orchestrator.licensing.FlowPlan;
import dev.botfleet.orchestrator.metering.MeteringListener;
import dev.botfleet.orchestrator.metering.RequestRecorder;
import dev.botfleet.orchestrator.metering.UsageReports;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.Map;

/**
 * M1–M6 as metrics: {@code botfleet_ppr_requests_recorded_total{plan}} and {@code
 * botfleet_ppr_records_total{plan}} (counted per plan kind, never per flow), {@code
 * botfleet_ppr_throttled_records_total} and {@code botfleet_ppr_throttled_requests_total} (M3), and
 * {@code botfleet_ppr_buckets{level="over_80_percent"|"at_limit"}}: how many of today's buckets are
 * at or above 80% and 100% of their limit, refreshed from the database before each scrape.
 */
public final class MeteringMetrics implements MeterBinder, ScrapeRefresh, MeteringListener {
  private final RequestRecorder recorder;
  private final UsageReports usage;
  private final Map<FlowPlan, Counter> requests = new EnumMap<>(FlowPlan.class);
  private final Map<FlowPlan, Counter> records = new EnumMap<>(FlowPlan.class);
  private Counter throttledRecords;
  private Counter throttledRequests;
  private volatile long over80;
  private volatile long atLimit;

  public MeteringMetrics(RequestRecorder recorder, UsageReports usage) {
    this.recorder = recorder;
    this.usage = usage;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (FlowPlan plan : FlowPlan.values()) {
      requests.put(
          plan,
          Counter.builder("botfleet.ppr.requests.recorded")
              .description("Power Platform Requests recorded, per plan kind of the flow (M1)")
              .tag("plan", plan.name())
              .register(registry));
      records.put(
          plan,
          Counter.builder("botfleet.ppr.records")
              .description("Usage records counted, per plan kind of the flow (M1)")
              .tag("plan", plan.name())
              .register(registry));
    }
    throttledRecords =
        Counter.builder("botfleet.ppr.throttled.records")
            .description("Usage records refused by THROTTLE (M3)")
            .register(registry);
    throttledRequests =
        Counter.builder("botfleet.ppr.throttled.requests")
            .description("Requests in records refused by THROTTLE (M3)")
            .register(registry);
    Gauge.builder("botfleet.ppr.buckets", () -> over80)
        .description("Today's request buckets at or above 80% of their daily limit")
        .tag("level", "over_80_percent")
        .register(registry);
    Gauge.builder("botfleet.ppr.buckets", () -> atLimit)
        .description("Today's request buckets at or above 100% of their daily limit")
        .tag("level", "at_limit")
        .register(registry);
    recorder.addListener(this);
  }

  @Override
  public void recorded(FlowPlan plan, long recordCount, long requestCount) {
    Counter r = requests.get(plan);
    if (r != null) {
      r.increment(requestCount);
      records.get(plan).increment(recordCount);
    }
  }

  @Override
  public void throttled(long recordCount, long requestCount) {
    if (throttledRecords != null) {
      throttledRecords.increment(recordCount);
      throttledRequests.increment(requestCount);
    }
  }

  @Override
  public void refresh() {
    over80 = usage.bucketsAtLeast(80);
    atLimit = usage.bucketsAtLeast(100);
  }
}
