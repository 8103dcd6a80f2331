package dev.botfleet.orchestrator.api;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.licensing.Action;
import dev.botfleet.orchestrator.licensing.ConnectorTier;
import dev.botfleet.orchestrator.licensing.FlowPlan;
import dev.botfleet.orchestrator.licensing.LicenseType;
import dev.botfleet.orchestrator.users.UserLicense;
import java.time.Instant;

/** Proto ↔ domain for licensing, flows and metering enums (proto values carry a prefix). */
final class LicensingMapping {
  private LicensingMapping() {}

  static LicenseType licenseType(dev.botfleet.proto.v1.LicenseType t) {
    if (t == null
        || t == dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_UNSPECIFIED
        || t == dev.botfleet.proto.v1.LicenseType.UNRECOGNIZED) {
      return null;
    }
    return LicenseType.valueOf(t.name().substring("LICENSE_".length()));
  }

  static LicenseType requireLicenseType(dev.botfleet.proto.v1.LicenseType t) {
    LicenseType type = licenseType(t);
    if (type == null) {
      throw BotfleetException.invalid(
          ErrorReason.LICENSE_TYPE_REQUIRED,
          "type: missing (expected: one of "
              + java.util.Arrays.toString(LicenseType.values())
              + ")");
    }
    return type;
  }

  static dev.botfleet.proto.v1.LicenseType licenseType(LicenseType t) {
    return t == null
        ? dev.botfleet.proto.v1.LicenseType.LICENSE_TYPE_UNSPECIFIED
        : dev.botfleet.proto.v1.LicenseType.valueOf("LICENSE_" + t.name());
  }

  static ConnectorTier connector(dev.botfleet.proto.v1.ConnectorTier t) {
    if (t == null
        || t == dev.botfleet.proto.v1.ConnectorTier.CONNECTOR_TIER_UNSPECIFIED
        || t == dev.botfleet.proto.v1.ConnectorTier.UNRECOGNIZED) {
      return null;
    }
    return ConnectorTier.valueOf(t.name().substring("CONNECTOR_".length()));
  }

  static dev.botfleet.proto.v1.ConnectorTier connector(ConnectorTier t) {
    return dev.botfleet.proto.v1.ConnectorTier.valueOf("CONNECTOR_" + t.name());
  }

  static Action action(dev.botfleet.proto.v1.EntitlementAction a) {
    if (a == null
        || a == dev.botfleet.proto.v1.EntitlementAction.ENTITLEMENT_ACTION_UNSPECIFIED
        || a == dev.botfleet.proto.v1.EntitlementAction.UNRECOGNIZED) {
      return null;
    }
    return Action.valueOf(a.name().substring("ACTION_".length()));
  }

  static dev.botfleet.proto.v1.FlowPlan plan(FlowPlan p) {
    return dev.botfleet.proto.v1.FlowPlan.valueOf("PLAN_" + p.name());
  }

  static dev.botfleet.proto.v1.UserLicense license(UserLicense l, String userName, Instant now) {
    var b =
        dev.botfleet.proto.v1.UserLicense.newBuilder()
            .setId(l.id())
            .setUser(userName)
            .setType(licenseType(l.type()))
            .setSource(dev.botfleet.proto.v1.LicenseSource.valueOf("SOURCE_" + l.source().name()))
            .setStartsAt(ProtoMapping.ts(l.startsAt()))
            .setExtended(l.extended())
            .setActive(l.activeAt(now))
            .setDailyRequestLimit(l.dailyRequestLimit());
    if (l.endsAt() != null) {
      b.setEndsAt(ProtoMapping.ts(l.endsAt()));
    }
    return b.build();
  }
}
