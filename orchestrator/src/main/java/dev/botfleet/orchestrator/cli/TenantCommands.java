package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.CapacityAllocationMode;
import dev.botfleet.proto.v1.GetTenantSettingsRequest;
import dev.botfleet.proto.v1.LicensingServiceGrpc;
import dev.botfleet.proto.v1.ListSelfServiceTrialsRequest;
import dev.botfleet.proto.v1.OverLimitPolicy;
import dev.botfleet.proto.v1.SetSelfServiceTrialsRequest;
import dev.botfleet.proto.v1.TenantSettings;
import dev.botfleet.proto.v1.UpdateTenantSettingsRequest;
import java.time.ZoneOffset;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "tenant",
    mixinStandardHelpOptions = true,
    description = "Tenant settings.",
    subcommands = {TenantCommands.Settings.class, TenantCommands.Trials.class})
final class TenantCommands {
  @Command(
      name = "settings",
      mixinStandardHelpOptions = true,
      description = "Show tenant settings, or change those given.")
  static final class Settings extends ClientCommand {
    @Option(
        names = "--capacity-allocation",
        description = "Who can allocate add-on capacity: EVERYONE or ONLY_SPECIFIC_ADMINS (C5).")
    CapacityAllocationMode capacityAllocation;

    @Option(
        names = "--government-cloud",
        arity = "1",
        description = "true or false: a government cloud tenant gets no self-service trial (L5).")
    Boolean governmentCloud;

    @Option(
        names = "--over-limit",
        description =
            "Over a daily request limit: THROTTLE (refuse until the reset) or RECORD_OVERAGE (accept, count as overage) (M3).")
    OverLimitPolicy overLimit;

    @Option(
        names = "--limit-multiplier",
        description = "Multiply every daily request limit by X (>= 1, transition period) (M3).")
    Double limitMultiplier;

    @Option(
        names = "--metering-day-offset",
        description =
            "The metering day starts at 00:00 at this UTC offset, e.g. +00:00 (default), -05:00 (M2).")
    String meteringDayOffset;

    @Override
    int run() {
      var stub = client.stub(AdminServiceGrpc::newBlockingStub);
      TenantSettings s;
      var req = UpdateTenantSettingsRequest.newBuilder();
      boolean change = false;
      if (capacityAllocation != null) {
        req.setCapacityAllocation(capacityAllocation);
        change = true;
      }
      if (governmentCloud != null) {
        req.setGovernmentCloud(governmentCloud);
        change = true;
      }
      if (overLimit != null) {
        req.setOverLimit(overLimit);
        change = true;
      }
      if (limitMultiplier != null) {
        req.setLimitMultiplier(limitMultiplier);
        change = true;
      }
      if (meteringDayOffset != null) {
        int seconds;
        try {
          seconds = ZoneOffset.of(meteringDayOffset.trim()).getTotalSeconds();
        } catch (java.time.DateTimeException e) {
          throw new picocli.CommandLine.ParameterException(
              spec.commandLine(),
              "--metering-day-offset: '"
                  + meteringDayOffset
                  + "' (expected: an offset such as +02:00 or -05:00)");
        }
        req.setMeteringDayOffsetMinutes(seconds / 60);
        change = true;
      }
      if (change) {
        s = stub.updateTenantSettings(req.build()).getSettings();
      } else {
        s = stub.getTenantSettings(GetTenantSettingsRequest.getDefaultInstance()).getSettings();
      }
      client.print(
          out(),
          s,
          o ->
              new Table("SETTING", "VALUE")
                  .row("capacity-allocation", s.getCapacityAllocation())
                  .row("government-cloud", s.getGovernmentCloud())
                  .row("over-limit", s.getOverLimit())
                  .row("limit-multiplier", s.getLimitMultiplier())
                  .row(
                      "metering-day-offset",
                      ZoneOffset.ofTotalSeconds(s.getMeteringDayOffsetMinutes() * 60)
                          .getId()
                          .replace("Z", "+00:00"))
                  .print(o));
      return 0;
    }
  }

  @Command(
      name = "trials",
      mixinStandardHelpOptions = true,
      description =
          "Show self-service trials per license type, or enable/disable one (L5). Disabling removes that trial from every"
              + " user at once, and they can never self-start it again; re-enabling is allowed at any time for others.")
  static final class Trials extends ClientCommand {
    @Option(names = "--type", description = "License type offering a self-service trial (TRIAL).")
    String type;

    static final class Switch {
      @Option(
          names = "--disable",
          required = true,
          description = "Disable self-service trials of --type.")
      boolean disable;

      @Option(
          names = "--enable",
          required = true,
          description = "Enable self-service trials of --type.")
      boolean enable;
    }

    @ArgGroup(exclusive = true)
    Switch change;

    @Override
    int run() {
      var stub = client.stub(LicensingServiceGrpc::newBlockingStub);
      if (change != null) {
        if (type == null) {
          throw new picocli.CommandLine.ParameterException(
              spec.commandLine(), "--type: missing (expected with --enable/--disable)");
        }
        var resp =
            stub.setSelfServiceTrials(
                SetSelfServiceTrialsRequest.newBuilder()
                    .setType(LicenseCommands.licenseType(spec, type))
                    .setEnabled(change.enable)
                    .build());
        client.print(
            out(),
            resp,
            o -> {
              new Table("TYPE", "SELF-SERVICE", "DAYS")
                  .row(
                      LicenseCommands.name(resp.getTrial().getType()),
                      resp.getTrial().getEnabled() ? "enabled" : "disabled",
                      resp.getTrial().getDays())
                  .print(o);
              if (resp.getRemovedFromCount() > 0) {
                o.println(
                    "removed from "
                        + resp.getRemovedFromCount()
                        + " users (irreversibly for them): "
                        + String.join(", ", resp.getRemovedFromList()));
              }
            });
        return 0;
      }
      var resp =
          PageOptions.all(
              ListSelfServiceTrialsRequest.getDefaultInstance(), stub::listSelfServiceTrials);
      client.print(
          out(),
          resp,
          o -> {
            Table t = new Table("TYPE", "SELF-SERVICE", "DAYS");
            resp.getTrialsList()
                .forEach(
                    x ->
                        t.row(
                            LicenseCommands.name(x.getType()),
                            x.getEnabled() ? "enabled" : "disabled",
                            x.getDays()));
            t.print(o);
            if (resp.getGovernmentCloud()) {
              o.println("government cloud: no self-service trial is available (L5)");
            }
          });
      return 0;
    }
  }
}
