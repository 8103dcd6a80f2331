package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The registered machines: finding them (by id, by name, per environment), what their agents report
 * (capacity A2, heartbeats and ONLINE/OFFLINE A3) and maintenance (A7). Tells {@link
 * MachineListener}s after a machine's bots or settings changed.
 *
 * <p>Lock order everywhere: SKU rows (capacity) → machine row → bot rows → run rows.
 */
public final class Machines {
  private final Transactions tx;
  private final MachineRepository machines;
  private final EnvironmentService environments;
  private final AuditLog audit;
  private final Clock clock;
  private final List<MachineListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, String> machineIds = new ConcurrentHashMap<>();
  private final Map<String, Instant> hasBotUntil = new ConcurrentHashMap<>();
  private final Map<String, Instant> hasFlowUntil = new ConcurrentHashMap<>();
  private final Map<String, String> names = new ConcurrentHashMap<>();

  public Machines(
      Transactions tx,
      MachineRepository machines,
      EnvironmentService environments,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.machines = requireNonNull(machines, "machines");
    this.environments = requireNonNull(environments, "environments");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  public void addListener(MachineListener listener) {
    listeners.add(listener);
  }

  /** After commit: tells the listeners that the machine's bots, group or settings changed. */
  void changed(String machineId) {
    // After commit: a caller may have wrapped this call in its own transaction (idempotency).
    tx.afterCommit(
        () -> {
          for (MachineListener l : listeners) {
            l.machineChanged(machineId);
          }
        });
  }

  // ------------------------------------------------------------------ A2, A3 reports

  public void capacityChanged(String machineId, MachineCapacity report) {
    report.validate();
    tx.run(() -> machines.updateCapacity(machineId, report));
    changed(machineId);
  }

  /**
   * Heartbeats on live streams of {@code replica}, batched by the caller: one round trip for many
   * machines. A heartbeat on a live stream is proof of life, so it also brings a machine that was
   * marked OFFLINE (e.g. frozen past offline-after, then resumed) back to ONLINE (issue 7). Returns
   * those of the machines that were removed meanwhile (issue 12 §3), whose streams must end.
   */
  public Set<String> heartbeats(Map<String, Instant> lastSeen, String replica) {
    if (lastSeen.isEmpty()) {
      return Set.of();
    }
    return tx.inTransaction(
        () -> {
          machines.touch(lastSeen, requireNonNull(replica, "replica"));
          // Issue 12 §3: a machine removed through another replica: its stream here must end.
          return machines.removedAmong(lastSeen.keySet());
        });
  }

  /** The last time a stream that just closed saw its machine; changes no status. */
  public void lastSeen(String machineId, Instant at) {
    tx.run(() -> machines.touch(Map.of(machineId, at), null));
  }

  /**
   * OFFLINE machines silent since {@code before} that still hold active runs (R5 must reach them).
   */
  public List<String> silentHoldingRuns(Instant before) {
    return tx.inTransaction(() -> machines.silentHoldingRuns(before));
  }

  /** A3: marks ONLINE machines unseen since {@code before} OFFLINE; returns those it marked. */
  public List<String> markStaleOffline(Instant before) {
    List<String> stale = tx.inTransaction(() -> machines.staleOnline(before));
    List<String> marked = new ArrayList<>();
    for (String id : stale) {
      if (tx.inTransaction(() -> machines.markOffline(id, before))) {
        marked.add(id);
      }
    }
    return marked;
  }

  // ------------------------------------------------------------------ A7 maintenance

  /** A7: a machine in maintenance takes no new runs; running runs finish. */
  public Machine setMaintenance(Principal caller, String machineId, boolean enabled) {
    return updateSettings(
        caller, machineId, "maintenance", m -> new boolean[] {m.autoAllocation(), enabled});
  }

  /**
   * Changes a machine's settings ({auto-allocation, maintenance}) under its row lock, audited as
   * {@code machine.<what>}; shared by A7 here and P6 in {@link UnattendedBots}.
   */
  Machine updateSettings(
      Principal caller, String machineId, String what, Function<Machine, boolean[]> change) {
    Machine target = require(machineId);
    Environment env = environments.requireById(target.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "change machines in '" + env.name() + "'");
    tx.run(
        () -> {
          Machine m = machines.findForUpdate(target.id()).orElseThrow();
          boolean[] next = change.apply(m);
          machines.updateSettings(m.id(), next[0], next[1]);
          audit.append(
              clock.instant(),
              caller.name(),
              "machine." + what,
              "machine=" + m.name(),
              "auto_allocation=" + m.autoAllocation() + " maintenance=" + m.maintenance(),
              "auto_allocation=" + next[0] + " maintenance=" + next[1]);
        });
    changed(target.id());
    return require(target.id());
  }

  // ------------------------------------------------------------------ removal (issue 12 §3)

  /**
   * Removes a machine (issue 12 §3, A1): in one transaction under the machine's row lock, {@code
   * endRuns} ends or re-queues its runs (the run rules own that), then its bots are deleted (their
   * process units go back to the environment's pool, P1) and it is marked REMOVED, which revokes
   * its credential and frees its name; audited as {@code machine.remove}. Returns false when it was
   * removed already (a second removal changes nothing).
   */
  public boolean remove(Principal caller, String machineId, Runnable endRuns) {
    Machine target = require(machineId);
    Environment env = environments.requireById(target.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "remove machines in '" + env.name() + "'");
    boolean removed =
        tx.inTransaction(
            () -> {
              Machine m = machines.findForUpdate(target.id()).orElseThrow();
              if (m.status() == MachineStatus.REMOVED) {
                return false;
              }
              endRuns.run();
              List<Bot> bots = machines.bots(m.id());
              for (Bot b : bots) {
                machines.deleteBot(b.id());
              }
              Instant now = clock.instant();
              machines.markRemoved(m.id(), now);
              audit.append(
                  now,
                  caller.name(),
                  "machine.remove",
                  "environment=" + env.name() + " machine=" + m.name(),
                  m.status() + " bots=" + bots.size(),
                  "REMOVED " + m.id());
              return true;
            });
    if (removed) {
      machineIds.remove(target.environmentId() + "/" + target.name());
      hasBotUntil.remove(target.id());
      if (target.groupId() != null) {
        hasBotUntil.remove(target.groupId());
      }
      changed(target.id());
    }
    return removed;
  }

  /** A machine removed earlier under this name, for an idempotent second removal by name. */
  public java.util.Optional<Machine> removedByName(String environmentId, String name) {
    return tx.inTransaction(() -> machines.findRemovedByName(environmentId, name));
  }

  // ------------------------------------------------------------------ queries

  public Machine require(String id) {
    return tx.inTransaction(() -> machines.find(id))
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.MACHINE_NOT_FOUND, "machine '" + id + "' does not exist"));
  }

  /**
   * The id of a machine by its name in an environment. Machines are never renamed or deleted, so
   * the answer is remembered; run submission stays off the database for it. A removal forgets it
   * here (issue 12 §3); another replica may answer the removed machine's id until it restarts,
   * which then has no bot and fails the run fast (R4).
   */
  public String resolveIdIn(String environmentId, String name) {
    String key = environmentId + "/" + name;
    String id = machineIds.get(key);
    if (id == null) {
      id = resolveIn(environmentId, name).id();
      machineIds.put(key, id);
    }
    return id;
  }

  /** Whether the machine (or any machine of the group) holds at least one bot: R4's fast path. */
  public boolean targetHasBot(boolean group, String targetId) {
    Instant now = clock.instant();
    Instant until = hasBotUntil.get(targetId);
    if (until != null && until.isAfter(now)) {
      return true;
    }
    boolean has =
        tx.inTransaction(
            () -> group ? machines.groupHasBot(targetId) : machines.machineHasBot(targetId));
    if (has) {
      // A yes is remembered briefly: it only decides between queueing and failing fast (R4), and
      // a run queued for a target whose bots were just removed still waits, says why, and times
      // out.
      hasBotUntil.put(targetId, now.plusSeconds(2));
    } else {
      hasBotUntil.remove(targetId);
    }
    return has;
  }

  /**
   * A5, R4: whether some machine of the group, online or not, reported the desktop flow installed
   * in its last capacity report. A yes is remembered briefly, like {@link #targetHasBot}.
   */
  public boolean groupHasFlow(String groupId, String flow) {
    Instant now = clock.instant();
    String key = groupId + "/" + flow;
    Instant until = hasFlowUntil.get(key);
    if (until != null && until.isAfter(now)) {
      return true;
    }
    boolean has =
        machinesInGroup(groupId).stream()
            .anyMatch(
                m ->
                    m.status() != MachineStatus.REMOVED
                        && m.capacity().installedFlows().contains(flow));
    if (has) {
      if (hasFlowUntil.size() > 10_000) {
        hasFlowUntil.clear(); // bounded: a cache, not a registry
      }
      hasFlowUntil.put(key, now.plusSeconds(2));
    }
    return has;
  }

  /** A machine's name by id; names never change, so lists of runs need no query per row. */
  public String nameOf(String machineId) {
    return names.computeIfAbsent(machineId, id -> require(id).name());
  }

  /** By name in an environment: one meaning per field (issue 8), never "a name or an id". */
  public Machine resolveIn(String environmentId, String nameOrId) {
    Machine m =
        tx.inTransaction(() -> machines.findByName(environmentId, nameOrId))
            .orElseThrow(
                () ->
                    BotfleetException.notFound(
                        ErrorReason.MACHINE_NOT_FOUND,
                        "machine '" + nameOrId + "' does not exist in this environment"));
    if (!m.environmentId().equals(environmentId)) {
      throw BotfleetException.notFound(
          ErrorReason.MACHINE_NOT_FOUND, "machine '" + nameOrId + "' is not in this environment");
    }
    return m;
  }

  public List<Machine> list(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(() -> machines.list(env.id()));
  }

  public List<Machine> listByIds(Collection<String> ids) {
    return tx.inTransaction(() -> machines.listByIds(ids));
  }

  public List<Machine> machinesInGroup(String groupId) {
    return tx.inTransaction(() -> machines.listInGroup(groupId));
  }

  public List<Bot> bots(String machineId) {
    return tx.inTransaction(() -> machines.bots(machineId));
  }

  public List<Bot> botsOfMachines(Collection<String> machineIds) {
    return tx.inTransaction(() -> machines.botsOfMachines(machineIds));
  }
}
