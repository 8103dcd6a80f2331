package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.Transactions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the run rules do when an agent's stream opens or closes or the agent refuses an assignment
 * (A3, A6, R5); the gRPC adapter only translates the stream and calls here (issue 8 §3).
 *
 * <p>After a reconnect the agent names the runs it still runs; a run the orchestrator thinks is on
 * that machine, that the agent does not name, and whose result does not arrive shortly after (A6:
 * results of runs that ended while disconnected are re-sent first) is lost (R5) — unless the agent
 * keeps its assignments durably (Hello.durable_assignments) and the run was never reported started:
 * then the agent's silence is its confirmation that it never took the run, which goes back to the
 * queue whether or not its flow is retryable (issue 9: no run lost, none run twice).
 */
public final class AgentSessions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentSessions.class);

  private final Transactions tx;
  private final RunRepository runs;
  private final RunLifecycle lifecycle;
  private final AgentReportFence fence;
  private final Dispatcher dispatcher;
  private final Duration reconcileAfter;
  private volatile ScheduledExecutorService timer;

  /**
   * @param reconcileAfter how long after a reconnect results may still arrive before the runs the
   *     agent did not name are lost
   */
  public AgentSessions(
      Transactions tx,
      RunRepository runs,
      RunLifecycle lifecycle,
      AgentReportFence fence,
      Dispatcher dispatcher,
      Duration reconcileAfter) {
    this.tx = requireNonNull(tx, "tx");
    this.runs = requireNonNull(runs, "runs");
    this.lifecycle = requireNonNull(lifecycle, "lifecycle");
    this.fence = requireNonNull(fence, "fence");
    this.dispatcher = requireNonNull(dispatcher, "dispatcher");
    this.reconcileAfter = requireNonNull(reconcileAfter, "reconcileAfter");
  }

  /** Starts the thread that reconciles reconnected agents. */
  public void start() {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "agent-reconcile");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * A3, A6: the machine's agent said Hello on a stream of this replica, running {@code running}; it
   * can take work here, and its runs are reconciled after {@code reconcileAfter} if it is still
   * connected then.
   */
  public void connected(
      String machineId,
      Set<String> running,
      boolean durable,
      Instant helloAt,
      BooleanSupplier stillConnected) {
    dispatcher.machineConnected(machineId);
    Set<String> named = Set.copyOf(running);
    ScheduledExecutorService t = timer;
    if (t == null) {
      return; // not started: nothing reconciles (tools without endpoints)
    }
    try {
      t.schedule(
          () -> reconcile(machineId, named, durable, helloAt, stillConnected),
          reconcileAfter.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("event=reconcile_not_scheduled machine={} reason=closing", machineId);
    }
  }

  /** The machine's stream on this replica ended: no more work for it here. */
  public void disconnected(String machineId) {
    dispatcher.machineDisconnected(machineId);
  }

  /**
   * R5: the agent refused an assignment (no free slot): back to the queue at once — only if the run
   * is assigned to that machine in that attempt; otherwise the refusal is refused (issue 7).
   * Returns whether the run went back to the queue.
   */
  public boolean refused(String machineId, String runId, int attempt, String reason) {
    dispatcher.refusedBy(machineId); // before the requeue wakes the dispatcher
    if (lifecycle.requeue(runId, attempt, machineId, "agent refused: " + reason)) {
      return true;
    }
    var found = tx.inTransaction(() -> runs.find(runId));
    AgentReportFence.judge(found, machineId, attempt, false)
        .ifPresent(why -> fence.refused(why, machineId, runId, attempt, "assign_refused"));
    return false;
  }

  private void reconcile(
      String machineId,
      Set<String> running,
      boolean durable,
      Instant helloAt,
      BooleanSupplier stillConnected) {
    try {
      if (!stillConnected.getAsBoolean()) {
        return;
      }
      List<Run> active = tx.inTransaction(() -> runs.activeOn(machineId));
      for (Run run : active) {
        if (!running.contains(run.id())
            && run.assignedAt() != null
            && run.assignedAt().isBefore(helloAt)) {
          if (durable && run.state() == RunState.ASSIGNED) {
            lifecycle.requeue(
                run.id(),
                run.attempt(),
                machineId,
                "re-queued: the agent reconnected and confirmed it never took this assignment");
          } else {
            lifecycle.agentLost(
                run, "the agent reconnected without this run and sent no result for it");
          }
        }
      }
    } catch (RuntimeException e) {
      log.warn("event=reconcile_failed machine={} error={}", machineId, e.toString());
    }
  }

  @Override
  public void close() {
    ScheduledExecutorService t = timer;
    if (t != null) {
      t.shutdownNow();
    }
  }
}
