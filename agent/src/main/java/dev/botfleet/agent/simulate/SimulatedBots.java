package dev.botfleet.agent.simulate;

import static java.util.Objects.requireNonNull;

import dev.botfleet.agent.exec.BotSlots;
import dev.botfleet.agent.exec.RunListener;
import dev.botfleet.agent.exec.RunRequest;
import dev.botfleet.agent.exec.RunResult;
import dev.botfleet.agent.exec.RunResult.Outcome;
import dev.botfleet.agent.link.Bots;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Virtual bots: no processes, no disk. A run of an installed flow "starts" at once and succeeds
 * with exit code 0 after the flow duration (at once when zero), or times out when its time-out is
 * shorter; a run of any other flow fails {@code FLOW_NOT_INSTALLED} without starting, like a real
 * agent (SPEC A5). Cancel ends a run {@code CANCELLED}. Thread-safe.
 */
final class SimulatedBots implements Bots {
  /** Exit code reported for a cancelled or timed-out simulated run (a SIGTERM'd process). */
  static final int KILLED_EXIT_CODE = 143;

  private final BotSlots slots = new BotSlots(0);
  private final ScheduledExecutorService scheduler;
  private final Duration flowDuration;
  private final Set<String> installedFlows;
  private final LongAdder completed;
  private final Clock clock;
  private final ConcurrentMap<String, SimulatedRun> runs = new ConcurrentHashMap<>();

  SimulatedBots(
      ScheduledExecutorService scheduler,
      Duration flowDuration,
      Set<String> installedFlows,
      LongAdder completed,
      Clock clock) {
    this.scheduler = requireNonNull(scheduler, "scheduler");
    this.flowDuration = requireNonNull(flowDuration, "flowDuration");
    this.installedFlows = Set.copyOf(installedFlows);
    this.completed = requireNonNull(completed, "completed");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public boolean tryReserve(String runId) {
    return slots.tryAcquire(runId);
  }

  @Override
  public void launch(RunRequest request, RunListener listener) {
    if (!installedFlows.contains(request.flowName())) {
      slots.release(request.runId());
      completed.increment();
      listener.onFinished(
          new RunResult(
              request.runId(),
              Outcome.FAILED,
              null,
              Map.of(),
              "",
              null,
              clock.instant(),
              "FLOW_NOT_INSTALLED",
              "flow '"
                  + request.flowName()
                  + "' is not installed on this simulated machine (installed: "
                  + installedFlows
                  + "); nothing was run"));
      return;
    }
    SimulatedRun run = new SimulatedRun(request, listener, clock.instant());
    runs.put(request.runId(), run);
    listener.onStarted(request.runId(), run.startedAt);
    boolean timesOut = request.timeout().compareTo(flowDuration) < 0;
    Duration after = timesOut ? request.timeout() : flowDuration;
    Outcome outcome = timesOut ? Outcome.TIMED_OUT : Outcome.SUCCEEDED;
    if (after.isZero()) {
      run.finish(outcome);
      return;
    }
    try {
      run.timer =
          scheduler.schedule(() -> run.finish(outcome), after.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      run.finish(Outcome.CANCELLED); // simulator closing
    }
  }

  @Override
  public boolean cancel(String runId) {
    SimulatedRun run = runs.get(runId);
    if (run == null) {
      return false;
    }
    run.finish(Outcome.CANCELLED);
    return true;
  }

  @Override
  public int busy() {
    return slots.busy();
  }

  @Override
  public void setBots(int bots) {
    slots.setCapacity(Math.max(0, bots));
  }

  private final class SimulatedRun {
    final RunRequest request;
    final RunListener listener;
    final Instant startedAt;
    final AtomicBoolean done = new AtomicBoolean();
    volatile ScheduledFuture<?> timer;

    SimulatedRun(RunRequest request, RunListener listener, Instant startedAt) {
      this.request = request;
      this.listener = listener;
      this.startedAt = startedAt;
    }

    void finish(Outcome outcome) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
      runs.remove(request.runId(), this);
      slots.release(request.runId());
      completed.increment();
      boolean ok = outcome == Outcome.SUCCEEDED;
      listener.onFinished(
          new RunResult(
              request.runId(),
              outcome,
              ok ? 0 : KILLED_EXIT_CODE,
              Map.of(),
              ok ? "simulated run of '" + request.flowName() + "'\n" : "",
              startedAt,
              clock.instant(),
              ok ? null : outcome.name(),
              "simulated flow '"
                  + request.flowName()
                  + "' "
                  + outcome.name().toLowerCase(Locale.ROOT)));
    }
  }
}
