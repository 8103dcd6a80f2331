package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.orchestrator.machines.RunControl;
import java.time.Duration;

/**
 * Stops runs on their agents (R7): when a cancel is requested for a run that holds a bot, when the
 * orchestrator's run time-out backstop ends a run (R10), and when a forced de-allocation cancels a
 * bot's run (P10, asked by the machine rules). Follows {@link RunEvents}, so whoever ends a run
 * need not remember to stop it too.
 */
public final class RunCancellation implements RunControl, RunEvents {
  private final RunLifecycle lifecycle;
  private final AgentGateway gateway;

  public RunCancellation(RunLifecycle lifecycle, AgentGateway gateway) {
    this.lifecycle = requireNonNull(lifecycle, "lifecycle");
    this.gateway = requireNonNull(gateway, "gateway");
  }

  @Override
  public void cancelForDeallocation(String runId, String reason) {
    lifecycle.cancelForDeallocation(runId, reason);
  }

  @Override
  public void stopOnAgent(String machineId, String runId, String reason) {
    if (machineId != null && gateway.connectedMachines().contains(machineId)) {
      gateway.cancel(machineId, runId, reason);
    }
  }

  @Override
  public void cancelRequested(Run run) {
    stopOnAgent(run.machineId(), run.id(), "CANCELLED_BY_USER");
  }

  @Override
  public void timedOut(String runId, String machineId, Duration runDuration) {
    stopOnAgent(machineId, runId, "TIMED_OUT");
  }
}
