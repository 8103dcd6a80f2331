package dev.botfleet.orchestrator.store;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Transactions on a thread-bound connection, so domain services stay free of JDBC while the
 * repositories they call join the same transaction. Deadlocks and serialization failures retry the
 * whole unit of work a few times: the work must therefore only touch the database. A failure to
 * reach the database is not retried: it surfaces after the pool's wait (issue 7).
 */
public final class JdbcTransactions implements Transactions {
  private static final int ATTEMPTS = 5;
  private final Database database;
  private final ThreadLocal<Connection> current = new ThreadLocal<>();
  private final ThreadLocal<List<Runnable>> afterCommit = new ThreadLocal<>();

  public JdbcTransactions(Database database) {
    this.database = database;
  }

  public Dialect dialect() {
    return database.dialect();
  }

  /** The connection of the transaction running on this thread. */
  Connection connection() {
    Connection c = current.get();
    if (c == null) {
      throw new IllegalStateException("repository called outside Transactions.inTransaction");
    }
    return c;
  }

  @Override
  public <T> T inTransaction(Supplier<T> work) {
    if (current.get() != null) {
      return work.get();
    }
    for (int attempt = 1; ; attempt++) {
      List<Runnable> actions = new ArrayList<>();
      T result;
      try (Connection c = database.dataSource().getConnection()) {
        current.set(c);
        afterCommit.set(actions);
        try {
          result = work.get();
          c.commit();
        } catch (RuntimeException | Error e) {
          rollbackQuietly(c, e);
          throw e;
        } finally {
          current.remove();
          afterCommit.remove();
        }
      } catch (SqlFailure e) {
        if (attempt < ATTEMPTS && retryable(e.getCause())) {
          backOff(attempt);
          continue;
        }
        throw e;
      } catch (SQLException e) {
        if (attempt < ATTEMPTS && retryable(e)) {
          backOff(attempt);
          continue;
        }
        throw new SqlFailure(e);
      }
      // Committed, and the connection is back in the pool: the actions may open transactions.
      for (Runnable action : actions) {
        action.run();
      }
      return result;
    }
  }

  @Override
  public void afterCommit(Runnable action) {
    List<Runnable> actions = afterCommit.get();
    if (actions == null) {
      action.run();
    } else {
      actions.add(action);
    }
  }

  /**
   * Deadlocks and serialization failures only. A lost or refused connection is never retried here
   * (issue 7): getting a connection already waited up to --db-wait, and retrying would multiply
   * that wait; the caller gets UNAVAILABLE and background writers retry on their own.
   */
  private boolean retryable(SQLException e) {
    return database.dialect().isRetryable(e.getSQLState()) && !DatabaseFailures.isUnreachable(e);
  }

  private static void backOff(int attempt) {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(1, 10L << attempt));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BotfleetException(
          ErrorReason.INTERRUPTED, "interrupted while retrying a transaction");
    }
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /** An unchecked wrapper for SQL errors, so repositories keep plain signatures. */
  public static final class SqlFailure extends RuntimeException {
    public SqlFailure(SQLException cause) {
      super(cause.getMessage(), cause);
    }

    @Override
    public synchronized SQLException getCause() {
      return (SQLException) super.getCause();
    }
  }
}
