package dev.botfleet.orchestrator.licensing;

import static java.util.Objects.requireNonNull;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;

/**
 * What the entitlement check (L7) needs to know about the cloud flow an action concerns.
 *
 * @param plan the plan the flow runs on (P3, P4, P7, P9, or the user's licenses)
 * @param inContext whether the flow runs in-context of the app it is associated to, e.g. triggered
 *     by it (L2)
 * @param associatedAppLicense the license of the app the flow is associated to, or {@code null}
 *     when it is associated to none; must be an {@linkplain LicenseType#isAppLicense() app license}
 * @param environment the kind of environment the flow lives in
 */
public record FlowContext(
    FlowPlan plan,
    boolean inContext,
    LicenseType associatedAppLicense,
    EnvironmentKind environment) {

  public FlowContext {
    requireNonNull(plan, "plan");
    requireNonNull(environment, "environment");
    if (associatedAppLicense != null && !associatedAppLicense.isAppLicense()) {
      throw BotfleetException.invalid(
          ErrorReason.L2_APP_LICENSE_INVALID,
          "associatedAppLicense: "
              + associatedAppLicense
              + " (expected: the license of an app a flow can be associated to:"
              + " POWER_APPS_PREMIUM, D365_PROFESSIONAL, D365_ENTERPRISE or D365_TEAM_MEMBER)");
    }
  }

  /** A flow on its user's licenses, associated to no app. */
  public static FlowContext onUserLicenses(EnvironmentKind environment) {
    return new FlowContext(FlowPlan.OWNER_LICENSES, false, null, environment);
  }

  /** A flow on its user's licenses, associated to an app licensed by {@code app}, run from it. */
  public static FlowContext inContextOf(LicenseType app, EnvironmentKind environment) {
    return new FlowContext(FlowPlan.OWNER_LICENSES, true, requireNonNull(app, "app"), environment);
  }

  /** A flow on {@code plan}, associated to no app. */
  public static FlowContext onPlan(FlowPlan plan, EnvironmentKind environment) {
    return new FlowContext(plan, false, null, environment);
  }

  /** L2: whether {@code license}'s "included with limitations" cells apply to this flow. */
  public boolean inContextOfAppOf(LicenseType license) {
    return inContext && associatedAppLicense != null && associatedAppLicense == license;
  }
}
