package dev.botfleet.orchestrator.api;

import com.google.protobuf.Timestamp;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.admin.AuditEvent;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.admin.RoleGrant;
import dev.botfleet.orchestrator.capacity.CapacitySummary;
import dev.botfleet.orchestrator.capacity.Purchase;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.environments.Environment;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.proto.v1.EnvironmentSkuUsage;
import java.time.Instant;

/** Proto ↔ domain conversions. */
public final class ProtoMapping {
  private ProtoMapping() {}

  static Timestamp ts(Instant i) {
    return i == null
        ? Timestamp.getDefaultInstance()
        : Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  /** Null is sent as zero: "the default" wherever the API takes an optional duration. */
  public static com.google.protobuf.Duration duration(java.time.Duration d) {
    return d == null
        ? com.google.protobuf.Duration.getDefaultInstance()
        : com.google.protobuf.Duration.newBuilder()
            .setSeconds(d.getSeconds())
            .setNanos(d.getNano())
            .build();
  }

  /**
   * Unset reads as zero ("the default" wherever a duration is optional). RequestLimits already
   * refused malformed and out-of-range values.
   */
  public static java.time.Duration duration(com.google.protobuf.Duration d) {
    return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  static Instant instant(Timestamp t) {
    return t == null || (t.getSeconds() == 0 && t.getNanos() == 0)
        ? null
        : Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  static Sku sku(dev.botfleet.proto.v1.Sku sku) {
    return ProtoEnums.SKU.require(sku, ErrorReason.SKU_REQUIRED);
  }

  static dev.botfleet.proto.v1.Sku sku(Sku sku) {
    return ProtoEnums.SKU.proto(sku);
  }

  static dev.botfleet.proto.v1.Environment environment(Environment e) {
    return dev.botfleet.proto.v1.Environment.newBuilder()
        .setId(e.id())
        .setName(e.name())
        .setType(ProtoEnums.ENVIRONMENT_TYPE.proto(e.type()))
        .setCreatedAt(ts(e.createdAt()))
        .build();
  }

  static dev.botfleet.proto.v1.Principal principal(Principal p, EnvironmentService environments) {
    var b =
        dev.botfleet.proto.v1.Principal.newBuilder()
            .setId(p.id())
            .setName(p.name())
            .setCreatedAt(ts(p.createdAt()));
    if (p.tokenExpiresAt() != null) {
      b.setTokenExpiresAt(ts(p.tokenExpiresAt()));
    }
    if (p.revokedAt() != null) {
      b.setRevokedAt(ts(p.revokedAt()));
    }
    for (RoleGrant g : p.roles()) {
      var rg =
          dev.botfleet.proto.v1.RoleGrant.newBuilder().setRole(ProtoEnums.ROLE.proto(g.role()));
      if (g.environmentId() != null) {
        rg.setEnvironment(environments.requireById(g.environmentId()).name());
      }
      b.addRoles(rg);
    }
    return b.build();
  }

  static dev.botfleet.proto.v1.Purchase purchase(Purchase p, Instant now) {
    var b =
        dev.botfleet.proto.v1.Purchase.newBuilder()
            .setId(p.id())
            .setSku(sku(p.sku()))
            .setQuantity(p.quantity())
            .setTrial(p.trial())
            .setStartsAt(ts(p.startsAt()))
            .setExtended(p.extended())
            .setActive(p.activeAt(now));
    if (p.endsAt() != null) {
      b.setEndsAt(ts(p.endsAt()));
    }
    return b.build();
  }

  static dev.botfleet.proto.v1.AuditEvent audit(AuditEvent e) {
    return dev.botfleet.proto.v1.AuditEvent.newBuilder()
        .setId(e.id())
        .setAt(ts(e.at()))
        .setActor(e.actor())
        .setAction(e.action())
        .setTarget(e.target())
        .setBefore(e.before() == null ? "" : e.before())
        .setAfter(e.after() == null ? "" : e.after())
        .build();
  }

  static EnvironmentSkuUsage usage(CapacitySummary.SkuUsage u) {
    return EnvironmentSkuUsage.newBuilder()
        .setSku(sku(u.sku()))
        .setAllocated(u.allocated())
        .setConsumed(u.consumed())
        .setOverCapacity(u.overCapacity())
        .setUnit(u.sku().unit())
        .build();
  }
}
