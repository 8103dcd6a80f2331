package dev.botfleet.orchestrator.flows;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Transactions;
import dev.botfleet.orchestrator.admin.Access;
import dev.botfleet.orchestrator.admin.AuditLog;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.capacity.CapacityService;
import dev.botfleet.orchestrator.capacity.ConsumptionSource;
import dev.botfleet.orchestrator.capacity.ProcessUnitHolder;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.licensing.EntitlementMatrix;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Flow plans held as capacity: process units allocated to a cloud flow (P3, stackable) and per-flow
 * plans (P9, one per flow). Flows consume the process pool and the PER_FLOW SKU (C3), and show in
 * process utilization (P8).
 *
 * <p>Lock order: SKU rows (capacity) → flow rows.
 */
public final class FlowPlans {
  private final Transactions tx;
  private final FlowRepository flows;
  private final CloudFlows cloudFlows;
  private final FlowCharges charges;
  private final EnvironmentService environments;
  private final CapacityService capacity;
  private final AuditLog audit;
  private final Clock clock;

  public FlowPlans(
      Transactions tx,
      FlowRepository flows,
      CloudFlows cloudFlows,
      FlowCharges charges,
      EnvironmentService environments,
      CapacityService capacity,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.flows = requireNonNull(flows, "flows");
    this.cloudFlows = requireNonNull(cloudFlows, "cloudFlows");
    this.charges = requireNonNull(charges, "charges");
    this.environments = requireNonNull(environments, "environments");
    this.capacity = requireNonNull(capacity, "capacity");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    capacity.addConsumptionSource(new FlowConsumption());
  }

  // ---------------------------------------------------------------- P3 process units

  /**
   * P3: allocates {@code count} more process units of the environment's pool to the flow
   * (stackable).
   */
  public FlowView allocateProcess(
      Principal caller, String flowName, String environmentName, int count) {
    if (count < 1) {
      throw BotfleetException.invalid(
          ErrorReason.P3_COUNT, "count: " + count + " (expected: >= 1)");
    }
    CloudFlow ref = cloudFlows.require(flowName, environmentName);
    Environment env = environments.requireById(ref.environmentId());
    Access.requireAdminOf(
        caller, env.id(), env.name(), "allocate process capacity in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          long free =
              capacity.requireFreeUnit(
                  env.id(),
                  Sku.PROCESS,
                  ErrorReason.P3_NO_PROCESS_CAPACITY,
                  "no free process unit in '"
                      + env.name()
                      + "' for flow '"
                      + ref.name()
                      + "': every unit of the pool is allocated to machines or flows"
                      + " (see GetCapacitySummary); allocate more (SetAllocation, environment "
                      + env.name()
                      + ", sku PROCESS)");
          if (free < count) {
            throw BotfleetException.exhausted(
                ErrorReason.P3_NO_PROCESS_CAPACITY,
                "only "
                    + free
                    + " free process unit"
                    + (free == 1 ? "" : "s")
                    + " in '"
                    + env.name()
                    + "' (asked: "
                    + count
                    + "); allocate more (SetAllocation, environment "
                    + env.name()
                    + ", sku PROCESS)");
          }
          CloudFlow flow =
              flows
                  .findById(ref.id(), true)
                  .orElseThrow(() -> CloudFlows.notFound(flowName, "any more"));
          if (flow.parentId() != null) {
            String parent =
                flows.findById(flow.parentId(), false).map(CloudFlow::name).orElse(flow.parentId());
            throw BotfleetException.precondition(
                ErrorReason.P4_CHILD_CANNOT_BE_PROCESS_FLOW,
                "'"
                    + flow.name()
                    + "' is associated to process flow '"
                    + parent
                    + "' and so cannot become a process flow itself (P4);"
                    + " dissociate it first with `botfleet flow dissociate "
                    + flow.name()
                    + "`");
          }
          int after = Math.addExact(flow.processUnits(), count);
          flows.updateProcessUnits(flow.id(), after);
          charges.changed();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.allocate-process",
              "environment=" + env.name() + " flow=" + flow.name(),
              Integer.toString(flow.processUnits()),
              Integer.toString(after));
          return cloudFlows.view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }

  /** P3: gives {@code count} process units of the flow back to the pool. */
  public FlowView deallocateProcess(
      Principal caller, String flowName, String environmentName, int count) {
    if (count < 1) {
      throw BotfleetException.invalid(
          ErrorReason.P3_COUNT, "count: " + count + " (expected: >= 1)");
    }
    CloudFlow ref = cloudFlows.require(flowName, environmentName);
    Environment env = environments.requireById(ref.environmentId());
    Access.requireAdminOf(
        caller, env.id(), env.name(), "deallocate process capacity in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          CloudFlow flow =
              flows
                  .findById(ref.id(), true)
                  .orElseThrow(() -> CloudFlows.notFound(flowName, "any more"));
          if (count > flow.processUnits()) {
            throw BotfleetException.precondition(
                ErrorReason.P3_NOT_ALLOCATED,
                "'"
                    + flow.name()
                    + "' holds "
                    + flow.processUnits()
                    + " process units (asked to release "
                    + count
                    + ")");
          }
          int after = flow.processUnits() - count;
          if (after == 0) {
            int children = flows.countChildren(flow.id());
            if (children > 0 && flows.coveringTarget(flow.environmentId(), flow.name()).isEmpty()) {
              throw BotfleetException.precondition(
                  ErrorReason.P4_PARENT_HAS_ASSOCIATED_FLOWS,
                  "'"
                      + flow.name()
                      + "' has "
                      + children
                      + " associated flows, which need it to stay a process flow (P4);"
                      + " dissociate them first (`botfleet flow show "
                      + flow.name()
                      + "` lists them)");
            }
          }
          flows.updateProcessUnits(flow.id(), after);
          charges.changed();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.deallocate-process",
              "environment=" + env.name() + " flow=" + flow.name(),
              Integer.toString(flow.processUnits()),
              Integer.toString(after));
          return cloudFlows.view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }

  // ---------------------------------------------------------------- P9 per-flow

  /** P9: allocates one per-flow plan of the environment to the flow; at most one per flow. */
  public FlowView allocatePerFlow(Principal caller, String flowName, String environmentName) {
    CloudFlow ref = cloudFlows.require(flowName, environmentName);
    Environment env = environments.requireById(ref.environmentId());
    Access.requireAdminOf(
        caller, env.id(), env.name(), "allocate per-flow plans in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          capacity.requireFreeUnit(
              env.id(),
              Sku.PER_FLOW,
              ErrorReason.P9_NO_PER_FLOW_CAPACITY,
              "no free per-flow plan in '"
                  + env.name()
                  + "': allocate one (SetAllocation, environment "
                  + env.name()
                  + ", sku PER_FLOW)");
          CloudFlow flow =
              flows
                  .findById(ref.id(), true)
                  .orElseThrow(() -> CloudFlows.notFound(flowName, "any more"));
          if (flow.perFlow()) {
            throw BotfleetException.precondition(
                ErrorReason.P9_ONE_PER_FLOW,
                "'"
                    + flow.name()
                    + "' already has a per-flow plan; at most "
                    + EntitlementMatrix.PER_FLOW_MAX_PLANS_PER_FLOW
                    + " per cloud flow, and its 250,000 daily requests do not stack (for more, allocate process units: P3)");
          }
          flows.updatePerFlow(flow.id(), true);
          charges.changed();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.allocate-per-flow",
              "environment=" + env.name() + " flow=" + flow.name(),
              "0",
              "1");
          return cloudFlows.view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }

  public FlowView deallocatePerFlow(Principal caller, String flowName, String environmentName) {
    CloudFlow ref = cloudFlows.require(flowName, environmentName);
    Environment env = environments.requireById(ref.environmentId());
    Access.requireAdminOf(
        caller, env.id(), env.name(), "deallocate per-flow plans in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          CloudFlow flow =
              flows
                  .findById(ref.id(), true)
                  .orElseThrow(() -> CloudFlows.notFound(flowName, "any more"));
          if (!flow.perFlow()) {
            throw BotfleetException.precondition(
                ErrorReason.P9_NOT_ALLOCATED, "'" + flow.name() + "' has no per-flow plan");
          }
          flows.updatePerFlow(flow.id(), false);
          charges.changed();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.deallocate-per-flow",
              "environment=" + env.name() + " flow=" + flow.name(),
              "1",
              "0");
          return cloudFlows.view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }

  // ---------------------------------------------------------------- C3, P8

  /** P8: the process units held by flows, for the utilization page. */
  public ProcessUnitHolder processUnitHolder() {
    return environmentId ->
        tx.inTransaction(
            () ->
                flows.list(environmentId).stream()
                    .filter(f -> f.processUnits() > 0)
                    .map(
                        f ->
                            new ProcessUnitHolder.Held(
                                "flow", f.name(), f.processUnits(), "PROCESS"))
                    .toList());
  }

  /** C3: process flows consume the process pool (P3), per-flow plans the PER_FLOW SKU (P9). */
  private final class FlowConsumption implements ConsumptionSource {
    @Override
    public Map<Sku, Long> consumedIn(String environmentId) {
      return consumedByEnvironment().getOrDefault(environmentId, Map.of());
    }

    @Override
    public Map<String, Map<Sku, Long>> consumedByEnvironment() {
      Map<String, Map<Sku, Long>> result = new HashMap<>();
      tx.run(
          () -> {
            flows
                .processUnitsByEnvironment()
                .forEach(
                    (env, n) ->
                        result
                            .computeIfAbsent(env, k -> new java.util.EnumMap<>(Sku.class))
                            .put(Sku.PROCESS, n));
            flows
                .perFlowPlansByEnvironment()
                .forEach(
                    (env, n) ->
                        result
                            .computeIfAbsent(env, k -> new java.util.EnumMap<>(Sku.class))
                            .put(Sku.PER_FLOW, n));
          });
      return result;
    }

    @Override
    public String describe(String environmentId, Sku sku) {
      return tx.inTransaction(
          () -> {
            List<CloudFlow> list = flows.list(environmentId);
            if (sku.inProcessPool()) {
              var held = list.stream().filter(f -> f.processUnits() > 0).toList();
              return held.isEmpty()
                  ? ""
                  : held.stream().mapToInt(CloudFlow::processUnits).sum()
                      + " process units on flows "
                      + held.stream().limit(5).map(f -> f.name() + "×" + f.processUnits()).toList();
            }
            if (sku == Sku.PER_FLOW) {
              var held = list.stream().filter(CloudFlow::perFlow).toList();
              return held.isEmpty()
                  ? ""
                  : held.size()
                      + " per-flow plans on flows "
                      + held.stream().limit(5).map(CloudFlow::name).toList();
            }
            return "";
          });
    }
  }
}
