package dev.botfleet.orchestrator.api;

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
    return ProtoEnums.LICENSE_TYPE.domainOrNull(t);
  }

  static LicenseType requireLicenseType(dev.botfleet.proto.v1.LicenseType t) {
    return ProtoEnums.LICENSE_TYPE.require(t, ErrorReason.LICENSE_TYPE_REQUIRED);
  }

  static dev.botfleet.proto.v1.LicenseType licenseType(LicenseType t) {
    return ProtoEnums.LICENSE_TYPE.proto(t);
  }

  static ConnectorTier connector(dev.botfleet.proto.v1.ConnectorTier t) {
    return ProtoEnums.CONNECTOR_TIER.domainOrNull(t);
  }

  static dev.botfleet.proto.v1.ConnectorTier connector(ConnectorTier t) {
    return ProtoEnums.CONNECTOR_TIER.proto(t);
  }

  static Action action(dev.botfleet.proto.v1.EntitlementAction a) {
    return ProtoEnums.ENTITLEMENT_ACTION.domainOrNull(a);
  }

  static dev.botfleet.proto.v1.FlowPlan plan(FlowPlan p) {
    return ProtoEnums.FLOW_PLAN.proto(p);
  }

  static dev.botfleet.proto.v1.UserLicense license(UserLicense l, String userName, Instant now) {
    var b =
        dev.botfleet.proto.v1.UserLicense.newBuilder()
            .setId(l.id())
            .setUser(userName)
            .setType(licenseType(l.type()))
            .setSource(ProtoEnums.LICENSE_SOURCE.proto(l.source()))
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
