package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.GroupCommit;
import dev.botfleet.common.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of run state (issue 8 §3, DESIGN "State and concurrency"): submit, claim, start,
 * finish, requeue, fail, cancel and time out all go through here, each as a conditional update of
 * the repository, and each transition that happened publishes one event to the subscribers (the
 * dispatcher frees the bot, the metrics count, the PostgreSQL notifier tells other replicas).
 * Nobody else needs to remember a second call after a transition.
 *
 * <p>Events are published after the commit of the transaction they happened in: the transition's
 * own, or the caller's when a transition runs inside one (P10 forced de-allocation, idempotent
 * calls); a rolled-back transition publishes nothing.
 */
public final class RunLifecycle implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunLifecycle.class);

  private final Transactions tx;
  private final RunRepository runs;
  private final Clock clock;
  private final List<RunEvents> subscribers = new CopyOnWriteArrayList<>();
  private final RunEvents publish = new Fanout();
  private final GroupCommit<Run, Boolean> inserts;

  public RunLifecycle(Transactions tx, RunRepository runs, Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.runs = requireNonNull(runs, "runs");
    this.clock = requireNonNull(clock, "clock");
    this.inserts =
        new GroupCommit<>(
            "run-inserts", 500, batch -> tx.inTransaction(() -> runs.insertAll(batch)));
  }

  /** Adds a subscriber; done while the graph is built, before anything runs. */
  public void subscribe(RunEvents subscriber) {
    subscribers.add(requireNonNull(subscriber, "subscriber"));
  }

  /** Every subscriber at once, for events that are not run transitions (offline, refusals). */
  public RunEvents events() {
    return publish;
  }

  // ------------------------------------------------------------------ transitions

  /**
   * R1, R6: inserts a QUEUED run. Concurrent submissions share one transaction (group commit).
   * False when its idempotency key was taken meanwhile.
   */
  public boolean submit(Run run) {
    if (!inserts.submit(run, Duration.ofSeconds(30))) {
      return false;
    }
    publish.queued(run);
    return true;
  }

  /**
   * Issue 9: inserts many QUEUED runs through the same group-commit writer as {@link #submit}, so a
   * batch is written in a few transactions (the writer's batches), not one per run. Returns, per
   * run in order, a completed future: true when inserted (its event published), false when its
   * idempotency key was taken meanwhile, or failed with why it was not written.
   */
  public List<CompletableFuture<Boolean>> submitAll(List<Run> batch) {
    List<CompletableFuture<Boolean>> pending = new ArrayList<>(batch.size());
    for (Run run : batch) {
      pending.add(inserts.submitAsync(run));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<CompletableFuture<Boolean>> done = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      CompletableFuture<Boolean> f = pending.get(i);
      try {
        boolean inserted = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (inserted) {
          publish.queued(batch.get(i));
        }
        done.add(CompletableFuture.completedFuture(inserted));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        done.add(
            CompletableFuture.failedFuture(
                new BotfleetException(
                    ErrorReason.INTERRUPTED, "interrupted while waiting for the write")));
      } catch (TimeoutException e) {
        done.add(
            CompletableFuture.failedFuture(
                new BotfleetException(
                    ErrorReason.WRITE_TIMEOUT,
                    "the write did not complete within 30s; retry with the same idempotency key")));
      } catch (ExecutionException e) {
        done.add(CompletableFuture.failedFuture(e.getCause()));
      }
    }
    return done;
  }

  /** R2: QUEUED → ASSIGNED, conditionally; returns the claims that won. */
  public List<Claim> claim(List<Claim> claims, Instant now, Instant leaseUntil) {
    List<Claim> won = tx.inTransaction(() -> runs.claim(claims, now, leaseUntil));
    for (Claim c : won) {
      publish.assigned(c, Duration.between(c.run().submittedAt(), now));
    }
    return won;
  }

  /**
   * R5, A6: ASSIGNED → RUNNING (started) and ASSIGNED/RUNNING → an outcome (finished), fenced by
   * machine and attempt; returns the reports that changed a run.
   */
  public List<RunReport> applyReports(List<RunReport> reports) {
    List<RunReport> applied = tx.inTransaction(() -> runs.applyReports(reports, clock.instant()));
    for (RunReport r : applied) {
      if (r.finished()) {
        Duration took =
            r.startedAt() == null || r.endedAt() == null
                ? Duration.ZERO
                : Duration.between(r.startedAt(), r.endedAt());
        publish.ended(r.runId(), r.machineId(), r.outcome(), r.failureReason(), took);
      }
    }
    return applied;
  }

  /** R5: keeps a result that came after the run ended without it; see {@link LateResult}. */
  public boolean recordLateResult(RunReport report) {
    if (!tx.inTransaction(() -> runs.recordLateResult(report, clock.instant()))) {
      return false;
    }
    publish.lateResult(report.runId(), report.outcome());
    return true;
  }

  /**
   * R5: ASSIGNED/RUNNING → QUEUED (refused, lease expired, agent lost with a retryable flow), only
   * while the run is on that machine in that attempt.
   */
  public boolean requeue(String runId, int attempt, String machineId, String message) {
    if (!tx.inTransaction(() -> runs.requeue(runId, attempt, machineId, message))) {
      return false;
    }
    publish.requeued(runId);
    return true;
  }

  /** R4, R5, R7, R10: ends a queued or active run in a final state, in its current attempt. */
  public boolean end(
      Run run, RunState state, String failureReason, String message, Duration runDuration) {
    if (!tx.inTransaction(
        () -> runs.end(run.id(), run.attempt(), state, failureReason, message, clock.instant()))) {
      return false;
    }
    publish.ended(run.id(), run.machineId(), state, failureReason, runDuration);
    return true;
  }

  /** R5: the run's agent is lost: FAILED AGENT_LOST, or back to the queue when retryable. */
  public void agentLost(Run run, String why) {
    if (run.retryable()) {
      requeue(run.id(), run.attempt(), run.machineId(), "re-queued: " + why);
    } else {
      end(run, RunState.FAILED, "AGENT_LOST", why, durationSince(run.startedAt()));
    }
  }

  /** What became of an assignment whose lease expired. */
  public enum LeaseExpiry {
    /** The flow is retryable: the run went back to the queue in a new attempt. */
    REQUEUED,
    /**
     * The agent may have started it: the run stays on its machine until the agent names it (it
     * runs), confirms it never took it (re-queued) or is lost (AGENT_LOST), R5.
     */
    HELD,
    /** The run had moved on meanwhile (started, ended, re-queued elsewhere). */
    MOVED
  }

  /**
   * R5, issue 9: the agent did not report the start of an assignment within its lease. Desktop
   * automation is not idempotent, so only a retryable run is re-queued on the orchestrator's word
   * alone; any other run is re-queued only once its agent confirms it never took it.
   */
  public LeaseExpiry leaseExpired(Run run) {
    if (run.retryable()) {
      return requeue(
              run.id(),
              run.attempt(),
              run.machineId(),
              "assignment not acknowledged by the agent in time; re-queued (the flow is retryable)")
          ? LeaseExpiry.REQUEUED
          : LeaseExpiry.MOVED;
    }
    return tx.inTransaction(() -> runs.holdUnconfirmed(run.id(), run.attempt()))
        ? LeaseExpiry.HELD
        : LeaseExpiry.MOVED;
  }

  /** R4: no bot took the run within its queue time-out. */
  public boolean queueTimedOut(Run run) {
    return end(
        run,
        RunState.FAILED,
        "QUEUE_TIMEOUT",
        "no bot took the run within its queue time-out of " + run.queueTimeout(),
        Duration.ZERO);
  }

  /** R10: the run passed its run time-out without a result (the orchestrator's backstop). */
  public boolean runTimedOut(Run run) {
    String message =
        "the run passed its time-out of " + run.runTimeout() + " and no result came from the agent";
    if (!tx.inTransaction(
        () ->
            runs.end(
                run.id(),
                run.attempt(),
                RunState.TIMED_OUT,
                "TIMED_OUT",
                message,
                clock.instant()))) {
      return false;
    }
    publish.timedOut(run.id(), run.machineId(), durationSince(run.startedAt()));
    return true;
  }

  /** What {@link #cancel} did. */
  public enum Cancelled {
    /** The run had already ended. */
    ALREADY_ENDED,
    /** It was queued and is CANCELLED now. */
    ENDED,
    /** It holds a bot: a cancel is requested and the agent must stop it (R7). */
    REQUESTED
  }

  /**
   * R7: a queued run ends CANCELLED at once; an active one is marked for cancelling. {@code audit}
   * runs in the same transaction with the run as it was.
   */
  public Cancelled cancel(String runId, String by, Consumer<Run> audit) {
    Run[] before = new Run[1];
    Cancelled what =
        tx.inTransaction(
            () -> {
              Run r = runs.findForUpdate(runId).orElseThrow();
              before[0] = r;
              if (r.state().terminal()) {
                return Cancelled.ALREADY_ENDED;
              }
              Cancelled result;
              if (r.state() == RunState.QUEUED) {
                runs.end(
                    r.id(),
                    r.attempt(),
                    RunState.CANCELLED,
                    "CANCELLED_BY_USER",
                    "cancelled by " + by + " while queued",
                    clock.instant());
                result = Cancelled.ENDED;
              } else {
                runs.requestCancel(r.id());
                result = Cancelled.REQUESTED;
              }
              audit.accept(r);
              return result;
            });
    if (what == Cancelled.ENDED) {
      publish.ended(runId, null, RunState.CANCELLED, "CANCELLED_BY_USER", Duration.ZERO);
    } else if (what == Cancelled.REQUESTED) {
      publish.cancelRequested(before[0]);
    }
    return what;
  }

  /** P10: inside the caller's transaction, a forced de-allocation cancels the bot's run. */
  public void cancelForDeallocation(String runId, String reason) {
    Run r = runs.findForUpdate(runId).orElse(null);
    if (r != null && r.state().active()) {
      end(
          r,
          RunState.CANCELLED,
          reason,
          "its bot was de-allocated with force set (P10)",
          durationSince(r.startedAt()));
    }
  }

  private Duration durationSince(Instant start) {
    return start == null ? Duration.ZERO : Duration.between(start, clock.instant());
  }

  /** Starts the writer of submissions. */
  public void start() {
    inserts.start();
  }

  /** Stops accepting submissions; queued ones are answered first. */
  @Override
  public void close() {
    inserts.close();
  }

  /** Hands each event to every subscriber; one that throws does not keep it from the others. */
  private final class Fanout implements RunEvents {
    /**
     * After the commit of the transaction the event is raised in (at once when there is none): a
     * subscriber (the dispatcher reloading a machine) must see the change it is told of, also when
     * a transition runs inside a caller's transaction (P10 de-allocation, an idempotent call).
     */
    private void each(Consumer<RunEvents> event) {
      tx.afterCommit(
          () -> {
            for (RunEvents s : subscribers) {
              try {
                event.accept(s);
              } catch (RuntimeException e) {
                log.warn(
                    "event=run_event_subscriber_failed subscriber={} error={}", s, e.toString());
              }
            }
          });
    }

    @Override
    public void queued(Run run) {
      each(s -> s.queued(run));
    }

    @Override
    public void assigned(Claim claim, Duration queueWait) {
      each(s -> s.assigned(claim, queueWait));
    }

    @Override
    public void requeued(String runId) {
      each(s -> s.requeued(runId));
    }

    @Override
    public void ended(
        String runId,
        String machineId,
        RunState state,
        String failureReason,
        Duration runDuration) {
      each(s -> s.ended(runId, machineId, state, failureReason, runDuration));
    }

    @Override
    public void timedOut(String runId, String machineId, Duration runDuration) {
      each(s -> s.timedOut(runId, machineId, runDuration));
    }

    @Override
    public void cancelRequested(Run run) {
      each(s -> s.cancelRequested(run));
    }

    @Override
    public void offline(String machineId) {
      each(s -> s.offline(machineId));
    }

    @Override
    public void reportRefused(String machineId, AgentReportFence.Refusal why) {
      each(s -> s.reportRefused(machineId, why));
    }

    @Override
    public void lateResult(String runId, RunState outcome) {
      each(s -> s.lateResult(runId, outcome));
    }

    @Override
    public void autoAllocationRefused(String machineId, String reason) {
      each(s -> s.autoAllocationRefused(machineId, reason));
    }
  }
}
