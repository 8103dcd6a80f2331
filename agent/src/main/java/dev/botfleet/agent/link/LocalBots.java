package dev.botfleet.agent.link;

import static java.util.Objects.requireNonNull;

import dev.botfleet.agent.exec.BotSlots;
import dev.botfleet.agent.exec.FlowRunner;
import dev.botfleet.agent.exec.RunHandle;
import dev.botfleet.agent.exec.RunListener;
import dev.botfleet.agent.exec.RunRequest;
import dev.botfleet.agent.exec.RunResult;
import dev.botfleet.agent.exec.RunResult.Outcome;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;

/** {@link Bots} that run flows as local processes through a {@link FlowRunner} (SPEC A4, A5). */
public final class LocalBots implements Bots {
  private final FlowRunner runner;
  private final BotSlots slots;
  private final Clock clock;

  public LocalBots(FlowRunner runner, BotSlots slots) {
    this(runner, slots, Clock.systemUTC());
  }

  LocalBots(FlowRunner runner, BotSlots slots, Clock clock) {
    this.runner = requireNonNull(runner, "runner");
    this.slots = requireNonNull(slots, "slots");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public boolean tryReserve(String runId) {
    return slots.tryAcquire(runId);
  }

  @Override
  public void launch(RunRequest request, RunListener listener) {
    requireNonNull(request, "request");
    requireNonNull(listener, "listener");
    RunListener freeing =
        new RunListener() {
          @Override
          public void onProcess(String runId, ProcessHandle process) {
            listener.onProcess(runId, process); // the journal records it (R5, issue 9)
          }

          @Override
          public void onStarted(String runId, Instant startedAt) {
            listener.onStarted(runId, startedAt);
          }

          @Override
          public void onFinished(RunResult result) {
            slots.release(result.runId());
            listener.onFinished(result);
          }
        };
    try {
      runner.start(request, freeing);
    } catch (IllegalStateException e) {
      // The runner is closed (agent shutting down) or the id is somehow in progress already.
      freeing.onFinished(
          new RunResult(
              request.runId(),
              Outcome.FAILED,
              null,
              Map.of(),
              "",
              null,
              clock.instant(),
              "START_FAILED: " + e.getMessage(),
              "nothing was run: " + e.getMessage()));
    }
  }

  @Override
  public boolean cancel(String runId) {
    return runner.handle(runId).map(RunHandle::cancel).orElse(false);
  }

  @Override
  public int busy() {
    return slots.busy();
  }

  @Override
  public void setBots(int bots) {
    slots.setCapacity(Math.max(0, bots));
  }

  public BotSlots slots() {
    return slots;
  }
}
