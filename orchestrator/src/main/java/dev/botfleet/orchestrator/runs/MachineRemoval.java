package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.machines.Machines;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code machine remove} (issue 12 §3, A1): the machine's credential is revoked, its bots go back
 * to the environment's process pool, and its runs end by R5 through {@link RunLifecycle}, the one
 * writer of run state: an active run is lost ({@code FAILED AGENT_LOST}, or re-queued when its
 * desktop flow is retryable); a queued run that targets the machine itself can never start and
 * fails {@code MACHINE_REMOVED}. Runs keep naming the machine: its row stays, marked REMOVED. The
 * agent's stream on this replica ends at once; other replicas end theirs at their next heartbeat
 * flush. A second removal changes nothing.
 */
public final class MachineRemoval {
  /** More queued runs than this on one machine are failed by the next removal attempt. */
  private static final int MAX_QUEUED_PER_REMOVAL = 10_000;

  private final Transactions tx;
  private final Machines machines;
  private final RunRepository runs;
  private final RunLifecycle lifecycle;
  private final Supplier<AgentGateway> gateway;

  public MachineRemoval(
      Transactions tx,
      Machines machines,
      RunRepository runs,
      RunLifecycle lifecycle,
      Supplier<AgentGateway> gateway) {
    this.tx = requireNonNull(tx, "tx");
    this.machines = requireNonNull(machines, "machines");
    this.runs = requireNonNull(runs, "runs");
    this.lifecycle = requireNonNull(lifecycle, "lifecycle");
    this.gateway = requireNonNull(gateway, "gateway");
  }

  /** What a removal did. */
  public record Removed(Machine machine, boolean removedNow) {}

  /** Removes the machine with this id; see the class comment. */
  public Removed remove(Principal caller, String machineId) {
    Machine target = machines.require(machineId);
    String why = "machine " + target.name() + " was removed by " + caller.name();
    boolean now =
        machines.remove(
            caller,
            target.id(),
            () -> {
              // R5 first (a retryable run goes back to the queue), then what waits for this
              // machine alone, including what was just re-queued, can never start.
              for (Run run : runs.activeOn(target.id())) {
                lifecycle.agentLost(run, why);
              }
              for (Run run : runs.queuedFor(Map.of(target.id(), MAX_QUEUED_PER_REMOVAL))) {
                if (run.target().kind() == RunTarget.Kind.MACHINE) {
                  lifecycle.end(run, RunState.FAILED, "MACHINE_REMOVED", why, Duration.ZERO);
                }
              }
            });
    if (now) {
      // After the commit of the caller's transaction (an idempotent call wraps this in one): a
      // Hello the agent sends at once must already find the machine removed.
      tx.afterCommit(
          () -> {
            AgentGateway g = gateway.get();
            if (g != null) {
              g.end(
                  target.id(), ErrorReason.A1_MACHINE_REMOVED, why + "; its credential is revoked");
            }
          });
    }
    return new Removed(machines.require(target.id()), now);
  }
}
