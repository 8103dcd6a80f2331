package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.ThrottledLog;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.machines.Machines;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Time-driven rules, checked every sweep: machines silent past offline-after go OFFLINE and their
 * runs are lost (A3, R5); unacknowledged assignments go back to the queue; queue and run time-outs
 * (R4, R10); cancels requested through other replicas reach local agents (R7).
 *
 * <p>Every change is a conditional update, so several replicas may sweep at once. A replica neither
 * declares machines offline nor expires leases during its restart grace after starting (by default
 * offline-after plus one heartbeat interval): agents need that long to reconnect after an
 * orchestrator restart and re-send what they hold (A3, A6).
 */
public final class RunSweeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunSweeper.class);

  /** While the database is down every sweep fails: logged once per interval (issue 7). */
  private final ThrottledLog sweepFailures = new ThrottledLog(log, "sweep_failed");

  /** A sweep failed since the last successful one: the database may have been away (issue 7). */
  private volatile boolean failedSinceLastSweep;

  private final Transactions tx;
  private final RunRepository runs;
  private final RunLifecycle lifecycle;
  private final Machines machines;
  private final Dispatcher dispatcher;
  private final Clock clock;
  private final Duration offlineAfter;
  private final Duration restartGrace;
  private volatile Instant startedAt;
  private final ScheduledExecutorService executor;
  private final Set<String> cancelsSent = new HashSet<>();
  private final AgentGateway gateway;
  private final Duration interval;
  private long sweeps;

  public RunSweeper(
      Transactions tx,
      RunRepository runs,
      RunLifecycle lifecycle,
      Machines machines,
      Dispatcher dispatcher,
      AgentGateway gateway,
      Clock clock,
      Duration offlineAfter,
      Duration restartGrace,
      Duration interval) {
    this.tx = requireNonNull(tx, "tx");
    this.runs = requireNonNull(runs, "runs");
    this.lifecycle = requireNonNull(lifecycle, "lifecycle");
    this.machines = requireNonNull(machines, "machines");
    this.dispatcher = requireNonNull(dispatcher, "dispatcher");
    this.clock = requireNonNull(clock, "clock");
    this.offlineAfter = requireNonNull(offlineAfter, "offlineAfter");
    this.restartGrace = requireNonNull(restartGrace, "restartGrace");
    this.gateway = requireNonNull(gateway, "gateway");
    this.interval = requireNonNull(interval, "interval");
    this.startedAt = clock.instant();
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "run-sweeper");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts sweeping every interval. */
  public void start() {
    // The grace for reconnecting agents counts from when they can reach us, not from construction.
    this.startedAt = clock.instant();
    executor.scheduleWithFixedDelay(
        this::safeSweep, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void safeSweep() {
    try {
      sweep();
      sweepFailures.succeeded();
    } catch (RuntimeException e) {
      failedSinceLastSweep = true;
      sweepFailures.failed(e);
    }
  }

  /**
   * One sweep; public so tests can drive it with a moved clock. Synchronized: a sweep called by a
   * test never interleaves with the background one (cancelsSent and the sweep count are shared).
   */
  public synchronized void sweep() {
    Instant now = clock.instant();
    if (failedSinceLastSweep) {
      // Issue 7: while the database was away, heartbeats could not be written, so last_seen is
      // stale for every machine. Like after a restart, give connected agents one offline-after
      // (their heartbeats are flushed meanwhile) before declaring anyone OFFLINE.
      failedSinceLastSweep = false;
      startedAt = now;
    }
    // A3, issue 9: after a restart (or the database's return) agents get the grace to reconnect and
    // re-send their reports before anyone is declared offline or any lease expires.
    boolean inGrace = now.isBefore(startedAt.plus(restartGrace));
    if (!inGrace) {
      Instant before = now.minus(offlineAfter);
      AgentGateway g = gateway;
      for (String machineId : machines.markStaleOffline(before)) {
        String name = machines.require(machineId).name();
        log.info("event=machine_offline machine={} offline_after={}", name, offlineAfter);
        lifecycle.events().offline(machineId);
        if (g != null) {
          // A stream that is still open but silent (a frozen agent) is no proof of life: end it, so
          // the agent says Hello again when it wakes and gets no new work meanwhile.
          g.disconnect(
              machineId,
              "marked OFFLINE after " + offlineAfter + " without heartbeats; say Hello again");
        }
        loseRuns(machineId, name);
      }
      // Machines already OFFLINE can still hold runs (assigned just before their status moved, or
      // between a revival and a death): loss detection covers them too, not only the transition.
      for (String machineId : machines.silentHoldingRuns(before)) {
        loseRuns(machineId, machines.require(machineId).name());
      }
    }
    // Each transition publishes its event: the dispatcher frees the bot, the agent is told to stop.
    if (!inGrace) {
      expireLeases(now);
    }
    for (Run run : tx.inTransaction(() -> runs.expiredQueue(now))) {
      lifecycle.queueTimedOut(run);
    }
    for (Run run : tx.inTransaction(() -> runs.overdueRunning(now))) {
      lifecycle.runTimedOut(run);
    }
    AgentGateway g = gateway;
    if (g != null) {
      Set<String> localMachines = g.connectedMachines();
      if (!localMachines.isEmpty()) {
        List<Run> cancels = tx.inTransaction(() -> runs.cancelRequested(localMachines));
        Set<String> still = new HashSet<>();
        for (Run run : cancels) {
          still.add(run.id());
          if (cancelsSent.add(run.id())) {
            g.cancel(run.machineId(), run.id(), "CANCELLED_BY_USER");
          }
        }
        cancelsSent.retainAll(still);
      }
    }
    if (++sweeps % 10 == 0) {
      dispatcher.reloadAll();
    }
    dispatcher.wake();
  }

  /**
   * R5: leases of assignments whose start was not reported in time. A run that is held (not
   * retryable) waits for its agent to say what became of it; the stream of a machine connected here
   * is ended, so its agent says Hello and names the runs it holds. A machine connected to another
   * replica is that replica's to judge; one connected nowhere is lost after offline-after.
   */
  private void expireLeases(Instant now) {
    AgentGateway g = gateway;
    Set<String> local = g == null ? Set.of() : g.connectedMachines();
    Set<String> disconnected = new HashSet<>();
    for (Run run : tx.inTransaction(() -> runs.expiredLeases(now))) {
      if (!run.retryable()
          && !local.contains(run.machineId())
          && machines.require(run.machineId()).status()
              == dev.botfleet.orchestrator.machines.MachineStatus.ONLINE) {
        continue;
      }
      if (lifecycle.leaseExpired(run) == RunLifecycle.LeaseExpiry.HELD
          && local.contains(run.machineId())
          && disconnected.add(run.machineId())) {
        log.warn(
            "event=lease_expired_unconfirmed run={} attempt={} machine={}",
            run.id(),
            run.attempt(),
            run.machineId());
        g.disconnect(
            run.machineId(),
            "the start of run "
                + run.id()
                + " was not reported within its lease; say Hello again with the runs you hold");
      }
    }
  }

  private void loseRuns(String machineId, String name) {
    for (Run run : tx.inTransaction(() -> runs.activeOn(machineId))) {
      lifecycle.agentLost(run, "machine " + name + " missed heartbeats for " + offlineAfter);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
