package dev.botfleet.common;

import java.util.function.Supplier;

/**
 * Runs work in one database transaction. Domain services use it to make a rule check and the write
 * it guards atomic (DESIGN "State and concurrency"); repositories called inside join the
 * transaction. Nested calls join the outer transaction.
 */
public interface Transactions {
  <T> T inTransaction(Supplier<T> work);

  default void run(Runnable work) {
    inTransaction(
        () -> {
          work.run();
          return null;
        });
  }
}
