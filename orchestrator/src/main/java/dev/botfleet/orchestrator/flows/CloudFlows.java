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
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.licensing.Action;
import dev.botfleet.orchestrator.licensing.ConnectorTier;
import dev.botfleet.orchestrator.licensing.Decision;
import dev.botfleet.orchestrator.licensing.EntitlementCheck;
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
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Cloud flows: creating them under the owner's entitlements (L2, L7, L8), finding them, sharing
 * them (L4), the entitlement check for a flow (L7), and a flow's view with its plan, cover and
 * associations.
 */
public final class CloudFlows {
  private final Transactions tx;
  private final FlowRepository flows;
  private final FlowCharges charges;
  private final EnvironmentService environments;
  private final LicenseService licenses;
  private final AuditLog audit;
  private final Clock clock;

  public CloudFlows(
      Transactions tx,
      FlowRepository flows,
      FlowCharges charges,
      EnvironmentService environments,
      LicenseService licenses,
      AuditLog audit,
      Clock clock) {
    this.tx = requireNonNull(tx, "tx");
    this.flows = requireNonNull(flows, "flows");
    this.charges = requireNonNull(charges, "charges");
    this.environments = requireNonNull(environments, "environments");
    this.licenses = requireNonNull(licenses, "licenses");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

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
          charges.changed();
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

  static BotfleetException notFound(String name, String where) {
    return BotfleetException.notFound(
        ErrorReason.FLOW_NOT_FOUND,
        "flow '" + name + "' does not exist " + where + " (see ListFlows of its environment)");
  }

  /** Inside a transaction: the flow with everything derived about it. */
  FlowView view(CloudFlow flow, Environment env) {
    Charge charge = charges.charge(flow);
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
            charges.changed();
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
    FlowPlan plan = charges.charge(flow).plan();
    return new FlowContext(plan, flow.appLicense() != null, flow.appLicense(), kind);
  }

  public static EnvironmentKind kind(Environment env) {
    return EnvironmentKind.parse(env.type().name());
  }
}
