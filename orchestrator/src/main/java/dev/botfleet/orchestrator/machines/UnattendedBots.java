package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.capacity.ConsumptionSource;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Unattended bots: process units allocated to machines (P2, P5), by an admin or by the machine
 * itself when a run needs one (P6), until an admin de-allocates them (P10). Every PROCESS-sku bot
 * consumes one unit of its environment's process pool (P1), which this class tells {@link
 * CapacityService} as a {@link ConsumptionSource}.
 *
 * <p>Lock order everywhere: SKU rows (capacity) → machine row → bot rows → run rows.
 */
public final class UnattendedBots {
  private final Transactions tx;
  private final MachineRepository machines;
  private final Machines registry;
  private final EnvironmentService environments;
  private final CapacityService capacity;
  private final AuditLog audit;
  private final Clock clock;
  private volatile RunControl runs;

  public UnattendedBots(
      Transactions tx,
      MachineRepository machines,
      Machines registry,
      EnvironmentService environments,
      CapacityService capacity,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.machines = requireNonNull(machines, "machines");
    this.registry = requireNonNull(registry, "registry");
    this.environments = requireNonNull(environments, "environments");
    this.capacity = requireNonNull(capacity, "capacity");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    capacity.addConsumptionSource(new BotConsumption());
  }

  public void setRunControl(RunControl runs) {
    this.runs = requireNonNull(runs, "runs");
  }

  /** P2/P5: allocates {@code count} process units to the machine as bots. */
  public Machine allocateBots(Principal caller, String machineId, int count) {
    if (count < 1) {
      throw BotfleetException.invalid(
          ErrorReason.P5_COUNT, "count: " + count + " (expected: >= 1)");
    }
    Machine target = registry.require(machineId);
    Environment env = environments.requireById(target.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "allocate bots in '" + env.name() + "'");
    tx.run(
        () -> {
          for (int i = 0; i < count; i++) {
            addBot(target.id(), Bot.Source.MANUAL);
          }
          audit.append(
              clock.instant(),
              caller.name(),
              "machine.bots.allocate",
              "machine=" + target.name(),
              Integer.toString(target.bots()),
              Integer.toString(target.bots() + count));
        });
    registry.changed(target.id());
    return registry.require(target.id());
  }

  /**
   * P6: called by dispatch when a run needs a bot on this machine and none is free. Returns the new
   * bot, or null when auto-allocation is off, P5 is reached or there is no free capacity.
   */
  /**
   * What {@link #autoAllocate} did: the new bot, or why none was added, as a wait code (R8): {@code
   * OVER_CAPACITY} (C8), {@code NO_PROCESS_CAPACITY}, {@code MAX_SESSIONS_REACHED}, {@code
   * AUTO_ALLOCATION_OFF}, {@code MACHINE_IN_MAINTENANCE} or {@code MACHINE_REMOVED}.
   */
  public record AutoAllocation(Bot bot, String refusal) {
    static AutoAllocation refused(String why) {
      return new AutoAllocation(null, why);
    }
  }

  public AutoAllocation autoAllocate(String machineId) {
    AutoAllocation result =
        tx.inTransaction(
            () -> {
              Machine m = machines.find(machineId).orElse(null);
              if (m == null || m.status() == MachineStatus.REMOVED) {
                return AutoAllocation.refused("MACHINE_REMOVED");
              }
              if (!m.autoAllocation()) {
                return AutoAllocation.refused("AUTO_ALLOCATION_OFF");
              }
              if (m.maintenance()) {
                return AutoAllocation.refused("MACHINE_IN_MAINTENANCE");
              }
              if (m.bots() >= m.capacity().maxSessions()) {
                return AutoAllocation.refused("MAX_SESSIONS_REACHED");
              }
              // C8 before free units: an over-capacity SKU may still show free units, and its
              // refusal must say so rather than pass for a busy fleet.
              if (capacity.overCapacity(Sku.PROCESS)) {
                return AutoAllocation.refused("OVER_CAPACITY");
              }
              if (capacity.freeIn(m.environmentId(), Sku.PROCESS) <= 0) {
                return AutoAllocation.refused("NO_PROCESS_CAPACITY");
              }
              try {
                Bot b = addBot(machineId, Bot.Source.AUTO);
                audit.append(
                    clock.instant(),
                    "system",
                    "machine.bots.auto-allocate",
                    "machine=" + m.name(),
                    Integer.toString(m.bots()),
                    Integer.toString(m.bots() + 1));
                return new AutoAllocation(b, null);
              } catch (BotfleetException e) {
                // Lost a race for the last unit or session: the refusal says which rule.
                return AutoAllocation.refused(
                    switch (e.reason()) {
                      case C8_OVER_CAPACITY -> "OVER_CAPACITY";
                      case P5_MAX_SESSIONS -> "MAX_SESSIONS_REACHED";
                      case MACHINE_REMOVED -> "MACHINE_REMOVED";
                      default -> "NO_PROCESS_CAPACITY";
                    });
              }
            });
    if (result.bot() != null) {
      registry.changed(machineId);
    }
    return result;
  }

  /**
   * Must run inside a transaction. Takes the capacity locks, then the machine lock (lock order).
   */
  private Bot addBot(String machineId, Bot.Source source) {
    Machine probe = machines.find(machineId).orElseThrow();
    Environment env = environments.requireById(probe.environmentId());
    capacity.requireFreeUnit(
        env.id(),
        Sku.PROCESS,
        ErrorReason.P5_NO_PROCESS_CAPACITY,
        "no free process capacity in '"
            + env.name()
            + "' for a bot on "
            + probe.name()
            + ": every PROCESS/UNATTENDED_RPA unit allocated there is in use; allocate more (SetAllocation, environment "
            + env.name()
            + ", sku PROCESS)");
    Machine m = machines.findForUpdate(machineId).orElseThrow();
    if (m.status() == MachineStatus.REMOVED) {
      throw BotfleetException.precondition(
          ErrorReason.MACHINE_REMOVED, "machine " + m.name() + " was removed (issue 12 §3)");
    }
    if (m.bots() >= m.capacity().maxSessions()) {
      throw BotfleetException.precondition(
          ErrorReason.P5_MAX_SESSIONS,
          "machine "
              + m.name()
              + " holds "
              + m.bots()
              + " bots and allows at most "
              + m.capacity().maxSessions()
              + " concurrent sessions (P5)");
    }
    Bot bot =
        new Bot(
            Ids.newId("bot"),
            m.id(),
            m.environmentId(),
            source,
            Sku.PROCESS,
            null,
            clock.instant());
    machines.insertBot(bot);
    return bot;
  }

  public record Deallocated(Machine machine, List<String> cancelledRunIds) {}

  /** P10: removes free bots first; busy bots only with force, which cancels their runs. */
  public Deallocated deallocateBots(Principal caller, String machineId, int count, boolean force) {
    if (count < 1) {
      throw BotfleetException.invalid(
          ErrorReason.P10_COUNT, "count: " + count + " (expected: >= 1)");
    }
    Machine target = registry.require(machineId);
    Environment env = environments.requireById(target.environmentId());
    Access.requireAdminOf(caller, env.id(), env.name(), "de-allocate bots in '" + env.name() + "'");
    List<String[]> stopped = new ArrayList<>();
    List<String> cancelled =
        tx.inTransaction(
            () -> {
              Machine m = machines.findForUpdate(target.id()).orElseThrow();
              if (count > m.bots()) {
                throw BotfleetException.precondition(
                    ErrorReason.P10_NOT_ENOUGH_BOTS,
                    "machine "
                        + m.name()
                        + " holds "
                        + m.bots()
                        + " bots; cannot de-allocate "
                        + count);
              }
              List<Bot> bots = new ArrayList<>(machines.bots(m.id()));
              // Free bots first, newest first: the oldest bots keep their place.
              bots.sort(
                  Comparator.comparing(Bot::busy)
                      .thenComparing(Bot::allocatedAt, Comparator.reverseOrder()));
              List<String> cancelledRuns = new ArrayList<>();
              int removed = 0;
              for (Bot b : bots) {
                if (removed == count) {
                  break;
                }
                if (!b.busy() && machines.deleteFreeBot(b.id())) {
                  removed++;
                  continue;
                }
                // It was free when listed but took a run before it could be deleted: read its run.
                String runId =
                    b.currentRunId() != null
                        ? b.currentRunId()
                        : machines.bot(b.id()).map(Bot::currentRunId).orElse(null);
                if (!force) {
                  throw BotfleetException.precondition(
                      ErrorReason.P10_BOT_BUSY,
                      "bot "
                          + b.id()
                          + " on "
                          + m.name()
                          + " is running run "
                          + runId
                          + "; wait for it to end or de-allocate with force set, which cancels that run");
                }
                if (runId != null) {
                  runs.cancelForDeallocation(runId, "BOT_DEALLOCATED");
                  cancelledRuns.add(runId);
                  stopped.add(new String[] {m.id(), runId});
                }
                machines.deleteBot(b.id());
                removed++;
              }
              audit.append(
                  clock.instant(),
                  caller.name(),
                  "machine.bots.deallocate",
                  "machine=" + m.name() + (force ? " force" : ""),
                  Integer.toString(m.bots()),
                  Integer.toString(m.bots() - removed)
                      + (cancelledRuns.isEmpty() ? "" : " cancelled " + cancelledRuns));
              return cancelledRuns;
            });
    for (String[] s : stopped) {
      runs.stopOnAgent(s[0], s[1], "BOT_DEALLOCATED");
    }
    registry.changed(target.id());
    return new Deallocated(registry.require(target.id()), cancelled);
  }

  /** P6: with auto-allocation off a machine never allocates itself a bot. */
  public Machine setAutoAllocation(Principal caller, String machineId, boolean enabled) {
    return registry.updateSettings(
        caller, machineId, "auto-allocation", m -> new boolean[] {enabled, m.maintenance()});
  }

  /** P1/P5: every PROCESS-sku bot consumes one unit of the environment's process pool. */
  private final class BotConsumption implements ConsumptionSource {
    @Override
    public Map<Sku, Long> consumedIn(String environmentId) {
      return Map.of(Sku.PROCESS, machines.processBots(environmentId));
    }

    @Override
    public Map<String, Map<Sku, Long>> consumedByEnvironment() {
      Map<String, Map<Sku, Long>> result = new HashMap<>();
      machines
          .processBotsByEnvironment()
          .forEach((env, n) -> result.put(env, Map.of(Sku.PROCESS, n)));
      return result;
    }

    @Override
    public String describe(String environmentId, Sku sku) {
      if (!sku.inProcessPool()) {
        return "";
      }
      Map<String, Long> byMachine =
          machines.botsInEnvironment(environmentId).stream()
              .filter(b -> b.sku() == Sku.PROCESS)
              .collect(Collectors.groupingBy(Bot::machineId, Collectors.counting()));
      if (byMachine.isEmpty()) {
        return "";
      }
      List<String> parts = new ArrayList<>();
      byMachine.forEach(
          (mid, n) -> parts.add(machines.find(mid).map(Machine::name).orElse(mid) + "=" + n));
      return byMachine.values().stream().mapToLong(Long::longValue).sum()
          + " bots on machines "
          + parts;
    }
  }
}
