package dev.botfleet.common;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * One read serves every caller that asked while the previous read was in flight, and no caller gets
 * a value read before it asked: each caller's answer comes from a read that started after its call,
 * so whatever was committed before the call is seen (nothing is cached across calls).
 *
 * <p>Issue 9, measured on PostgreSQL: every RPC reads the credential generation so a revocation
 * takes effect at once on every replica; at 500 calls/s those single-row reads queued on the pool
 * and were the largest wait of a submission. Shared, a burst of calls costs one read per round
 * trip, however many calls, and the guarantee is the same.
 *
 * <p>At most one read is in flight; callers who arrive meanwhile form the next round, whose first
 * caller runs it once the read in flight has finished.
 */
public final class SharedRead<T> {
  private final Supplier<T> source;
  private final Object lock = new Object();

  /** The round whose read is in flight, or null when none is. */
  private CompletableFuture<T> current;

  /** The round callers join while {@link #current} is in flight; its leader waits for it. */
  private CompletableFuture<T> next;

  public SharedRead(Supplier<T> source) {
    this.source = requireNonNull(source, "source");
  }

  /** A value read after this call began; the source's exception if that read failed. */
  public T get() {
    CompletableFuture<T> mine;
    CompletableFuture<T> waitFor = null;
    boolean lead = false;
    synchronized (lock) {
      if (current == null) {
        mine = new CompletableFuture<>();
        current = mine;
        lead = true;
      } else {
        if (next == null) {
          next = new CompletableFuture<>();
          waitFor = current;
          lead = true;
        }
        mine = next;
      }
    }
    if (lead) {
      if (waitFor != null) {
        try {
          waitFor.get();
        } catch (ExecutionException e) {
          // That round's failure is its callers' answer; this round reads again.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        synchronized (lock) {
          current = mine;
          next = null;
        }
      }
      try {
        mine.complete(source.get());
      } catch (RuntimeException | Error e) {
        mine.completeExceptionally(e);
      } finally {
        synchronized (lock) {
          if (current == mine && next == null) {
            current = null;
          }
        }
      }
    }
    try {
      return mine.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BotfleetException(ErrorReason.INTERRUPTED, "interrupted while reading");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }
}
