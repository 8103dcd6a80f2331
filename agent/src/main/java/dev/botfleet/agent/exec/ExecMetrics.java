package dev.botfleet.agent.exec;

import static java.util.Objects.requireNonNull;

import dev.botfleet.agent.exec.RunResult.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The agent's run metrics (SPEC O1). In Prometheus format:
 *
 * <ul>
 *   <li>{@code botfleet_agent_runs_total{outcome}}: runs ended, by outcome (lower case);
 *   <li>{@code botfleet_agent_run_duration_seconds{outcome}}: process run time, runs that started;
 *   <li>{@code botfleet_agent_bots_busy}: bots executing a run now;
 *   <li>{@code botfleet_agent_bots}: unattended bots on this machine.
 * </ul>
 *
 * <p>Pass it to {@link FlowRunner} as the observer so every run is counted. Thread-safe.
 */
public final class ExecMetrics implements MeterBinder, RunListener {
  static final String RUNS = "botfleet.agent.runs";
  static final String RUN_DURATION = "botfleet.agent.run.duration";
  static final String BOTS_BUSY = "botfleet.agent.bots.busy";
  static final String BOTS = "botfleet.agent.bots";

  private final BotSlots slots;
  private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

  public ExecMetrics(BotSlots slots) {
    this.slots = requireNonNull(slots, "slots");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    requireNonNull(registry, "registry");
    Gauge.builder(BOTS_BUSY, slots, BotSlots::busy)
        .description("Bots executing a run now (bots)")
        .strongReference(true)
        .register(registry);
    Gauge.builder(BOTS, slots, BotSlots::capacity)
        .description("Unattended bots on this machine (bots)")
        .strongReference(true)
        .register(registry);
    // Register every outcome up front, so rates work from the first scrape instead of the first
    // run.
    for (Outcome outcome : Outcome.values()) {
      runs(registry, outcome);
      duration(registry, outcome);
    }
    registries.add(registry);
  }

  @Override
  public void onFinished(RunResult result) {
    record(result);
  }

  /** Counts one ended run and, when its process started, how long it ran. */
  public void record(RunResult result) {
    requireNonNull(result, "result");
    for (MeterRegistry registry : registries) {
      runs(registry, result.outcome()).increment();
      if (result.startedAt() != null) {
        Duration took = Duration.between(result.startedAt(), result.endedAt());
        duration(registry, result.outcome()).record(took.isNegative() ? Duration.ZERO : took);
      }
    }
  }

  private static Counter runs(MeterRegistry registry, Outcome outcome) {
    return Counter.builder(RUNS)
        .description("Runs ended on this agent, by outcome (runs)")
        .tag("outcome", tag(outcome))
        .register(registry);
  }

  private static Timer duration(MeterRegistry registry, Outcome outcome) {
    return Timer.builder(RUN_DURATION)
        .description("How long flow processes ran, from start to end (seconds)")
        .tag("outcome", tag(outcome))
        .register(registry);
  }

  private static String tag(Outcome outcome) {
    return outcome.name().toLowerCase(Locale.ROOT);
  }
}
