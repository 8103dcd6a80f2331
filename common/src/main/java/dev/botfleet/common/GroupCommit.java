package dev.botfleet.common;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Group commit: many callers hand in one item each; a single writer thread applies whatever has
 * queued up in one batch (one transaction) and answers each caller only after the batch is durable.
 * Under load, batches grow and commits stay few; alone, a caller waits for one commit. Shared by
 * the writers of run submissions, agent run reports and usage records (issue 8 §3).
 *
 * <p>A batch holds up to {@code maxBatch} units of weight (one per item unless a weight function
 * says otherwise, e.g. the records of a call). Several writer threads may drain the one queue when
 * one transaction at a time cannot keep up (the metering writer, whose batches conflict only on the
 * same keys).
 *
 * <p>A caller either waits ({@link #submit}) or is called back ({@link #submitAsync}). A batch that
 * fails either fails its callers, or, with a {@link Retry}, is kept and written again after a pause
 * (for writes that must not be lost while the database is away).
 *
 * @param <I> what a caller hands in
 * @param <O> what it gets back once its batch committed
 */
public final class GroupCommit<I, O> implements AutoCloseable {
  private final Function<List<I>, List<O>> writeBatch;
  private final int maxBatch;
  private final ToIntFunction<I> weight;
  private final Retry retry;
  private final ErrorReason shuttingDownReason;
  private final BlockingQueue<Pending<I, O>> queue = new LinkedBlockingQueue<>();
  private final String name;
  private final List<Thread> writers = new ArrayList<>();
  private volatile boolean started;
  private volatile boolean running = true;

  private record Pending<I, O>(I item, CompletableFuture<O> done) {}

  /**
   * Failed batches are written again after {@code pause}; {@code failed} and {@code succeeded} are
   * told of each failed and each successful write (e.g. to log a failure once per interval).
   */
  public record Retry(Duration pause, Consumer<RuntimeException> failed, Runnable succeeded) {
    public Retry {
      requireNonNull(pause, "pause");
      requireNonNull(failed, "failed");
      requireNonNull(succeeded, "succeeded");
    }
  }

  /**
   * @param writeBatch applies a batch atomically and returns one answer per item, in order; if it
   *     throws, every caller of that batch gets the exception and nothing of the batch was written
   */
  public GroupCommit(String name, int maxBatch, Function<List<I>, List<O>> writeBatch) {
    this(name, maxBatch, writeBatch, null);
  }

  /**
   * @param retry null: a failed batch fails its callers; otherwise it is written again until it
   *     succeeds or the writer is closed
   */
  public GroupCommit(
      String name, int maxBatch, Function<List<I>, List<O>> writeBatch, Retry retry) {
    this(name, 1, maxBatch, item -> 1, writeBatch, retry, ErrorReason.SHUTTING_DOWN);
  }

  /**
   * @param writers how many threads drain the queue, each writing its own batches
   * @param weight the weight of an item against {@code maxBatch} (at least 1)
   * @param shuttingDownReason what callers left in the queue at close are failed with
   */
  public GroupCommit(
      String name,
      int writers,
      int maxBatch,
      ToIntFunction<I> weight,
      Function<List<I>, List<O>> writeBatch,
      Retry retry,
      ErrorReason shuttingDownReason) {
    this.name = requireNonNull(name, "name");
    this.writeBatch = requireNonNull(writeBatch, "writeBatch");
    this.weight = requireNonNull(weight, "weight");
    this.shuttingDownReason = requireNonNull(shuttingDownReason, "shuttingDownReason");
    this.retry = retry;
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch: " + maxBatch + " (expected: >= 1)");
    }
    if (writers < 1) {
      throw new IllegalArgumentException("writers: " + writers + " (expected: >= 1)");
    }
    this.maxBatch = maxBatch;
    for (int i = 0; i < writers; i++) {
      Thread writer = new Thread(this::loop, writers == 1 ? name : name + "-" + i);
      writer.setDaemon(true);
      this.writers.add(writer);
    }
  }

  /** Starts the writer threads; nothing is written before. */
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    writers.forEach(Thread::start);
  }

  /**
   * Hands in one item; the future completes on the writer thread once its batch committed, or
   * exceptionally if the batch failed (without a {@link Retry}) or the writer closed first.
   */
  public CompletableFuture<O> submitAsync(I item) {
    if (!started) {
      throw new IllegalStateException("group commit '" + name + "' is not started");
    }
    if (!running) {
      throw shuttingDown();
    }
    CompletableFuture<O> done = new CompletableFuture<>();
    queue.add(new Pending<>(item, done));
    return done;
  }

  /** Hands in one item and waits until its batch committed. */
  public O submit(I item, Duration timeout) {
    CompletableFuture<O> done = submitAsync(item);
    try {
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BotfleetException(
          ErrorReason.INTERRUPTED, "interrupted while waiting for the write");
    } catch (TimeoutException e) {
      throw new BotfleetException(
          ErrorReason.WRITE_TIMEOUT,
          "the write did not complete within " + timeout + "; retry with the same idempotency key");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private void loop() {
    List<Pending<I, O>> batch = new ArrayList<>();
    while (running || !queue.isEmpty()) {
      try {
        Pending<I, O> first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        int load = Math.max(1, weight.applyAsInt(first.item()));
        Pending<I, O> next;
        while (load < maxBatch && (next = queue.poll()) != null) {
          batch.add(next);
          load += Math.max(1, weight.applyAsInt(next.item()));
        }
        List<I> items = new ArrayList<>(batch.size());
        batch.forEach(p -> items.add(p.item()));
        List<O> answers;
        try {
          answers = writeBatch.apply(items);
        } catch (RuntimeException e) {
          if (retry == null) {
            batch.forEach(p -> p.done().completeExceptionally(e));
          } else if (!running) {
            // Closing: give up rather than retry for ever; unacknowledged, the items are sent
            // again.
            batch.forEach(p -> p.done().completeExceptionally(shuttingDown()));
          } else {
            // Not acknowledged: keep the batch and write it again after a pause.
            retry.failed().accept(e);
            queue.addAll(batch);
            Thread.sleep(retry.pause().toMillis());
          }
          continue;
        }
        if (retry != null) {
          retry.succeeded().run();
        }
        for (int i = 0; i < batch.size(); i++) {
          batch.get(i).done().complete(answers.get(i));
        }
      } catch (InterruptedException e) {
        break;
      } finally {
        batch.clear();
      }
    }
    Pending<I, O> left;
    while ((left = queue.poll()) != null) {
      left.done().completeExceptionally(shuttingDown());
    }
  }

  private BotfleetException shuttingDown() {
    return new BotfleetException(
        shuttingDownReason,
        "the orchestrator is shutting down; retry"
            + (shuttingDownReason == ErrorReason.SHUTTING_DOWN ? "" : " with the same keys"));
  }

  @Override
  public synchronized void close() {
    running = false;
    if (!started) {
      return;
    }
    try {
      for (Thread writer : writers) {
        writer.join(5000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
