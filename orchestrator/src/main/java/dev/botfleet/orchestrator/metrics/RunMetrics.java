package dev.botfleet.orchestrator.metrics;

import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.machines.Machines;
import dev.botfleet.orchestrator.machines.ProcessUtilization;
import dev.botfleet.orchestrator.runs.Claim;
import dev.botfleet.orchestrator.runs.RunEvents;
import dev.botfleet.orchestrator.runs.RunService;
import dev.botfleet.orchestrator.runs.RunState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs, bots and machines (O1): event-driven timers and counters, and gauges read from the database
 * at scrape time so every replica reports the same fleet-wide numbers.
 */
public final class RunMetrics implements MeterBinder, ScrapeRefresh, RunEvents {
  private final RunService runService;
  private final Machines machines;
  private final ProcessUtilization utilization;
  private final EnvironmentService environments;
  private MeterRegistry registry;
  private Timer queueWait;
  private Timer dispatchLatency;
  private Counter offline;
  private MultiGauge runsByState;
  private MultiGauge queueDepth;
  private MultiGauge bots;
  private MultiGauge processUnits;
  private MultiGauge machinesByStatus;

  public RunMetrics(
      RunService runService,
      Machines machines,
      ProcessUtilization utilization,
      EnvironmentService environments) {
    this.runService = runService;
    this.machines = machines;
    this.utilization = utilization;
    this.environments = environments;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    this.registry = registry;
    queueWait =
        Timer.builder("botfleet.run.queue.wait")
            .description("Time runs waited in the queue before a bot took them")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofHours(6))
            .register(registry);
    dispatchLatency =
        Timer.builder("botfleet.dispatch.latency")
            .description("Submit to assigned, for runs that found a bot")
            .serviceLevelObjectives(
                Duration.ofMillis(1),
                Duration.ofMillis(5),
                Duration.ofMillis(10),
                Duration.ofMillis(20),
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMillis(500),
                Duration.ofSeconds(1))
            .register(registry);
    offline =
        Counter.builder("botfleet.machine.offline.transitions")
            .description("Machines marked OFFLINE after missed heartbeats")
            .register(registry);
    runsByState =
        MultiGauge.builder("botfleet.runs").description("Runs by state").register(registry);
    queueDepth =
        MultiGauge.builder("botfleet.run.queue.depth")
            .description("Queued runs per target (machine or group id)")
            .register(registry);
    bots =
        MultiGauge.builder("botfleet.bots")
            .description("Unattended bots per environment: allocated, busy")
            .register(registry);
    processUnits =
        MultiGauge.builder("botfleet.process.units")
            .description("Process units per environment: machines, flows, free (P8)")
            .register(registry);
    machinesByStatus =
        MultiGauge.builder("botfleet.machines")
            .description("Machines per environment and status")
            .register(registry);
  }

  @Override
  public void assigned(Claim claim, Duration wait) {
    queueWait.record(wait);
    dispatchLatency.record(wait);
  }

  @Override
  public void ended(
      String runId, String machineId, RunState state, String failureReason, Duration runDuration) {
    Counter.builder("botfleet.runs.ended")
        .description("Runs that reached a final state")
        .tags(
            "state",
            state.name(),
            "reason",
            failureReason == null ? "" : reasonLabel(failureReason))
        .register(registry)
        .increment();
    if (runDuration != null && !runDuration.isZero()) {
      Timer.builder("botfleet.run.duration")
          .description("Run duration, start to end")
          .tags("state", state.name())
          .register(registry)
          .record(runDuration);
    }
  }

  /** Keeps label cardinality bounded: EXIT_CODE_17 → EXIT_CODE. */
  private static String reasonLabel(String reason) {
    if (reason.startsWith("EXIT_CODE_")) {
      return "EXIT_CODE";
    }
    int colon = reason.indexOf(':');
    return colon > 0 ? reason.substring(0, colon) : reason;
  }

  @Override
  public void reportRefused(
      String machineId, dev.botfleet.orchestrator.runs.AgentReportFence.Refusal why) {
    if (registry == null) {
      return;
    }
    Counter.builder("botfleet.agent.reports.refused")
        .description(
            "Agent messages about runs refused: not the sender's run in that attempt (issue 7)")
        .tag("reason", why.name())
        .register(registry)
        .increment();
  }

  @Override
  public void lateResult(String runId, RunState outcome) {
    if (registry == null) {
      return;
    }
    Counter.builder("botfleet.runs.late.results")
        .description(
            "Results kept after their run had ended without them (AGENT_LOST, time-out backstop)")
        .tag("outcome", outcome.name())
        .register(registry)
        .increment();
  }

  @Override
  public void autoAllocationRefused(String machineId, String reason) {
    if (registry == null) {
      return;
    }
    Counter.builder("botfleet.bots.auto_allocation.refused")
        .description(
            "Times a run needed a new bot and auto-allocation refused it, by wait code (P6, C8)")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  @Override
  public void offline(String machineId) {
    offline.increment();
  }

  @Override
  public void refresh() {
    List<MultiGauge.Row<?>> states = new ArrayList<>();
    Map<RunState, Long> counts = runService.countByState();
    for (RunState s : RunState.values()) {
      states.add(MultiGauge.Row.of(Tags.of("state", s.name()), counts.getOrDefault(s, 0L)));
    }
    runsByState.register(states, true);
    List<MultiGauge.Row<?>> depth = new ArrayList<>();
    runService
        .queueDepthByTarget()
        .forEach((target, n) -> depth.add(MultiGauge.Row.of(Tags.of("target", target), n)));
    queueDepth.register(depth, true);
    List<MultiGauge.Row<?>> botRows = new ArrayList<>();
    List<MultiGauge.Row<?>> unitRows = new ArrayList<>();
    List<MultiGauge.Row<?>> machineRows = new ArrayList<>();
    for (Environment env : environments.list()) {
      List<Machine> ms = machines.list(env.name());
      long allocated = ms.stream().mapToLong(Machine::bots).sum();
      long busy = ms.stream().mapToLong(Machine::busyBots).sum();
      botRows.add(
          MultiGauge.Row.of(Tags.of("environment", env.name(), "state", "allocated"), allocated));
      botRows.add(MultiGauge.Row.of(Tags.of("environment", env.name(), "state", "busy"), busy));
      long online =
          ms.stream()
              .filter(m -> m.status() == dev.botfleet.orchestrator.machines.MachineStatus.ONLINE)
              .count();
      machineRows.add(
          MultiGauge.Row.of(Tags.of("environment", env.name(), "status", "ONLINE"), online));
      machineRows.add(
          MultiGauge.Row.of(
              Tags.of("environment", env.name(), "status", "OFFLINE"), ms.size() - online));
      var u = utilization.of(env.name());
      unitRows.add(
          MultiGauge.Row.of(
              Tags.of("environment", env.name(), "state", "machines"), u.toMachines()));
      unitRows.add(
          MultiGauge.Row.of(Tags.of("environment", env.name(), "state", "flows"), u.toFlows()));
      unitRows.add(
          MultiGauge.Row.of(
              Tags.of("environment", env.name(), "state", "free"), Math.max(0, u.free())));
    }
    bots.register(botRows, true);
    processUnits.register(unitRows, true);
    machinesByStatus.register(machineRows, true);
  }
}
