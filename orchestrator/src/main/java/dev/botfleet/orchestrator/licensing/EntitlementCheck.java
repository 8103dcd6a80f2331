package dev.botfleet.orchestrator.licensing;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The entitlement check (L7): may this user do this action, in this environment, on this flow? A
 * pure function of its {@link Request}; it answers with the rule that decided and a next step.
 *
 * <p>The checks apply in this order; the first that decides wins:
 *
 * <ol>
 *   <li><b>Input</b>: a malformed request (a Windows license among a user's, a connector action
 *       without a tier, a flow in another environment) is an INVALID_ARGUMENT exception, not a
 *       decision.
 *   <li><b>L8, environment</b>: in a {@link EnvironmentKind#DEVELOPER} environment no desktop flow
 *       and no business process flow is created, whatever the user holds; no license can lift a
 *       property of the environment, so this comes first.
 *   <li><b>Flow plan (P3, P4, P7, P9)</b>: running a flow, using a connector in it, or running it
 *       unattended is allowed when the flow's own plan covers it, whatever the user's licenses
 *       (even none): the plan, not the user, is licensed. So this comes before any check of the
 *       user's licenses, including L8's production ban.
 *   <li><b>L8, licenses</b>: in a {@link EnvironmentKind#PRODUCTION} environment the Developer plan
 *       is set aside. If nothing is left, the answer is L8 (or L7 when the user holds no license at
 *       all).
 *   <li><b>L4</b>: sharing is refused when every license left is FREE, otherwise allowed.
 *   <li><b>L7, desktop flows</b>: creating one is allowed with a license that includes attended or
 *       unattended RPA, or in the DEFAULT environment for anyone holding a license ([003]: the
 *       trial prompt comes when a Free user creates one in a non-default environment); elsewhere it
 *       is refused with the trial as next step.
 *   <li><b>L2, matrix</b>: the action's capability (the connector tier's row; standard connectors
 *       for creating or running a flow without a tier; business process flows; attended or
 *       unattended RPA) is looked up for every license left. The best one wins: a cell INCLUDED in
 *       any license allows; an INCLUDED_WITH_LIMITATIONS cell allows only when the flow is
 *       in-context and associated to the app that license comes from.
 * </ol>
 *
 * <p>A denial names L8 when the Developer plan set aside in production would have allowed it, so
 * the user learns the environment is the obstacle.
 */
public final class EntitlementCheck {

  private static final Set<Action> COVERED_BY_FLOW_PLAN =
      Collections.unmodifiableSet(
          EnumSet.of(Action.RUN_FLOW, Action.USE_CONNECTOR, Action.RUN_UNATTENDED));

  private static final Set<Action> TAKES_CONNECTOR_TIER =
      Collections.unmodifiableSet(
          EnumSet.of(Action.CREATE_FLOW, Action.RUN_FLOW, Action.USE_CONNECTOR));

  private EntitlementCheck() {}

  /**
   * The question put to the check.
   *
   * @param user who acts; only used to make next steps concrete commands
   * @param licenses the user's active user licenses (the caller drops expired ones); for a flow on
   *     user licenses, the owner's for automated and scheduled flows, the invoker's for instant
   *     ones
   * @param environment the kind of environment the action happens in
   * @param action what the user wants to do
   * @param connector for {@link Action#USE_CONNECTOR} the connector's tier (required); for {@link
   *     Action#CREATE_FLOW} and {@link Action#RUN_FLOW} the highest tier the flow uses, or {@code
   *     null} for standard only; must be {@code null} for other actions
   * @param flow the flow concerned; {@code null} means a flow on the user's licenses, associated to
   *     no app, in {@code environment}
   * @param selfServiceTrialAvailable whether the user could start a self-service trial (false when
   *     an admin disabled trials or the tenant is in a government cloud, L5); decides whether a
   *     trial is offered as next step
   */
  public record Request(
      String user,
      Set<LicenseType> licenses,
      EnvironmentKind environment,
      Action action,
      ConnectorTier connector,
      FlowContext flow,
      boolean selfServiceTrialAvailable) {

    public Request {
      requireNonNull(user, "user");
      if (user.isBlank()) {
        throw BotfleetException.invalid(
            ErrorReason.USER_REQUIRED, "user: blank (expected: a user name)");
      }
      licenses = copyOfUserLicenses(licenses);
      requireNonNull(environment, "environment");
      requireNonNull(action, "action");
      if (action == Action.USE_CONNECTOR && connector == null) {
        throw BotfleetException.invalid(
            ErrorReason.L7_CONNECTOR_TIER_REQUIRED,
            "connector: missing for USE_CONNECTOR (expected: STANDARD, PREMIUM or CUSTOM)");
      }
      if (connector != null && !TAKES_CONNECTOR_TIER.contains(action)) {
        throw BotfleetException.invalid(
            ErrorReason.L7_CONNECTOR_TIER_UNEXPECTED,
            "connector: "
                + connector
                + " given for "
                + action
                + " (expected: a tier only for "
                + TAKES_CONNECTOR_TIER
                + ")");
      }
      if (flow == null) {
        flow = FlowContext.onUserLicenses(environment);
      } else if (flow.environment() != environment) {
        throw BotfleetException.invalid(
            ErrorReason.L7_FLOW_ENVIRONMENT_MISMATCH,
            "flow.environment: "
                + flow.environment()
                + " (expected: "
                + environment
                + ", the environment the action happens in; a flow is acted on where it lives)");
      }
    }

    /** A request with no connector tier, a flow on user licenses, and trials available. */
    public static Request of(
        String user, Collection<LicenseType> licenses, EnvironmentKind environment, Action action) {
      return new Request(user, copyOfUserLicenses(licenses), environment, action, null, null, true);
    }

    /** A request to use a connector of {@code tier} in a flow on user licenses. */
    public static Request useConnector(
        String user,
        Collection<LicenseType> licenses,
        EnvironmentKind environment,
        ConnectorTier tier) {
      return new Request(
          user,
          copyOfUserLicenses(licenses),
          environment,
          Action.USE_CONNECTOR,
          requireNonNull(tier, "tier"),
          null,
          true);
    }

    public Request withConnector(ConnectorTier tier) {
      return new Request(
          user, licenses, environment, action, tier, flow, selfServiceTrialAvailable);
    }

    public Request withFlow(FlowContext context) {
      return new Request(
          user, licenses, environment, action, connector, context, selfServiceTrialAvailable);
    }

    public Request withSelfServiceTrialAvailable(boolean available) {
      return new Request(user, licenses, environment, action, connector, flow, available);
    }

    private static Set<LicenseType> copyOfUserLicenses(Collection<LicenseType> licenses) {
      requireNonNull(licenses, "licenses");
      EnumSet<LicenseType> copy = EnumSet.noneOf(LicenseType.class);
      for (LicenseType license : licenses) {
        if (license == null) {
          throw BotfleetException.invalid(
              ErrorReason.L1_LICENSE_REQUIRED, "licenses: contains null (expected: license types)");
        }
        if (license.appliesToMachine()) {
          throw BotfleetException.invalid(
              ErrorReason.L1_MACHINE_LICENSE,
              "licenses: "
                  + license
                  + " applies to a machine, not a user (expected: the user's licenses only)");
        }
        copy.add(license);
      }
      return Collections.unmodifiableSet(copy);
    }
  }

  /** Decides {@code request}; see the class comment for the order of the checks. */
  public static Decision decide(Request request) {
    requireNonNull(request, "request");
    Action action = request.action();
    EnvironmentKind environment = request.environment();

    if (environment == EnvironmentKind.DEVELOPER
        && (action == Action.CREATE_DESKTOP_FLOW
            || action == Action.CREATE_BUSINESS_PROCESS_FLOW)) {
      return Decision.deny(
          "L8",
          "A "
              + (action == Action.CREATE_DESKTOP_FLOW
                  ? "desktop (RPA) flow"
                  : "business process flow")
              + " cannot be created in a DEVELOPER environment, which is used under the Power Apps"
              + " Developer plan.",
          "Create it in a sandbox or production environment, holding a license that includes it"
              + " (PREMIUM or TRIAL).");
    }

    Capability needed = neededCapability(request);
    FlowPlan plan = request.flow().plan();
    if (COVERED_BY_FLOW_PLAN.contains(action)
        && needed != null
        && EntitlementMatrix.flowPlanCovers(plan, needed)) {
      return Decision.allow(
          plan.rule(),
          "The flow runs on the "
              + plan.displayName()
              + ", which covers "
              + needed.label()
              + " for any user whatever their license"
              + (action == Action.RUN_UNATTENDED
                  ? "; the run still needs a free bot on its target (P5)."
                  : "."));
    }

    boolean developerSetAside =
        environment == EnvironmentKind.PRODUCTION
            && request.licenses().contains(LicenseType.DEVELOPER);
    EnumSet<LicenseType> usable = EnumSet.noneOf(LicenseType.class);
    usable.addAll(request.licenses());
    if (developerSetAside) {
      usable.remove(LicenseType.DEVELOPER);
    }
    if (usable.isEmpty()) {
      if (developerSetAside) {
        return Decision.deny(
            "L8",
            "The Power Apps Developer plan is not usable in a PRODUCTION environment, and "
                + request.user()
                + " holds no other license.",
            moveOutOfProduction(request));
      }
      return Decision.deny(
          "L7",
          request.user() + " holds no Power Automate license.",
          needed == Capability.STANDARD_CONNECTORS
              ? "Ask an admin to assign a license to "
                  + request.user()
                  + "; FREE covers standard connectors and a work or school account gets it by"
                  + " signing in."
              : upgrade(request, needed) + ".");
    }

    if (action == Action.SHARE_FLOW) {
      return share(request, usable);
    }
    if (action == Action.CREATE_DESKTOP_FLOW) {
      return createDesktopFlow(request, usable);
    }
    return byMatrix(request, usable, needed, developerSetAside);
  }

  // L4: the Free license is the only one that cannot share.
  private static Decision share(Request request, Set<LicenseType> usable) {
    if (usable.equals(EnumSet.of(LicenseType.FREE))) {
      return Decision.deny(
          "L4",
          request.user() + " holds only the FREE license, which cannot share flows.",
          upgrade(request, null) + ".");
    }
    return Decision.allow(
        "L4",
        "Sharing needs a license other than FREE; "
            + request.user()
            + " holds "
            + names(without(usable, LicenseType.FREE))
            + ".");
  }

  // L7: [003]'s example is a Free user creating a desktop flow in a non-default environment, who
  // is prompted to start a trial; in the default environment the prompt does not come.
  private static Decision createDesktopFlow(Request request, Set<LicenseType> usable) {
    for (LicenseType license : usable) {
      if (EntitlementMatrix.lookup(license, Capability.ATTENDED_RPA).included()
          || EntitlementMatrix.lookup(license, Capability.UNATTENDED_RPA).included()) {
        return Decision.allow("L2", license + " includes RPA, so desktop flows may be created.");
      }
    }
    if (request.environment() == EnvironmentKind.DEFAULT) {
      return Decision.allow(
          "L7",
          "Desktop flows may be created in the DEFAULT environment with any Power Automate"
              + " license.");
    }
    return Decision.deny(
        "L7",
        "Creating a desktop flow in a "
            + request.environment()
            + " environment needs a license with attended or unattended RPA; "
            + names(usable)
            + (usable.size() == 1 ? " includes" : " include")
            + " neither.",
        upgrade(request, Capability.ATTENDED_RPA) + ", or create it in the DEFAULT environment.");
  }

  // L2: the best of the user's licenses decides.
  private static Decision byMatrix(
      Request request, Set<LicenseType> usable, Capability needed, boolean developerSetAside) {
    for (LicenseType license : usable) {
      if (EntitlementMatrix.lookup(license, needed).included()) {
        return Decision.allow(
            license == LicenseType.DEVELOPER ? "L8" : "L2",
            needed.label() + ": included in " + license + ".");
      }
    }
    FlowContext flow = request.flow();
    List<LicenseType> limited =
        usable.stream().filter(l -> EntitlementMatrix.lookup(l, needed).limited()).toList();
    for (LicenseType license : limited) {
      if (flow.inContextOfAppOf(license)) {
        return Decision.allow(
            "L2",
            needed.label()
                + ": included with limitations in "
                + license
                + ", and the flow runs in-context of the app it is associated to.");
      }
    }
    if (developerSetAside && EntitlementMatrix.lookup(LicenseType.DEVELOPER, needed).included()) {
      return Decision.deny(
          "L8",
          needed.label()
              + ": included in DEVELOPER, but the Developer plan is not usable in a PRODUCTION"
              + " environment.",
          moveOutOfProduction(request));
    }
    if (!limited.isEmpty()) {
      return Decision.deny(
          "L2",
          needed.label()
              + ": included in "
              + names(limited)
              + " only when the flow is in-context and associated to the app that license comes"
              + " from; this flow "
              + (flow.associatedAppLicense() == null
                  ? "is associated to no app."
                  : (flow.inContext() ? "runs in-context of " : "does not run in-context of ")
                      + "a "
                      + flow.associatedAppLicense()
                      + " app."),
          "Associate the flow to a "
              + limited.get(0)
              + " app and run it from that app, or "
              + lowerFirst(upgrade(request, needed))
              + ".");
    }
    return Decision.deny(
        "L2",
        needed.label() + ": not included in " + names(usable) + ".",
        upgrade(request, needed) + ".");
  }

  private static Capability neededCapability(Request request) {
    return switch (request.action()) {
      case CREATE_FLOW, RUN_FLOW ->
          request.connector() == null
              ? Capability.STANDARD_CONNECTORS
              : request.connector().capability();
      case USE_CONNECTOR -> request.connector().capability();
      case CREATE_BUSINESS_PROCESS_FLOW -> Capability.BUSINESS_PROCESS_FLOWS;
      case RUN_ATTENDED, CREATE_DESKTOP_FLOW -> Capability.ATTENDED_RPA;
      case RUN_UNATTENDED -> Capability.UNATTENDED_RPA;
      case SHARE_FLOW -> null;
    };
  }

  // The next step that gets the capability (null: any license but FREE), cheapest first; callers
  // end the sentence.
  private static String upgrade(Request request, Capability needed) {
    String user = request.user();
    if (needed == Capability.UNATTENDED_RPA) {
      return "Ask an admin to allocate a process unit to the machine the flow targets (P2, P5) or"
          + " to turn on its auto-allocation (P6); the flow then runs on the plan inherited from"
          + " the machine (P7)";
    }
    boolean trialHelps =
        needed == null || EntitlementMatrix.lookup(LicenseType.TRIAL, needed).included();
    if (request.selfServiceTrialAvailable()
        && !request.licenses().contains(LicenseType.TRIAL)
        && trialHelps) {
      return "Start a Power Automate trial ("
          + LicenseType.SELF_SERVICE_TRIAL_DAYS
          + " days) with `botfleet trial start "
          + user
          + "`";
    }
    String assign = "Ask an admin to assign a PREMIUM license to " + user;
    if (needed == Capability.PREMIUM_CONNECTORS || needed == Capability.CUSTOM_CONNECTORS) {
      return assign + ", or to allocate a process unit to the flow so any user may run it (P3)";
    }
    return assign;
  }

  private static String moveOutOfProduction(Request request) {
    return "Move the flow to a non-production environment (SANDBOX, TRIAL or DEVELOPER), or ask an"
        + " admin to assign a PREMIUM license to "
        + request.user()
        + ".";
  }

  private static String names(Collection<LicenseType> licenses) {
    List<String> names = licenses.stream().map(Enum::name).toList();
    if (names.size() == 1) {
      return names.get(0);
    }
    return names.subList(0, names.size() - 1).stream().collect(Collectors.joining(", "))
        + " and "
        + names.get(names.size() - 1);
  }

  private static Set<LicenseType> without(Set<LicenseType> licenses, LicenseType license) {
    EnumSet<LicenseType> rest = EnumSet.copyOf(licenses);
    rest.remove(license);
    return rest;
  }

  private static String lowerFirst(String sentence) {
    return Character.toLowerCase(sentence.charAt(0)) + sentence.substring(1);
  }
}
