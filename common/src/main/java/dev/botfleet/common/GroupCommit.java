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
import java.util.function.Function;

/**
 * Group commit: many callers hand in one item each; a single writer thread applies whatever has
 * queued up in one batch (one transaction) and answers each caller only after the batch is durable.
 * Under load, batches grow and commits stay few; alone, a caller waits for one commit.
 *
 * @param <I> what a caller hands in
 * @param <O> what it gets back once its batch committed
 */
public final class GroupCommit<I, O> implements AutoCloseable {
  private final Function<List<I>, List<O>> writeBatch;
  private final int maxBatch;
  private final BlockingQueue<Pending<I, O>> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile boolean started;
  private volatile boolean running = true;

  private record Pending<I, O>(I item, CompletableFuture<O> done) {}

  /**
   * @param writeBatch applies a batch atomically and returns one answer per item, in order; if it
   *     throws, every caller of that batch gets the exception and nothing of the batch was written
   */
  public GroupCommit(String name, int maxBatch, Function<List<I>, List<O>> writeBatch) {
    this.writeBatch = requireNonNull(writeBatch, "writeBatch");
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch: " + maxBatch + " (expected: >= 1)");
    }
    this.maxBatch = maxBatch;
    this.writer = new Thread(this::loop, name);
    writer.setDaemon(true);
  }

  /** Starts the writer thread; nothing is written before. */
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    writer.start();
  }

  /** Hands in one item and waits until its batch committed. */
  public O submit(I item, Duration timeout) {
    if (!started) {
      throw new IllegalStateException("group commit '" + writer.getName() + "' is not started");
    }
    if (!running) {
      throw new BotfleetException(
          ErrorReason.SHUTTING_DOWN, "the orchestrator is shutting down; retry");
    }
    CompletableFuture<O> done = new CompletableFuture<>();
    queue.add(new Pending<>(item, done));
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
        queue.drainTo(batch, maxBatch - 1);
        List<I> items = new ArrayList<>(batch.size());
        batch.forEach(p -> items.add(p.item()));
        List<O> answers;
        try {
          answers = writeBatch.apply(items);
        } catch (RuntimeException e) {
          batch.forEach(p -> p.done().completeExceptionally(e));
          continue;
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
      left.done()
          .completeExceptionally(
              new BotfleetException(
                  ErrorReason.SHUTTING_DOWN, "the orchestrator is shutting down; retry"));
    }
  }

  @Override
  public synchronized void close() {
    running = false;
    if (!started) {
      return;
    }
    try {
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
