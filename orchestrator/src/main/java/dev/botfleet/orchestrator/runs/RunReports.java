package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.ThrottledLog;
import dev.botfleet.common.Transactions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private Thread writer;
  private volatile boolean running = true;

  private record Pending(RunReport report, Runnable committed) {}

  public RunReports(
      Transactions tx,
      RunRepository runs,
      RunLifecycle lifecycle,
      AgentReportFence fence,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.runs = requireNonNull(runs, "runs");
    this.lifecycle = requireNonNull(lifecycle, "lifecycle");
    this.fence = requireNonNull(fence, "fence");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Starts the writer thread. */
  public synchronized void start() {
    if (writer != null) {
      throw new IllegalStateException("already started");
    }
    writer = new Thread(this::loop, "run-reports");
    writer.setDaemon(true);
    writer.start();
  }

  /** Queues a report; {@code committed} runs after it is durable (also when it changed nothing). */
  public void submit(RunReport report, Runnable committed) {
    queue.add(new Pending(requireNonNull(report, "report"), committed));
  }

  private void loop() {
    List<Pending> batch = new ArrayList<>();
    while (running || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        write(batch);
        writeFailures.succeeded();
        batch.clear();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // Not acknowledged: keep the batch and try again; agents keep their reports meanwhile.
        writeFailures.failed(e);
        sleepQuietly(500);
        queue.addAll(batch);
        batch.clear();
      }
    }
  }

  private void write(List<Pending> batch) {
    List<RunReport> reports = new ArrayList<>(batch.size());
    batch.forEach(p -> reports.add(p.report()));
    List<RunReport> applied;
    try {
      applied = lifecycle.applyReports(reports); // publishes ended: bots freed, metrics
    } catch (RuntimeException batchFailure) {
      // One bad report must not hold back the others: write them one at a time.
      applied = new ArrayList<>();
      for (RunReport r : reports) {
        applied.addAll(writeAlone(r, batchFailure));
      }
    }
    judgeUnapplied(reports, applied);
    afterCommit(batch);
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
      if (!databaseAnswers()) {
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

  /** Acknowledges each report of the batch; the transitions were published when they applied. */
  private void afterCommit(List<Pending> batch) {
    for (Pending p : batch) {
      if (p.committed() != null) {
        try {
          p.committed().run();
        } catch (RuntimeException e) {
          log.debug("event=report_ack_failed error={}", e.toString());
        }
      }
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public synchronized void close() {
    running = false;
    if (writer == null) {
      return;
    }
    try {
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
