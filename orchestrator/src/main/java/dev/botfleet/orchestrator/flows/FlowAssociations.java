package dev.botfleet.orchestrator.flows;

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

/**
 * P4 associations: a cloud flow associated to a process flow (at most 25 per parent, one parent per
 * flow, no process flow on either side of a chain) has its requests charged to the parent (M1).
 *
 * <p>Lock order: flow rows in id order. The bound of 25 is checked under the parent's row lock, so
 * concurrent associations serialise.
 */
public final class FlowAssociations {
  /** P4: a process flow has at most this many associated flows. */
  public static final int MAX_ASSOCIATED_FLOWS = 25;

  private final Transactions tx;
  private final FlowRepository flows;
  private final CloudFlows cloudFlows;
  private final FlowCharges charges;
  private final EnvironmentService environments;
  private final AuditLog audit;
  private final Clock clock;

  public FlowAssociations(
      Transactions tx,
      FlowRepository flows,
      CloudFlows cloudFlows,
      FlowCharges charges,
      EnvironmentService environments,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.flows = requireNonNull(flows, "flows");
    this.cloudFlows = requireNonNull(cloudFlows, "cloudFlows");
    this.charges = requireNonNull(charges, "charges");
    this.environments = requireNonNull(environments, "environments");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  // ---------------------------------------------------------------- P4 association

  /**
   * P4: associates {@code flowName} to process flow {@code processFlowName}. The parent must be a
   * process flow (P3 units, or P7 cover) that is not itself associated; the child must not be a
   * process flow, must not have associated flows, and has at most one parent; a parent has at most
   * 25 children. Both rows are locked (in id order), so concurrent associations cannot exceed 25.
   */
  public FlowView associate(
      Principal caller, String processFlowName, String flowName, String environmentName) {
    CloudFlow parentRef = cloudFlows.require(processFlowName, environmentName);
    CloudFlow childRef =
        cloudFlows.require(
            flowName,
            environmentName == null || environmentName.isBlank()
                ? environments.requireById(parentRef.environmentId()).name()
                : environmentName);
    Environment env = environments.requireById(parentRef.environmentId());
    Access.requireMakerIn(caller, env.id(), env.name(), "associate flows in '" + env.name() + "'");
    if (parentRef.id().equals(childRef.id())) {
      throw BotfleetException.invalid(
          ErrorReason.P4_SELF_ASSOCIATION,
          "a flow cannot be associated to itself ('" + flowName + "')");
    }
    if (!parentRef.environmentId().equals(childRef.environmentId())) {
      throw BotfleetException.invalid(
          ErrorReason.P4_OTHER_ENVIRONMENT,
          "'" + flowName + "' and '" + processFlowName + "' are in different environments");
    }
    return tx.inTransaction(
        () -> {
          CloudFlow parent;
          CloudFlow child;
          if (parentRef.id().compareTo(childRef.id()) < 0) {
            parent =
                flows
                    .findById(parentRef.id(), true)
                    .orElseThrow(() -> CloudFlows.notFound(processFlowName, "any more"));
            child =
                flows
                    .findById(childRef.id(), true)
                    .orElseThrow(() -> CloudFlows.notFound(flowName, "any more"));
          } else {
            child =
                flows
                    .findById(childRef.id(), true)
                    .orElseThrow(() -> CloudFlows.notFound(flowName, "any more"));
            parent =
                flows
                    .findById(parentRef.id(), true)
                    .orElseThrow(() -> CloudFlows.notFound(processFlowName, "any more"));
          }
          if (parent.id().equals(child.parentId())) {
            return cloudFlows.view(child, env);
          }
          if (parent.parentId() != null) {
            throw BotfleetException.precondition(
                ErrorReason.P4_PARENT_IS_ASSOCIATED,
                "'"
                    + parent.name()
                    + "' is itself associated to another flow; only a process flow can have associated flows");
          }
          if (charges.processBacked(parent).isEmpty()) {
            throw BotfleetException.precondition(
                ErrorReason.P4_PARENT_NOT_PROCESS_FLOW,
                "'"
                    + parent.name()
                    + "' is not a process flow: allocate a process unit to it first (AllocateProcess, flow "
                    + parent.name()
                    + ", count 1, P3), or let it trigger runs on a machine holding a bot (P7)");
          }
          if (child.processUnits() > 0
              || flows.countChildren(child.id()) > 0
              || charges.processBacked(child).isPresent()) {
            throw BotfleetException.precondition(
                ErrorReason.P4_PROCESS_FLOW_AS_CHILD,
                "'"
                    + child.name()
                    + "' is a process flow ("
                    + (child.processUnits() > 0
                        ? child.processUnits() + " process units"
                        : flows.countChildren(child.id()) > 0
                            ? "it has associated flows"
                            : "covered by a machine, P7")
                    + "); a process flow cannot be associated to another flow (P4)");
          }
          if (child.parentId() != null) {
            String other =
                flows
                    .findById(child.parentId(), false)
                    .map(CloudFlow::name)
                    .orElse(child.parentId());
            throw BotfleetException.precondition(
                ErrorReason.P4_ALREADY_ASSOCIATED,
                "'"
                    + child.name()
                    + "' is already associated to '"
                    + other
                    + "'; a flow has at most one parent (P4): `botfleet flow dissociate "
                    + child.name()
                    + "` first");
          }
          int children = flows.countChildren(parent.id());
          if (children >= MAX_ASSOCIATED_FLOWS) {
            throw BotfleetException.precondition(
                ErrorReason.P4_ASSOCIATION_LIMIT,
                "'"
                    + parent.name()
                    + "' already has "
                    + children
                    + " associated flows (expected: at most "
                    + MAX_ASSOCIATED_FLOWS
                    + "); allocate a process unit to another flow and associate there");
          }
          flows.updateParent(child.id(), parent.id());
          charges.changed();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.associate",
              "environment=" + env.name() + " flow=" + child.name(),
              null,
              parent.name());
          return cloudFlows.view(flows.findById(child.id(), false).orElseThrow(), env);
        });
  }

  /** P4: removes the flow's association; its requests are then charged by its own plan (M1). */
  public FlowView dissociate(Principal caller, String flowName, String environmentName) {
    CloudFlow ref = cloudFlows.require(flowName, environmentName);
    Environment env = environments.requireById(ref.environmentId());
    Access.requireMakerIn(caller, env.id(), env.name(), "dissociate flows in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          CloudFlow flow =
              flows
                  .findById(ref.id(), true)
                  .orElseThrow(() -> CloudFlows.notFound(flowName, "any more"));
          if (flow.parentId() == null) {
            throw BotfleetException.precondition(
                ErrorReason.P4_NOT_ASSOCIATED,
                "'" + flow.name() + "' is not associated to a process flow");
          }
          String parent =
              flows.findById(flow.parentId(), false).map(CloudFlow::name).orElse(flow.parentId());
          flows.updateParent(flow.id(), null);
          charges.changed();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.dissociate",
              "environment=" + env.name() + " flow=" + flow.name(),
              parent,
              null);
          return cloudFlows.view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }
}
