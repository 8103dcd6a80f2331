package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.GroupCommit;
import dev.botfleet.common.ThrottledLog;
import dev.botfleet.common.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agent reports (started, finished) are written in batches by one writer: one transaction for many
 * reports (group commit). A report is acknowledged to its agent only after its batch committed, so
 * an acknowledged result is never lost and a re-sent one is accepted once (A6).
 */
public final class RunReports implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunReports.class);
  private static final int MAX_BATCH = 1000;

  /**
   * While the database is down the batch is retried every few seconds: logged once per interval
   * (issue 7).
   */
  private final ThrottledLog writeFailures = new ThrottledLog(log, "run_reports_write_failed");

  private final Transactions tx;
  private final RunRepository runs;
  private final RunLifecycle lifecycle;
  private final AgentReportFence fence;
  private final Clock clock;
  private final Predicate<Throwable> databaseAway;
  private final GroupCommit<RunReport, Boolean> writer;

  /**
   * @param databaseAway tells a failure of the database itself (a lost connection, a server
   *     restarting) from one about a report's values: only the latter may strip or drop a report
   */
  public RunReports(
      Transactions tx,
      RunRepository runs,
      RunLifecycle lifecycle,
      AgentReportFence fence,
      Clock clock,
      Predicate<Throwable> databaseAway) {
    this.tx = requireNonNull(tx, "tx");
    this.runs = requireNonNull(runs, "runs");
    this.lifecycle = requireNonNull(lifecycle, "lifecycle");
    this.fence = requireNonNull(fence, "fence");
    this.clock = requireNonNull(clock, "clock");
    this.databaseAway = requireNonNull(databaseAway, "databaseAway");
    // A batch that cannot be written (the database is away) is not acknowledged: it is kept and
    // written again; agents keep their reports meanwhile.
    this.writer =
        new GroupCommit<>(
            "run-reports",
            MAX_BATCH,
            this::write,
            new GroupCommit.Retry(
                Duration.ofMillis(500), writeFailures::failed, writeFailures::succeeded));
  }

  /** Starts the writer thread. */
  public void start() {
    writer.start();
  }

  /** Queues a report; {@code committed} runs after it is durable (also when it changed nothing). */
  public void submit(RunReport report, Runnable committed) {
    requireNonNull(report, "report");
    CompletableFuture<Boolean> done;
    try {
      done = writer.submitAsync(report);
    } catch (BotfleetException shuttingDown) {
      return; // not acknowledged: the agent sends it again to whoever it reaches next (A6)
    }
    if (committed != null) {
      done.thenRun(
          () -> {
            try {
              committed.run();
            } catch (RuntimeException e) {
              log.debug("event=report_ack_failed error={}", e.toString());
            }
          });
    }
  }

  /**
   * Writes one batch; throws (and the batch is written again later) only when the database is away.
   * Answers, per report, whether it changed its run.
   */
  private List<Boolean> write(List<RunReport> all) {
    List<RunReport> reports = new ArrayList<>(all.size());
    Set<RunReport> requeued = Collections.newSetFromMap(new IdentityHashMap<>());
    for (RunReport r : all) {
      if (lostOnAgent(r) && requeueRetryable(r)) {
        requeued.add(r);
      } else {
        reports.add(r);
      }
    }
    if (requeued.isEmpty()) {
      return apply(reports);
    }
    List<Boolean> answers = reports.isEmpty() ? List.of() : apply(reports);
    List<Boolean> merged = new ArrayList<>(all.size());
    var rest = answers.iterator();
    all.forEach(r -> merged.add(requeued.contains(r) || rest.next()));
    return merged;
  }

  /** Applies reports in one transaction (or one by one when that fails); answers as write. */
  private List<Boolean> apply(List<RunReport> reports) {
    List<RunReport> applied;
    try {
      applied = lifecycle.applyReports(reports); // publishes ended: bots freed, metrics
    } catch (RuntimeException batchFailure) {
      if (databaseAway.test(batchFailure)) {
        throw batchFailure; // written again later, as a whole; nothing is acknowledged meanwhile
      }
      // One bad report must not hold back the others: write them one at a time.
      applied = new ArrayList<>();
      for (RunReport r : reports) {
        applied.addAll(writeAlone(r, batchFailure));
      }
    }
    judgeUnapplied(reports, applied);
    Set<RunReport> changed = Collections.newSetFromMap(new IdentityHashMap<>());
    changed.addAll(applied);
    List<Boolean> answers = new ArrayList<>(reports.size());
    reports.forEach(r -> answers.add(changed.contains(r)));
    return answers;
  }

  /** The agent restarted while it held the run and reports it lost (R5); rare. */
  private static boolean lostOnAgent(RunReport r) {
    return r.finished() && "AGENT_LOST".equals(r.failureReason());
  }

  /**
   * R5: a run its agent lost (it restarted while holding it) goes back to the queue when its flow
   * is retryable, like a run whose agent the orchestrator found lost; otherwise the report ends it
   * FAILED AGENT_LOST as it says. True when it was re-queued.
   */
  private boolean requeueRetryable(RunReport r) {
    var run = tx.inTransaction(() -> runs.find(r.runId()));
    return run.isPresent()
        && run.get().retryable()
        && r.machineId().equals(run.get().machineId())
        && run.get().attempt() == r.attempt()
        && run.get().state().active()
        && lifecycle.requeue(
            r.runId(),
            r.attempt(),
            r.machineId(),
            "re-queued: the agent restarted while it held the run (the flow is retryable)");
  }

  /**
   * Reports that changed no run: a finished one from the run's own machine after the orchestrator
   * had ended the run is kept as its late result; a repeat is fine; anything else — above all a
   * report for a run that is not the sender's — is refused, counted and logged (issue 7). Only
   * reports that did not apply come here, so the common path costs nothing extra.
   */
  private void judgeUnapplied(List<RunReport> reports, List<RunReport> applied) {
    if (applied.size() == reports.size()) {
      return;
    }
    Set<RunReport> done = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    done.addAll(applied);
    Set<String> finishedTogether = new HashSet<>();
    for (RunReport r : reports) {
      if (r.finished()) {
        finishedTogether.add(r.machineId() + "/" + r.runId() + "#" + r.attempt());
      }
    }
    for (RunReport r : reports) {
      // A start sent in the same batch as its own end was folded into the end on purpose.
      if (done.contains(r)
          || !r.finished()
              && finishedTogether.contains(r.machineId() + "/" + r.runId() + "#" + r.attempt())) {
        continue;
      }
      try {
        if (r.finished() && lifecycle.recordLateResult(r)) {
          log.info(
              "event=late_result_kept run={} attempt={} machine={} outcome={}",
              r.runId(),
              r.attempt(),
              r.machineId(),
              r.outcome());
          continue;
        }
        var found = tx.inTransaction(() -> runs.find(r.runId()));
        AgentReportFence.judge(found, r.machineId(), r.attempt(), r.finished())
            .ifPresent(
                why ->
                    fence.refused(
                        why,
                        r.machineId(),
                        r.runId(),
                        r.attempt(),
                        r.finished() ? "finished" : "started"));
      } catch (RuntimeException e) {
        // The batch is committed; judging is bookkeeping and must not make it retry.
        log.warn("event=report_judge_failed run={} error={}", r.runId(), e.toString());
      }
    }
  }

  /**
   * A report the database refuses (a value it cannot store) is written without its payload, so the
   * run still ends with its outcome; if even that fails, it is acknowledged and logged rather than
   * re-sent forever. When the database itself is away, the loop retries the whole batch later.
   */
  private List<RunReport> writeAlone(RunReport r, RuntimeException batchFailure) {
    try {
      return lifecycle.applyReports(List.of(r));
    } catch (RuntimeException first) {
      // Issue 9 (fault test): a connection the pool handed out broken after a database restart
      // fails a report that is fine; dropping it would lose a result the agent then forgets.
      if (databaseAway.test(first) || !databaseAnswers()) {
        throw batchFailure;
      }
      RunReport stripped =
          new RunReport(
              r.machineId(),
              r.runId(),
              r.attempt(),
              r.outcome(),
              r.startedAt(),
              r.endedAt(),
              r.exitCode(),
              java.util.Map.of(),
              "",
              r.failureReason() == null ? null : "REPORT_NOT_STORABLE",
              "the agent's report could not be stored as sent; outputs and log tail dropped");
      try {
        return lifecycle.applyReports(List.of(stripped));
      } catch (RuntimeException second) {
        if (databaseAway.test(second) || !databaseAnswers()) {
          throw batchFailure;
        }
        log.error(
            "event=run_report_dropped run={} attempt={} error={}",
            r.runId(),
            r.attempt(),
            second.toString());
        return List.of();
      }
    }
  }

  private boolean databaseAnswers() {
    try {
      return tx.inTransaction(() -> true);
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    writer.close();
  }
}
