package dev.botfleet.orchestrator.store;

import dev.botfleet.common.ThrottledLog;
import dev.botfleet.orchestrator.runs.Run;
import dev.botfleet.orchestrator.runs.RunEvents;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicas sharing one PostgreSQL learn of newly queued runs through LISTEN/NOTIFY (DESIGN "State
 * and concurrency"), so a run submitted through one replica reaches a machine connected to another
 * at once rather than at the next safety sweep. Publishing is coalesced: a burst of submissions
 * sends one NOTIFY per few milliseconds. Each replica ignores its own notifications.
 */
public final class PostgresRunNotifier implements RunEvents, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostgresRunNotifier.class);
  private static final String CHANNEL = "botfleet_runs";

  /**
   * While the database is down both loops reconnect every second: logged once per interval (issue
   * 7).
   */
  private final ThrottledLog notifyFailures = new ThrottledLog(log, "pg_notify_failed");

  private final ThrottledLog listenFailures = new ThrottledLog(log, "pg_listen_failed");

  private final String url;
  private final Properties props = new Properties();
  private final String replicaId;
  private final Runnable onRemoteQueued;
  private final java.util.function.Consumer<String> onRemoteMachineChange;
  private final java.util.Set<String> changedMachines =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicBoolean dirty = new AtomicBoolean();
  private final Object signal = new Object();
  private final Thread listener;
  private final Thread publisher;
  private volatile boolean running = true;

  public PostgresRunNotifier(
      String url,
      String user,
      String password,
      String replicaId,
      Runnable onRemoteQueued,
      java.util.function.Consumer<String> onRemoteMachineChange) {
    this.onRemoteMachineChange = onRemoteMachineChange;
    this.url = url;
    if (user != null && !user.isBlank()) {
      props.setProperty("user", user);
    }
    if (password != null && !password.isBlank()) {
      props.setProperty("password", password);
    }
    this.replicaId = replicaId;
    this.onRemoteQueued = onRemoteQueued;
    listener = new Thread(this::listen, "pg-listen");
    listener.setDaemon(true);
    publisher = new Thread(this::publishLoop, "pg-notify");
    publisher.setDaemon(true);
  }

  /** Starts listening and publishing. */
  public void start() {
    listener.start();
    publisher.start();
  }

  /** A run was queued through this replica (R1). */
  @Override
  public void queued(Run run) {
    publish();
  }

  /** A run went back to the queue through this replica (R5). */
  @Override
  public void requeued(String runId) {
    publish();
  }

  private void publish() {
    if (dirty.compareAndSet(false, true)) {
      synchronized (signal) {
        signal.notifyAll();
      }
    }
  }

  /**
   * A machine's bots or settings changed through this replica: the replica holding its agent stream
   * must re-read it now (A7 maintenance, new bots), not at its next safety reload.
   */
  public void machineChanged(String machineId) {
    changedMachines.add(machineId);
    publish();
  }

  private void publishLoop() {
    while (running) {
      try (Connection c = DriverManager.getConnection(url, props)) {
        c.setAutoCommit(true);
        notifyFailures.succeeded();
        while (running) {
          synchronized (signal) {
            while (!dirty.get() && running) {
              signal.wait(1000);
            }
          }
          if (!running) {
            return;
          }
          Thread.sleep(2); // let a burst accumulate into one notification
          dirty.set(false);
          List<String> machines = new ArrayList<>(changedMachines);
          changedMachines.removeAll(machines);
          try (var ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, CHANNEL);
            ps.setString(2, replicaId);
            ps.execute();
            for (String m : machines) {
              ps.setString(1, CHANNEL);
              ps.setString(2, replicaId + " machine:" + m);
              ps.execute();
            }
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (SQLException e) {
        notifyFailures.failed(e);
        sleep(1000);
      }
    }
  }

  private void listen() {
    while (running) {
      try (Connection c = DriverManager.getConnection(url, props)) {
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        listenFailures.succeeded();
        onRemoteQueued.run(); // anything missed while not listening
        while (running) {
          PGNotification[] notifications = pg.getNotifications(1000);
          if (notifications == null) {
            continue;
          }
          boolean wake = false;
          for (PGNotification n : notifications) {
            String p = n.getParameter();
            if (p.startsWith(replicaId)) {
              continue;
            }
            int m = p.indexOf(" machine:");
            if (m >= 0) {
              onRemoteMachineChange.accept(p.substring(m + " machine:".length()));
            } else {
              wake = true;
            }
          }
          if (wake) {
            onRemoteQueued.run();
          }
        }
      } catch (SQLException e) {
        if (running) {
          listenFailures.failed(e);
          sleep(1000);
        }
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    synchronized (signal) {
      signal.notifyAll();
    }
    listener.interrupt();
    publisher.interrupt();
  }
}
