package dev.botfleet.orchestrator.flows;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.common.Ids;
import dev.botfleet.common.Names;
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
import dev.botfleet.orchestrator.licensing.Action;
import dev.botfleet.orchestrator.licensing.ConnectorTier;
import dev.botfleet.orchestrator.licensing.Decision;
import dev.botfleet.orchestrator.licensing.EntitlementCheck;
import dev.botfleet.orchestrator.licensing.EntitlementMatrix;
import dev.botfleet.orchestrator.licensing.EnvironmentKind;
import dev.botfleet.orchestrator.licensing.FlowContext;
import dev.botfleet.orchestrator.licensing.FlowPlan;
import dev.botfleet.orchestrator.licensing.LicenseType;
import dev.botfleet.orchestrator.users.LicenseService;
import dev.botfleet.orchestrator.users.LicensedUser;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Cloud flows and their plans: process flows (P3), association (P4), machine cover (P7), per-flow
 * plans (P9), sharing (L4) and the charge of their requests (M1).
 *
 * <p>Lock order: SKU rows (capacity) → flow rows, several flow rows in id order. The P4 bound of 25
 * associated flows is checked under the parent's row lock, so concurrent associations serialise.
 */
public final class FlowService {
  /** P4: a process flow has at most this many associated flows. */
  public static final int MAX_ASSOCIATED_FLOWS = 25;

  private final Transactions tx;
  private final FlowRepository flows;
  private final EnvironmentService environments;
  private final CapacityService capacity;
  private final LicenseService licenses;
  private final AuditLog audit;
  private final Clock clock;
  private final java.util.concurrent.atomic.AtomicLong version =
      new java.util.concurrent.atomic.AtomicLong();

  public FlowService(
      Transactions tx,
      FlowRepository flows,
      EnvironmentService environments,
      CapacityService capacity,
      LicenseService licenses,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.flows = requireNonNull(flows, "flows");
    this.environments = requireNonNull(environments, "environments");
    this.capacity = requireNonNull(capacity, "capacity");
    this.licenses = requireNonNull(licenses, "licenses");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    capacity.addConsumptionSource(new FlowConsumption());
  }

  /**
   * Grows with every change to flows, plans or licenses made through this replica (metering caches
   * charges against it). P7 cover changes with bots and runs, which this counter does not see.
   */
  public long version() {
    return version.get() + licenses.version();
  }

  /** A flow with everything derived about it. */
  public record FlowView(
      CloudFlow flow,
      Environment environment,
      String owner,
      Charge charge,
      Optional<String> coveredBy,
      Optional<String> parent,
      List<String> associated,
      List<String> sharedWith) {}

  // ---------------------------------------------------------------- create, read

  /**
   * Creates a cloud flow owned by {@code ownerName}. The owner's licenses must allow the flow's
   * highest connector tier in this environment (L2, L7, L8); a denial is PERMISSION_DENIED naming
   * the rule, with the next step.
   */
  public FlowView create(
      Principal caller,
      String name,
      String environmentName,
      String ownerName,
      Collection<ConnectorTier> connectors,
      String app,
      LicenseType appLicense) {
    Names.require("flow", name);
    Environment env = environments.require(environmentName);
    Access.requireMakerIn(caller, env.id(), env.name(), "create flows in '" + env.name() + "'");
    LicensedUser owner = licenses.requireUser(ownerName);
    String appName = app == null || app.isBlank() ? null : Names.require("app", app);
    LicenseType license =
        appName == null ? null : (appLicense == null ? LicenseType.POWER_APPS_PREMIUM : appLicense);
    if (appName == null && appLicense != null) {
      throw BotfleetException.invalid(
          ErrorReason.L2_APP_REQUIRED,
          "app license: "
              + appLicense
              + " given without app (expected: the app the flow is associated to)");
    }
    Set<ConnectorTier> tiers =
        connectors == null || connectors.isEmpty()
            ? EnumSet.of(ConnectorTier.STANDARD)
            : EnumSet.copyOf(connectors);
    CloudFlow flow =
        new CloudFlow(
            Ids.newId("flw"),
            env.id(),
            name,
            owner.id(),
            tiers,
            appName,
            license,
            0,
            false,
            null,
            clock.instant());
    EnvironmentKind kind = kind(env);
    FlowContext context =
        license == null ? FlowContext.onUserLicenses(kind) : FlowContext.inContextOf(license, kind);
    Decision d =
        licenses.decide(
            new EntitlementCheck.Request(
                owner.name(),
                licenses.activeLicenses(owner.id()),
                kind,
                Action.CREATE_FLOW,
                flow.highestTier() == ConnectorTier.STANDARD ? null : flow.highestTier(),
                context,
                licenses.selfServiceTrialAvailable(owner.id())));
    d.requireAllowed();
    return tx.inTransaction(
        () -> {
          if (!flows.insert(flow)) {
            throw BotfleetException.alreadyExists(
                ErrorReason.FLOW_EXISTS,
                "flow '"
                    + name
                    + "' already exists in '"
                    + env.name()
                    + "' (expected: a new name)");
          }
          version.incrementAndGet();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.create",
              "environment=" + env.name() + " flow=" + name,
              null,
              "owner="
                  + owner.name()
                  + " connectors="
                  + tiers
                  + (appName == null ? "" : " app=" + appName));
          return view(flow, env);
        });
  }

  public FlowView get(String name, String environmentName) {
    CloudFlow flow = require(name, environmentName);
    return tx.inTransaction(() -> view(flow, environments.requireById(flow.environmentId())));
  }

  public List<FlowView> list(String environmentName) {
    Environment env = environments.require(environmentName);
    return tx.inTransaction(
        () -> {
          List<FlowView> views = new ArrayList<>();
          for (CloudFlow f : flows.list(env.id())) {
            views.add(view(f, env));
          }
          return views;
        });
  }

  /**
   * The flow by its environment and name (unique there). One meaning per field (issue 8): the
   * environment is always named, never guessed from a name that happens to be unique.
   */
  public CloudFlow require(String name, String environmentName) {
    Environment env = environments.require(environmentName);
    if (name == null || name.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.FLOW_REQUIRED, "flow: missing (expected: a cloud flow name)");
    }
    return tx.inTransaction(() -> flows.find(env.id(), name, false))
        .orElseThrow(() -> notFound(name, "in '" + env.name() + "'"));
  }

  public CloudFlow requireById(String id) {
    return tx.inTransaction(() -> flows.findById(id, false))
        .orElseThrow(
            () ->
                BotfleetException.notFound(
                    ErrorReason.FLOW_NOT_FOUND, "flow id '" + id + "' does not exist"));
  }

  private static BotfleetException notFound(String name, String where) {
    return BotfleetException.notFound(
        ErrorReason.FLOW_NOT_FOUND,
        "flow '" + name + "' does not exist " + where + " (see ListFlows of its environment)");
  }

  private FlowView view(CloudFlow flow, Environment env) {
    Charge charge = charge(flow);
    Optional<String> coveredBy = flows.coveringTarget(flow.environmentId(), flow.name());
    Optional<String> parent =
        flow.parentId() == null
            ? Optional.empty()
            : flows.findById(flow.parentId(), false).map(CloudFlow::name);
    List<String> associated =
        flows.children(flow.id()).stream().map(CloudFlow::name).sorted().toList();
    List<String> shared = new ArrayList<>();
    for (String userId : flows.sharedWithUserIds(flow.id())) {
      shared.add(licenses.requireUserById(userId).name());
    }
    String owner = licenses.requireUserById(flow.ownerId()).name();
    return new FlowView(flow, env, owner, charge, coveredBy, parent, associated, shared);
  }

  // ---------------------------------------------------------------- M1 charge

  /**
   * M1: the one bucket the flow's requests are charged to, decided in this order (the first that
   * applies wins):
   *
   * <ol>
   *   <li>P3: the flow has process units → its own bucket, 250,000 per unit;
   *   <li>P4: it is associated to a parent that is a process flow now (P3 units or P7 cover) → the
   *       parent's bucket and limit;
   *   <li>P7: a target it triggered a run on holds a bot now → its own bucket, 250,000;
   *   <li>P9: it has a per-flow plan → its own bucket, 250,000;
   *   <li>L3: otherwise its owner's licenses → the owner's user bucket, the sum of their limits.
   * </ol>
   *
   * An associated flow whose parent lost its process backing falls through to 3–5 for itself.
   */
  public Charge charge(CloudFlow flow) {
    return tx.inTransaction(
        () -> {
          Optional<Charge> own =
              ownProcessCharge(flow, flow.processUnits() > 0 ? FlowPlan.PROCESS : null);
          if (own.isPresent()) {
            return own.get();
          }
          if (flow.parentId() != null) {
            CloudFlow parent = flows.findById(flow.parentId(), false).orElse(null);
            if (parent != null) {
              Optional<Charge> parentCharge = processBacked(parent);
              if (parentCharge.isPresent()) {
                Charge p = parentCharge.get();
                return new Charge(
                    FlowPlan.ASSOCIATED_TO_PROCESS,
                    p.bucketKind(),
                    p.bucketId(),
                    p.bucketName(),
                    p.bucketPlan(),
                    p.baseLimit(),
                    "P4: '"
                        + flow.name()
                        + "' is associated to process flow '"
                        + parent.name()
                        + "'; its requests count against the parent's "
                        + p.bucketPlan().displayName()
                        + " ("
                        + p.explanation()
                        + ")");
              }
            }
          }
          Optional<String> cover = flows.coveringTarget(flow.environmentId(), flow.name());
          if (cover.isPresent()) {
            return new Charge(
                FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                Charge.BucketKind.FLOW,
                flow.id(),
                "flow:" + flow.name(),
                FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PROCESS_INHERITED_FROM_MACHINE, 1),
                "P7: '"
                    + flow.name()
                    + "' triggered runs on "
                    + cover.get()
                    + ", which holds at least one bot; 250,000 requests a day, not stacked");
          }
          if (flow.perFlow()) {
            return new Charge(
                FlowPlan.PER_FLOW,
                Charge.BucketKind.FLOW,
                flow.id(),
                "flow:" + flow.name(),
                FlowPlan.PER_FLOW,
                EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PER_FLOW, 1),
                "P9: '"
                    + flow.name()
                    + "' has a per-flow plan; 250,000 requests a day, not stacked");
          }
          LicensedUser owner = licenses.requireUserById(flow.ownerId());
          Set<LicenseType> active = licenses.activeLicenses(owner.id());
          return new Charge(
              FlowPlan.OWNER_LICENSES,
              Charge.BucketKind.USER,
              owner.id(),
              "user:" + owner.name(),
              FlowPlan.OWNER_LICENSES,
              EntitlementMatrix.dailyRequestLimit(active),
              "L3: '"
                  + flow.name()
                  + "' has no flow plan; its requests count against owner "
                  + owner.name()
                  + "'s licenses "
                  + active);
        });
  }

  /** L3: a user's own requests (outside any flow) are charged to their licenses. */
  public Charge userCharge(LicensedUser user) {
    Set<LicenseType> active = licenses.activeLicenses(user.id());
    return new Charge(
        FlowPlan.OWNER_LICENSES,
        Charge.BucketKind.USER,
        user.id(),
        "user:" + user.name(),
        FlowPlan.OWNER_LICENSES,
        EntitlementMatrix.dailyRequestLimit(active),
        "L3: " + user.name() + "'s requests count against the sum of their licenses " + active);
  }

  private Optional<Charge> ownProcessCharge(CloudFlow flow, FlowPlan plan) {
    if (plan != FlowPlan.PROCESS) {
      return Optional.empty();
    }
    return Optional.of(
        new Charge(
            FlowPlan.PROCESS,
            Charge.BucketKind.FLOW,
            flow.id(),
            "flow:" + flow.name(),
            FlowPlan.PROCESS,
            EntitlementMatrix.flowDailyRequestLimit(FlowPlan.PROCESS, flow.processUnits()),
            "P3: '"
                + flow.name()
                + "' holds "
                + flow.processUnits()
                + " process unit"
                + (flow.processUnits() == 1 ? "" : "s")
                + " × 250,000 requests a day (stacked)"));
  }

  /** The flow's own process backing (P3 or P7) that associated flows can be charged to, if any. */
  private Optional<Charge> processBacked(CloudFlow flow) {
    if (flow.processUnits() > 0) {
      return ownProcessCharge(flow, FlowPlan.PROCESS);
    }
    return flows
        .coveringTarget(flow.environmentId(), flow.name())
        .map(
            cover ->
                new Charge(
                    FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                    Charge.BucketKind.FLOW,
                    flow.id(),
                    "flow:" + flow.name(),
                    FlowPlan.PROCESS_INHERITED_FROM_MACHINE,
                    EntitlementMatrix.PROCESS_INHERITED_FROM_MACHINE_DAILY_REQUESTS,
                    "P7: '" + flow.name() + "' is covered by " + cover));
  }

  // ---------------------------------------------------------------- L4 share

  /** L4: the owner shares the flow with a user; an owner holding only FREE cannot share. */
  public FlowView share(
      Principal caller, String flowName, String environmentName, String userName) {
    CloudFlow flow = require(flowName, environmentName);
    Environment env = environments.requireById(flow.environmentId());
    Access.requireMakerIn(caller, env.id(), env.name(), "share flows in '" + env.name() + "'");
    LicensedUser target = licenses.requireUser(userName);
    LicensedUser owner = licenses.requireUserById(flow.ownerId());
    EnvironmentKind kind = kind(env);
    licenses
        .decide(
            new EntitlementCheck.Request(
                owner.name(),
                licenses.activeLicenses(owner.id()),
                kind,
                Action.SHARE_FLOW,
                null,
                context(flow, kind),
                licenses.selfServiceTrialAvailable(owner.id())))
        .requireAllowed();
    return tx.inTransaction(
        () -> {
          if (flows.insertShare(flow.id(), target.id(), clock.instant())) {
            version.incrementAndGet();
            audit.append(
                clock.instant(),
                caller.name(),
                "flow.share",
                "environment=" + env.name() + " flow=" + flow.name(),
                null,
                target.name());
          }
          return view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
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
    CloudFlow ref = require(flowName, environmentName);
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
              flows.findById(ref.id(), true).orElseThrow(() -> notFound(flowName, "any more"));
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
          version.incrementAndGet();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.allocate-process",
              "environment=" + env.name() + " flow=" + flow.name(),
              Integer.toString(flow.processUnits()),
              Integer.toString(after));
          return view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }

  /** P3: gives {@code count} process units of the flow back to the pool. */
  public FlowView deallocateProcess(
      Principal caller, String flowName, String environmentName, int count) {
    if (count < 1) {
      throw BotfleetException.invalid(
          ErrorReason.P3_COUNT, "count: " + count + " (expected: >= 1)");
    }
    CloudFlow ref = require(flowName, environmentName);
    Environment env = environments.requireById(ref.environmentId());
    Access.requireAdminOf(
        caller, env.id(), env.name(), "deallocate process capacity in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          CloudFlow flow =
              flows.findById(ref.id(), true).orElseThrow(() -> notFound(flowName, "any more"));
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
          version.incrementAndGet();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.deallocate-process",
              "environment=" + env.name() + " flow=" + flow.name(),
              Integer.toString(flow.processUnits()),
              Integer.toString(after));
          return view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }

  // ---------------------------------------------------------------- P9 per-flow

  /** P9: allocates one per-flow plan of the environment to the flow; at most one per flow. */
  public FlowView allocatePerFlow(Principal caller, String flowName, String environmentName) {
    CloudFlow ref = require(flowName, environmentName);
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
              flows.findById(ref.id(), true).orElseThrow(() -> notFound(flowName, "any more"));
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
          version.incrementAndGet();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.allocate-per-flow",
              "environment=" + env.name() + " flow=" + flow.name(),
              "0",
              "1");
          return view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }

  public FlowView deallocatePerFlow(Principal caller, String flowName, String environmentName) {
    CloudFlow ref = require(flowName, environmentName);
    Environment env = environments.requireById(ref.environmentId());
    Access.requireAdminOf(
        caller, env.id(), env.name(), "deallocate per-flow plans in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          CloudFlow flow =
              flows.findById(ref.id(), true).orElseThrow(() -> notFound(flowName, "any more"));
          if (!flow.perFlow()) {
            throw BotfleetException.precondition(
                ErrorReason.P9_NOT_ALLOCATED, "'" + flow.name() + "' has no per-flow plan");
          }
          flows.updatePerFlow(flow.id(), false);
          version.incrementAndGet();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.deallocate-per-flow",
              "environment=" + env.name() + " flow=" + flow.name(),
              "1",
              "0");
          return view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
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
    CloudFlow parentRef = require(processFlowName, environmentName);
    CloudFlow childRef =
        require(
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
                    .orElseThrow(() -> notFound(processFlowName, "any more"));
            child =
                flows
                    .findById(childRef.id(), true)
                    .orElseThrow(() -> notFound(flowName, "any more"));
          } else {
            child =
                flows
                    .findById(childRef.id(), true)
                    .orElseThrow(() -> notFound(flowName, "any more"));
            parent =
                flows
                    .findById(parentRef.id(), true)
                    .orElseThrow(() -> notFound(processFlowName, "any more"));
          }
          if (parent.id().equals(child.parentId())) {
            return view(child, env);
          }
          if (parent.parentId() != null) {
            throw BotfleetException.precondition(
                ErrorReason.P4_PARENT_IS_ASSOCIATED,
                "'"
                    + parent.name()
                    + "' is itself associated to another flow; only a process flow can have associated flows");
          }
          if (processBacked(parent).isEmpty()) {
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
              || processBacked(child).isPresent()) {
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
          version.incrementAndGet();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.associate",
              "environment=" + env.name() + " flow=" + child.name(),
              null,
              parent.name());
          return view(flows.findById(child.id(), false).orElseThrow(), env);
        });
  }

  /** P4: removes the flow's association; its requests are then charged by its own plan (M1). */
  public FlowView dissociate(Principal caller, String flowName, String environmentName) {
    CloudFlow ref = require(flowName, environmentName);
    Environment env = environments.requireById(ref.environmentId());
    Access.requireMakerIn(caller, env.id(), env.name(), "dissociate flows in '" + env.name() + "'");
    return tx.inTransaction(
        () -> {
          CloudFlow flow =
              flows.findById(ref.id(), true).orElseThrow(() -> notFound(flowName, "any more"));
          if (flow.parentId() == null) {
            throw BotfleetException.precondition(
                ErrorReason.P4_NOT_ASSOCIATED,
                "'" + flow.name() + "' is not associated to a process flow");
          }
          String parent =
              flows.findById(flow.parentId(), false).map(CloudFlow::name).orElse(flow.parentId());
          flows.updateParent(flow.id(), null);
          version.incrementAndGet();
          audit.append(
              clock.instant(),
              caller.name(),
              "flow.dissociate",
              "environment=" + env.name() + " flow=" + flow.name(),
              parent,
              null);
          return view(flows.findById(flow.id(), false).orElseThrow(), env);
        });
  }

  // ---------------------------------------------------------------- L7 check

  /** The answer of the entitlement check, with the licenses it considered. */
  public record EntitlementAnswer(Decision decision, Set<LicenseType> licenses) {}

  /**
   * L7: may {@code userName} do {@code action} in the environment (on {@code flowName} when given)?
   * Uses the user's active licenses, the environment's type, the flow's plan and app, and whether
   * the user could still self-start a trial (L5).
   */
  public EntitlementAnswer checkEntitlement(
      String userName,
      String environmentName,
      Action action,
      String flowName,
      ConnectorTier connector) {
    if (action == null) {
      throw BotfleetException.invalid(
          ErrorReason.L7_ACTION_REQUIRED,
          "action: missing (expected: one of " + java.util.Arrays.toString(Action.values()) + ")");
    }
    LicensedUser user = licenses.requireUser(userName);
    Environment env = environments.require(environmentName);
    EnvironmentKind kind = kind(env);
    FlowContext context = null;
    if (flowName != null && !flowName.isBlank()) {
      CloudFlow flow = require(flowName, env.name());
      context = context(flow, kind);
    }
    Set<LicenseType> active = licenses.activeLicenses(user.id());
    Decision d =
        licenses.decide(
            new EntitlementCheck.Request(
                user.name(),
                active,
                kind,
                action,
                connector,
                context,
                licenses.selfServiceTrialAvailable(user.id())));
    return new EntitlementAnswer(d, active);
  }

  // ---------------------------------------------------------------- L7 context

  /** What the entitlement check needs to know about a flow (L7). */
  public FlowContext context(CloudFlow flow, EnvironmentKind kind) {
    FlowPlan plan = charge(flow).plan();
    return new FlowContext(plan, flow.appLicense() != null, flow.appLicense(), kind);
  }

  public static EnvironmentKind kind(Environment env) {
    return EnvironmentKind.parse(env.type().name());
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
