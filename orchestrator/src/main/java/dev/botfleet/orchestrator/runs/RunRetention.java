package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.ThrottledLog;
import dev.botfleet.common.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention of run history (issue 9 target 3): runs that ended (SUCCEEDED, FAILED, CANCELLED,
 * TIMED_OUT) longer ago than the retention period are deleted in the background, in small slices
 * (at most {@code batchSize} rows per transaction) with a pause between slices, so dispatch and
 * submission never wait behind a long delete. Queued, assigned and running runs are never touched,
 * whatever their age.
 *
 * <p>A deleted run takes its idempotency key and late result with it (both are columns of the run):
 * a key older than the retention period may be used again. Audit rows that name a run are
 * append-only (O4) and stay. Several replicas may purge at once: each slice deletes by primary key,
 * and on PostgreSQL a row another replica is deleting is skipped.
 */
public final class RunRetention implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunRetention.class);

  /** {@code --run-retention} by default. */
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);

  /** Rows per transaction. */
  public static final int DEFAULT_BATCH_SIZE = 1000;

  /** Pause between two slices of one pass, so other writers get the database in between. */
  public static final Duration DEFAULT_PAUSE = Duration.ofMillis(200);

  /** How often a pass starts (a pass ends when a slice comes back short). */
  public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(5);

  private final ThrottledLog failures = new ThrottledLog(log, "run_purge_failed");
  private final Transactions tx;
  private final RunRepository runs;
  private final Clock clock;
  private final Duration retention;
  private final int batchSize;
  private final Duration pause;
  private final Duration interval;
  private final AtomicLong purged = new AtomicLong();
  private final ScheduledExecutorService executor;
  private volatile boolean running = true;

  /**
   * @param retention how long a run is kept after it ended; zero keeps runs for ever
   */
  public RunRetention(
      Transactions tx,
      RunRepository runs,
      Clock clock,
      Duration retention,
      int batchSize,
      Duration pause,
      Duration interval) {
    this.tx = requireNonNull(tx, "tx");
    this.runs = requireNonNull(runs, "runs");
    this.clock = requireNonNull(clock, "clock");
    this.retention = requireNonNull(retention, "retention");
    this.pause = requireNonNull(pause, "pause");
    this.interval = requireNonNull(interval, "interval");
    if (retention.isNegative()) {
      throw new IllegalArgumentException(
          "run-retention: " + retention + " (expected: >= 0, 0 keeps runs for ever)");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: >= 1)");
    }
    this.batchSize = batchSize;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "run-retention");
              t.setDaemon(true);
              return t;
            });
  }

  /** Whether runs are purged at all ({@code --run-retention 0} keeps them). */
  public boolean enabled() {
    return !retention.isZero();
  }

  /** Runs deleted by this process since it started (the {@code botfleet.runs.purged} counter). */
  public long purged() {
    return purged.get();
  }

  /**
   * One pass: deletes slice after slice of runs that ended before now minus the retention period,
   * pausing between slices, until a slice comes back short. Returns how many runs it deleted.
   */
  public long purgeNow() {
    if (!enabled()) {
      return 0;
    }
    Instant cutoff = clock.instant().minus(retention);
    long total = 0;
    long started = System.nanoTime();
    while (running) {
      int n = tx.inTransaction(() -> runs.purgeEnded(cutoff, batchSize));
      total += n;
      purged.addAndGet(n);
      if (n < batchSize) {
        break;
      }
      try {
        Thread.sleep(pause.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (total > 0) {
      log.info(
          "event=runs_purged count={} ended_before={} took_ms={}",
          total,
          cutoff,
          (System.nanoTime() - started) / 1_000_000);
    }
    return total;
  }

  private void safePurge() {
    try {
      purgeNow();
      failures.succeeded();
    } catch (RuntimeException e) {
      // The database may be away (issue 7): try again at the next pass, logged once per interval.
      failures.failed(e);
    }
  }

  /** Starts purging: a first pass soon after start, then one every interval. */
  public void start() {
    if (!enabled()) {
      log.info("event=run_retention_off message=\"run retention is 0: runs are kept for ever\"");
      return;
    }
    executor.scheduleWithFixedDelay(
        this::safePurge,
        Math.min(interval.toMillis(), 10_000),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    running = false;
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
