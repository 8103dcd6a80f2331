package dev.botfleet.orchestrator.runs;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.ThrottledLog;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.machines.Bot;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.machines.MachineListener;
import dev.botfleet.orchestrator.machines.Machines;
import dev.botfleet.orchestrator.machines.UnattendedBots;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matches queued runs to free bots of the machines whose streams this replica holds (R2, R3, R9,
 * P6, A7). Woken by events — run queued, bot freed, machine connected or changed — never by a busy
 * poll; the sweeper wakes it now and then as a safety net.
 *
 * <p>Only this replica assigns to its connected machines, so its view of their free bots is the
 * working copy; the database stays the judge: a claim is a conditional update of the run and of the
 * bot, so a run is assigned at most once and a bot carries at most one run, whatever races.
 */
public final class Dispatcher implements MachineListener, RunEvents, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  /**
   * While the database is down every pass fails: logged once per interval, not every pass (issue
   * 7).
   */
  private final ThrottledLog dispatchFailures = new ThrottledLog(log, "dispatch_failed");

  private static final int BATCH = 512;

  private final Transactions tx;
  private final RunRepository runs;
  private final Machines machines;
  private final UnattendedBots bots;
  private final RunLifecycle lifecycle;
  private final Clock clock;
  private final Duration lease;
  private final Map<String, LocalMachine> local = new ConcurrentHashMap<>();

  /** run id → the machine and bot it holds here, to free the bot when it ends. */
  private final Map<String, Held> held = new ConcurrentHashMap<>();

  private final Set<String> pendingReloads = ConcurrentHashMap.newKeySet();

  /** The head of each target's queue as this replica knows it (issue 9 target 2). */
  private final QueueCache queue = new QueueCache();

  private final Object signal = new Object();
  private boolean dirty;
  private volatile boolean running = true;
  private volatile AgentGateway gateway;
  private final Thread thread;

  private record Held(String machineId, String botId) {}

  private static final class LocalMachine {
    final String id;
    volatile String groupId;
    volatile boolean maintenance;
    volatile boolean autoAllocation;
    volatile int bots;
    volatile int maxSessions;
    volatile Set<String> flows = Set.of();

    /** System.nanoTime() until which the agent gets nothing new: it just refused a run. */
    volatile long coolOffUntil = System.nanoTime();

    final Set<String> freeBots = ConcurrentHashMap.newKeySet();

    /**
     * Bots given back by run ends while a reload reads the machine's bots: that read may predate
     * the end, so they stay free (and their runs are not held) whatever it says.
     */
    final Set<String> releasedWhileReading = ConcurrentHashMap.newKeySet();

    volatile boolean reading;

    LocalMachine(String id) {
      this.id = id;
    }

    boolean usable() {
      return !maintenance && System.nanoTime() - coolOffUntil >= 0;
    }

    boolean growable() {
      return usable() && autoAllocation && bots < maxSessions;
    }

    /**
     * P5: a machine that reports fewer sessions than it holds bots keeps its busy bots until their
     * runs end, but takes a new run only while fewer than its sessions are busy.
     */
    int room() {
      int offer = freeBots.size() + (autoAllocation ? Math.max(0, maxSessions - bots) : 0);
      return Math.max(0, Math.min(offer, maxSessions - busy()));
    }

    boolean hasFreeBot() {
      return !freeBots.isEmpty() && busy() < maxSessions;
    }

    private int busy() {
      return Math.max(0, bots - freeBots.size());
    }

    /** A5: the agent reported the flow installed (its local allow-list). */
    boolean installed(String flow) {
      return flows.contains(flow);
    }
  }

  public Dispatcher(
      Transactions tx,
      RunRepository runs,
      Machines machines,
      UnattendedBots bots,
      RunLifecycle lifecycle,
      Clock clock,
      Duration lease) {
    this.tx = requireNonNull(tx, "tx");
    this.runs = requireNonNull(runs, "runs");
    this.machines = requireNonNull(machines, "machines");
    this.bots = requireNonNull(bots, "bots");
    this.lifecycle = requireNonNull(lifecycle, "lifecycle");
    this.clock = requireNonNull(clock, "clock");
    this.lease = requireNonNull(lease, "lease");
    thread = new Thread(this::loop, "dispatcher");
    thread.setDaemon(true);
  }

  public void start(AgentGateway gateway) {
    this.gateway = requireNonNull(gateway, "gateway");
    thread.start();
  }

  // ------------------------------------------------------------------ events

  public void wake() {
    synchronized (signal) {
      dirty = true;
      signal.notifyAll();
    }
  }

  public void machineConnected(String machineId) {
    local.putIfAbsent(machineId, new LocalMachine(machineId));
    pendingReloads.add(machineId);
    wake();
  }

  /**
   * The machine's agent refused a run for want of a free slot although a bot looked free here (its
   * slots are held by runs this side already ended, e.g. lost then reported late): it gets nothing
   * new for {@link #REFUSAL_COOL_OFF}, instead of an assign-refuse loop, each turn a new attempt.
   */
  public void refusedBy(String machineId) {
    LocalMachine m = local.get(machineId);
    if (m != null) {
      m.coolOffUntil = System.nanoTime() + REFUSAL_COOL_OFF.toNanos();
    }
  }

  static final Duration REFUSAL_COOL_OFF = Duration.ofSeconds(1);

  public void machineDisconnected(String machineId) {
    local.remove(machineId);
  }

  @Override
  public void machineChanged(String machineId) {
    if (local.containsKey(machineId)) {
      pendingReloads.add(machineId);
      wake();
    }
  }

  /**
   * Every local machine is re-read and every queue read again from the database: catches changes
   * made through other replicas.
   */
  public void reloadAll() {
    pendingReloads.addAll(local.keySet());
    queue.forgetAll();
    wake();
  }

  /** Another replica queued runs (LISTEN/NOTIFY): this replica's queue copies may lack them. */
  public void remoteQueued() {
    queue.forgetAll();
    wake();
  }

  // RunEvents: the dispatcher follows the run life cycle (issue 8 §3); nobody calls it after a
  // transition.

  @Override
  public void queued(Run run) {
    queue.add(run);
    wake();
  }

  @Override
  public void assigned(Claim claim, Duration queueWait) {
    held.put(claim.run().id(), new Held(claim.machineId(), claim.botId()));
  }

  @Override
  public void requeued(String runId) {
    // Rare (refusals, lost leases): the run's target is not at hand, so every copy is read again.
    queue.forgetAll();
    released(runId);
    wake();
  }

  @Override
  public void ended(
      String runId, String machineId, RunState state, String failureReason, Duration took) {
    queue.remove(runId);
    released(runId);
  }

  /** A run ended or went back to the queue: its bot is free again. */
  private void released(String runId) {
    Held h = held.remove(runId);
    if (h == null) {
      return;
    }
    LocalMachine m = local.get(h.machineId());
    if (m != null) {
      if (m.reading) {
        m.releasedWhileReading.add(h.botId()); // before the add: see LocalMachine.reading
      }
      m.freeBots.add(h.botId());
      wake();
    }
  }

  public int localMachines() {
    return local.size();
  }

  // ------------------------------------------------------------------ loop

  private void loop() {
    while (running) {
      synchronized (signal) {
        while (!dirty && running) {
          try {
            signal.wait(1000);
          } catch (InterruptedException e) {
            return;
          }
          if (!dirty) {
            break;
          }
        }
        dirty = false;
      }
      try {
        processReloads();
        while (running && dispatchOnce()) {
          processReloads();
        }
        dispatchFailures.succeeded();
      } catch (RuntimeException e) {
        dispatchFailures.failed(e);
        sleepQuietly(200);
        wake();
      }
    }
  }

  private void processReloads() {
    if (pendingReloads.isEmpty()) {
      return;
    }
    Set<String> ids = new HashSet<>(pendingReloads);
    pendingReloads.removeAll(ids);
    ids.retainAll(local.keySet());
    if (ids.isEmpty()) {
      return;
    }
    for (String id : ids) {
      LocalMachine lm = local.get(id);
      if (lm != null) {
        lm.releasedWhileReading.clear();
        lm.reading = true;
      }
    }
    // One query for all their bots: a safety reload covers every local machine (thousands).
    Map<String, List<Bot>> botsByMachine = new java.util.HashMap<>();
    for (Bot b : machines.botsOfMachines(ids)) {
      botsByMachine.computeIfAbsent(b.machineId(), k -> new ArrayList<>()).add(b);
    }
    for (Machine m : machines.listByIds(ids)) {
      LocalMachine lm = local.get(m.id());
      if (lm == null) {
        continue;
      }
      lm.groupId = m.groupId();
      lm.maintenance = m.maintenance();
      lm.autoAllocation = m.autoAllocation();
      lm.maxSessions = m.capacity().maxSessions();
      lm.flows = Set.copyOf(m.capacity().installedFlows());
      List<Bot> bots = botsByMachine.getOrDefault(m.id(), List.of());
      lm.bots = bots.size();
      Set<String> free = new HashSet<>();
      for (Bot b : bots) {
        if (b.currentRunId() == null || lm.releasedWhileReading.contains(b.id())) {
          free.add(b.id());
        } else {
          held.put(b.currentRunId(), new Held(m.id(), b.id()));
        }
      }
      lm.freeBots.retainAll(free);
      lm.freeBots.addAll(free);
      lm.reading = false;
      AgentGateway g = gateway;
      if (g != null) {
        g.pushSettings(m.id(), lm.bots, lm.maintenance);
      }
    }
  }

  /** One pass; true when it assigned something (so another pass may find more). */
  boolean dispatchOnce() {
    if (local.isEmpty()) {
      return false;
    }
    // What each target could take now: free bots, plus bots auto-allocation may still add (P6).
    Map<String, Integer> targets = new LinkedHashMap<>();
    for (LocalMachine m : local.values()) {
      int room = m.usable() ? m.room() : 0;
      if (room > 0) {
        targets.merge(m.id, room, Integer::sum);
        if (m.groupId != null) {
          targets.merge(m.groupId, room, Integer::sum);
        }
      }
    }
    if (targets.isEmpty()) {
      return false;
    }
    targets.replaceAll((k, v) -> Math.min(v, BATCH));
    // Issue 9 target 2: from this replica's copy of each queue where it is known to be complete,
    // else read from the database; a pass that assigns what this replica just queued reads nothing.
    List<Run> queued =
        new ArrayList<>(queue.take(targets, t -> tx.inTransaction(() -> runs.queuedFor(t))));
    queued.sort(QueueCache.ORDER); // R3 within each target; across targets it does not matter
    if (queued.isEmpty()) {
      return false;
    }
    Instant now = clock.instant();
    Instant leaseUntil = now.plus(lease);
    List<Claim> claims = new ArrayList<>();
    Set<String> cannotGrow = new HashSet<>();
    boolean failedAny = false;
    for (Run run : queued) {
      if (!deadlineComputable(run, leaseUntil)) {
        // Issue 7: a run whose deadline cannot be computed (a time-out stored before the API
        // bounded it) ends alone; it must not fail the batch, and so every run behind it (R9).
        failedAny |=
            failUndispatchable(
                run,
                "its run time-out of "
                    + run.runTimeout().toSeconds()
                    + " s cannot be added to the current time");
        continue;
      }
      LocalMachine chosen = choose(run, cannotGrow);
      if (chosen == null) {
        continue; // R9: this run waits; runs behind it for other machines still go.
      }
      String bot = takeBot(chosen);
      if (bot == null) {
        var allocation = bots.autoAllocate(chosen.id); // P6
        Bot added = allocation.bot();
        if (added == null) {
          cannotGrow.add(chosen.id);
          lifecycle.events().autoAllocationRefused(chosen.id, allocation.refusal());
          continue;
        }
        chosen.bots++;
        bot = added.id();
        // The stream is ordered: the agent learns of its new bot before the assignment that uses
        // it.
        gateway.pushSettings(chosen.id, chosen.bots, chosen.maintenance);
      }
      claims.add(new Claim(run, chosen.id, bot, run.attempt() + 1));
    }
    if (claims.isEmpty()) {
      return failedAny;
    }
    List<Claim> won = claim(claims, now, leaseUntil); // publishes assigned: held, metrics
    Set<String> wonIds = new HashSet<>();
    won.forEach(c -> wonIds.add(c.run().id()));
    queue.removeAll(won.stream().map(Claim::run).toList());
    for (Claim c : claims) {
      if (!wonIds.contains(c.run().id())) {
        // Lost the run (cancelled, or claimed elsewhere) or the bot: re-read the machine, and the
        // run's queue, which may still hold it or not.
        pendingReloads.add(c.machineId());
        queue.forget(c.run().target().id());
      }
    }
    AgentGateway g = gateway;
    for (Claim c : won) {
      if (!g.assign(c.machineId(), c)) {
        // Back to the queue; the requeued event frees the bot.
        lifecycle.requeue(c.run().id(), c.attempt(), c.machineId(), "agent refused: NOT_CONNECTED");
      }
    }
    return !won.isEmpty();
  }

  /**
   * Claims in one batch; when the batch fails because of some run's values, each claim alone, so
   * one run that cannot be claimed ends {@code FAILED DISPATCH_FAILED} and the others still go
   * (issue 7, R9).
   */
  private List<Claim> claim(List<Claim> claims, Instant now, Instant leaseUntil) {
    try {
      return lifecycle.claim(claims, now, leaseUntil);
    } catch (RuntimeException batch) {
      if (notAboutTheRun(batch) || claims.size() == 1 && !failClaim(claims.get(0), batch)) {
        throw batch;
      }
      if (claims.size() == 1) {
        return List.of();
      }
      List<Claim> won = new ArrayList<>();
      for (Claim c : claims) {
        try {
          won.addAll(lifecycle.claim(List.of(c), now, leaseUntil));
        } catch (RuntimeException e) {
          if (notAboutTheRun(e)) {
            throw e;
          }
          failClaim(c, e);
        }
      }
      return won;
    }
  }

  /** Ends a claim's run DISPATCH_FAILED and gives its bot back; false if the run was not ended. */
  private boolean failClaim(Claim c, RuntimeException e) {
    LocalMachine m = local.get(c.machineId());
    if (m != null) {
      m.freeBots.add(c.botId());
    }
    return failUndispatchable(c.run(), "claiming it failed: " + e.getClass().getSimpleName());
  }

  /**
   * Whether a failure is about a run's own values (an overflow, a time that cannot be computed, a
   * value that cannot be bound); anything else, such as the database being away, is not the run's
   * fault and fails the whole pass as before.
   */
  private static boolean notAboutTheRun(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ArithmeticException
          || c instanceof java.time.DateTimeException
          || c instanceof IllegalArgumentException) {
        return false;
      }
    }
    return true;
  }

  /** The claim stores {@code leaseUntil + run time-out + grace}: it must not overflow. */
  private static boolean deadlineComputable(Run run, Instant leaseUntil) {
    try {
      leaseUntil.plus(run.runTimeout()).plus(Duration.ofDays(1));
      return true;
    } catch (ArithmeticException | java.time.DateTimeException e) {
      return false;
    }
  }

  /**
   * Issue 7: a run that cannot be dispatched fails alone, with a reason, instead of blocking the
   * queue.
   */
  private boolean failUndispatchable(Run run, String why) {
    try {
      String message = "the run cannot be dispatched: " + why;
      if (lifecycle.end(run, RunState.FAILED, "DISPATCH_FAILED", message, Duration.ZERO)) {
        log.warn("event=run_dispatch_failed run={} why={}", run.id(), why);
        return true;
      }
    } catch (RuntimeException e) {
      log.warn("event=run_dispatch_fail_failed run={} error={}", run.id(), e.toString());
    }
    return false;
  }

  private LocalMachine choose(Run run, Set<String> cannotGrow) {
    if (run.target().kind() == RunTarget.Kind.MACHINE) {
      LocalMachine m = local.get(run.target().id());
      if (m == null || !m.usable()) {
        return null;
      }
      // A run for one machine goes to it even without the flow: its agent refuses it FLOW_NOT_
      // INSTALLED with a clear reason (A5). A group has machines that may have it.
      return m.hasFreeBot() || (m.growable() && !cannotGrow.contains(m.id)) ? m : null;
    }
    LocalMachine best = null;
    for (LocalMachine m : local.values()) {
      if (m.usable()
          && run.target().id().equals(m.groupId)
          && m.installed(run.flowName())
          && m.hasFreeBot()) {
        if (best == null || m.freeBots.size() > best.freeBots.size()) {
          best = m;
        }
      }
    }
    if (best != null) {
      return best;
    }
    return local.values().stream()
        .filter(
            m ->
                run.target().id().equals(m.groupId)
                    && m.installed(run.flowName())
                    && m.growable()
                    && !cannotGrow.contains(m.id))
        .min(Comparator.comparingInt(m -> m.bots))
        .orElse(null);
  }

  private static String takeBot(LocalMachine m) {
    Iterator<String> it = m.freeBots.iterator();
    while (it.hasNext()) {
      String b = it.next();
      if (m.freeBots.remove(b)) {
        return b;
      }
    }
    return null;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    wake();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
