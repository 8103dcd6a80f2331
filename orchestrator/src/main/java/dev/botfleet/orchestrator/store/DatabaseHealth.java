package dev.botfleet.orchestrator.store;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.ThrottledLog;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the database answers, for {@code /healthz} (issue 7). A background probe checks it every
 * {@link #INTERVAL} on its own connection, outside the pool, with a {@link #TIMEOUT} time-out;
 * {@link #healthy()} only reads the last result, so {@code /healthz} never waits for the database.
 * A result older than {@link #STALE_AFTER} (a probe that hangs) counts as unhealthy.
 *
 * <p>Nothing runs until {@link #start()}.
 */
public final class DatabaseHealth implements AutoCloseable {
  static final Duration INTERVAL = Duration.ofMillis(500);
  static final Duration TIMEOUT = Duration.ofSeconds(1);
  static final Duration STALE_AFTER = Duration.ofMillis(2500);
  private static final Logger log = LoggerFactory.getLogger(DatabaseHealth.class);

  private final Database database;
  private final ThrottledLog failures = new ThrottledLog(log, "database_probe_failed");
  private volatile long lastOkNanos;
  private volatile boolean running;
  private Thread thread;
  private Connection connection;

  public DatabaseHealth(Database database) {
    this.database = requireNonNull(database, "database");
  }

  /**
   * Probes once now (so a started orchestrator reports healthy at once), then in the background.
   */
  public synchronized void start() {
    if (thread != null) {
      return;
    }
    running = true;
    probe();
    thread = new Thread(this::loop, "database-health");
    thread.setDaemon(true);
    thread.start();
  }

  /** True if the last probe succeeded and is recent. Never blocks. */
  public boolean healthy() {
    long ok = lastOkNanos;
    return ok != 0 && System.nanoTime() - ok < STALE_AFTER.toNanos();
  }

  private void loop() {
    while (running) {
      try {
        Thread.sleep(INTERVAL.toMillis());
      } catch (InterruptedException e) {
        break;
      }
      probe();
    }
    closeConnection();
  }

  private void probe() {
    try {
      if (connection == null || !connection.isValid((int) TIMEOUT.toSeconds())) {
        closeConnection();
        connection = database.openUnpooled(TIMEOUT);
        if (!connection.isValid((int) TIMEOUT.toSeconds())) {
          throw new SQLException("connection not valid", "08000");
        }
      }
      lastOkNanos = System.nanoTime();
      failures.succeeded();
    } catch (SQLException | RuntimeException e) {
      closeConnection();
      lastOkNanos = 0;
      failures.failed(e);
    }
  }

  private void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already broken
      }
    }
  }

  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else {
      closeConnection();
    }
  }
}
