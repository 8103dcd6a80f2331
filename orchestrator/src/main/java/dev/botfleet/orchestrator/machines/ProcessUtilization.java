package dev.botfleet.orchestrator.machines;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.capacity.ProcessUnitHolder;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * P8 process capacity utilization: for an environment, every process unit and where it is allocated
 * (bots on machines here, process flows through their {@link ProcessUnitHolder}), plus totals.
 */
public final class ProcessUtilization {
  private final Transactions tx;
  private final MachineRepository machines;
  private final EnvironmentService environments;
  private final CapacityService capacity;
  private final List<ProcessUnitHolder> otherHolders = new CopyOnWriteArrayList<>();

  public ProcessUtilization(
      Transactions tx,
      MachineRepository machines,
      EnvironmentService environments,
      CapacityService capacity) {
    this.tx = requireNonNull(tx, "tx");
    this.machines = requireNonNull(machines, "machines");
    this.environments = requireNonNull(environments, "environments");
    this.capacity = requireNonNull(capacity, "capacity");
  }

  /** Process flows (and other holders) register so P8 shows every unit. */
  public void addProcessUnitHolder(ProcessUnitHolder holder) {
    otherHolders.add(holder);
  }

  /** P8 for one environment. */
  public record Report(
      Environment environment,
      long pool,
      long toMachines,
      long toFlows,
      long free,
      List<ProcessUnitHolder.Held> units) {}

  public Report of(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(
        () -> {
          List<ProcessUnitHolder.Held> held = new ArrayList<>();
          Map<String, Machine> byId = new HashMap<>();
          machines.list(env.id()).forEach(m -> byId.put(m.id(), m));
          Map<String, Map<Bot.Source, Long>> perMachine = new HashMap<>();
          for (Bot b : machines.botsInEnvironment(env.id())) {
            if (b.sku() == Sku.PROCESS) {
              perMachine
                  .computeIfAbsent(b.machineId(), k -> new HashMap<>())
                  .merge(b.source(), 1L, Long::sum);
            }
          }
          perMachine.forEach(
              (mid, bySource) ->
                  bySource.forEach(
                      (src, n) ->
                          held.add(
                              new ProcessUnitHolder.Held(
                                  "machine", byId.get(mid).name(), n, src.name()))));
          long toMachines = held.stream().mapToLong(ProcessUnitHolder.Held::units).sum();
          long toFlows = 0;
          for (ProcessUnitHolder h : otherHolders) {
            for (ProcessUnitHolder.Held x : h.heldIn(env.id())) {
              held.add(x);
              toFlows += x.kind().equals("flow") ? x.units() : 0;
            }
          }
          held.sort(
              Comparator.comparing(ProcessUnitHolder.Held::kind)
                  .thenComparing(ProcessUnitHolder.Held::name));
          long free = capacity.freeIn(env.id(), Sku.PROCESS);
          long pool = free + toMachines + toFlows;
          return new Report(env, pool, toMachines, toFlows, free, held);
        });
  }
}
