package dev.botfleet.common;

import java.util.function.Supplier;

/**
 * Runs work in one database transaction. Domain services use it to make a rule check and the write
 * it guards atomic (DESIGN "State and concurrency"); repositories called inside join the
 * transaction. Nested calls join the outer transaction.
 */
public interface Transactions {
  <T> T inTransaction(Supplier<T> work);

  /**
   * Runs {@code action} once the transaction open on this thread has committed, or at once when
   * none is open; never when it rolls back. For notifications to other threads (the dispatcher,
   * caches): they must not read the database before the change they announce is visible, also when
   * the change ran inside a caller's transaction (the idempotency wrapper, issue 8 §2).
   */
  default void afterCommit(Runnable action) {
    action.run();
  }

  default void run(Runnable work) {
    inTransaction(
        () -> {
          work.run();
          return null;
        });
  }
}
