package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AssignLicenseRequest;
import dev.botfleet.proto.v1.ExtendLicenseTrialRequest;
import dev.botfleet.proto.v1.LicenseType;
import dev.botfleet.proto.v1.LicensingServiceGrpc;
import dev.botfleet.proto.v1.ListLicensesRequest;
import dev.botfleet.proto.v1.RemoveLicenseRequest;
import dev.botfleet.proto.v1.UserLicense;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

@Command(
    name = "license",
    mixinStandardHelpOptions = true,
    description = "User licenses (L1, L3, L6).",
    subcommands = {
      LicenseCommands.Assign.class,
      LicenseCommands.ListCmd.class,
      LicenseCommands.Remove.class,
      LicenseCommands.ExtendTrial.class
    })
final class LicenseCommands {
  static final String TYPES =
      "FREE, PREMIUM, PER_USER, P1, P2, DEVELOPER, POWER_APPS_PREMIUM, M365, D365_PROFESSIONAL, D365_ENTERPRISE, D365_TEAM_MEMBER"
          + " (TRIAL: `botfleet trial start`; WINDOWS applies to machines)";

  /**
   * A license type typed by a person: case-insensitive, with or without the LICENSE_TYPE_ prefix.
   */
  static LicenseType licenseType(CommandSpec spec, String value) {
    try {
      return WireNames.parse(LicenseType.class, value);
    } catch (CommandLine.TypeConversionException e) {
      throw new ParameterException(
          spec.commandLine(), "--type: '" + value + "' (expected: one of " + TYPES + ")");
    }
  }

  static String name(LicenseType t) {
    return WireNames.of(t);
  }

  static void table(PrintWriter o, List<UserLicense> licenses) {
    Table t =
        new Table("USER", "TYPE", "SOURCE", "STARTS", "ENDS", "EXTENDED", "ACTIVE", "DAILY PPR");
    licenses.forEach(
        l ->
            t.row(
                l.getUser(),
                name(l.getType()),
                WireNames.of(l.getSource()),
                ClientCommand.ts(l.getStartsAt()),
                ClientCommand.ts(l.getEndsAt()),
                l.getExtended() ? "yes" : "",
                l.getActive() ? "yes" : "no",
                l.getDailyRequestLimit()));
    t.print(o);
  }

  @Command(
      name = "assign",
      mixinStandardHelpOptions = true,
      description =
          "Assign a license to a user (L1). P1/P2 are refused after 2020-12-31; WINDOWS is a machine license."
              + " --trial: a 30-day admin-managed PREMIUM trial, extendable once (L6).")
  static final class Assign extends ClientCommand {
    @Parameters(index = "0", description = "User name.")
    String user;

    @Option(names = "--type", required = true, description = "License type: " + TYPES)
    String type;

    @Option(
        names = "--end",
        description = "Last day the license is valid (UTC, YYYY-MM-DD); default: no end.")
    LocalDate end;

    @Option(
        names = "--trial",
        description =
            "An admin-managed trial (PREMIUM): 30 days, extendable once with `license extend-trial`.")
    boolean trial;

    @Override
    int run() {
      var req =
          AssignLicenseRequest.newBuilder()
              .setUser(user)
              .setType(licenseType(spec, type))
              .setAdminTrial(trial);
      if (end != null) {
        req.setEndsAt(
            com.google.protobuf.Timestamp.newBuilder()
                .setSeconds(end.plusDays(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC)));
      }
      var resp = client.stub(LicensingServiceGrpc::newBlockingStub).assignLicense(req.build());
      client.print(out(), resp, o -> table(o, List.of(resp.getLicense())));
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "A user's licenses and their summed daily request limit (L3).")
  static final class ListCmd extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Parameters(index = "0", description = "User name.")
    String user;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListLicensesRequest.newBuilder().setUser(user).build(),
              r -> client.stub(LicensingServiceGrpc::newBlockingStub).listLicenses(r),
              err(),
              "licenses");
      client.print(
          out(),
          resp,
          o -> {
            table(o, resp.getLicensesList());
            o.println();
            o.println(
                "daily request limit (L3, sum of active licenses): " + resp.getDailyRequestLimit());
          });
      return 0;
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Remove a license type from a user.")
  static final class Remove extends ClientCommand {
    @Parameters(index = "0", description = "User name.")
    String user;

    @Option(names = "--type", required = true, description = "License type.")
    String type;

    @Override
    int run() {
      var resp =
          client
              .stub(LicensingServiceGrpc::newBlockingStub)
              .removeLicense(
                  RemoveLicenseRequest.newBuilder()
                      .setUser(user)
                      .setType(licenseType(spec, type))
                      .build());
      client.print(
          out(),
          resp,
          o ->
              o.println(
                  resp.getRemoved()
                      ? "removed " + type + " from " + user
                      : user + " held no " + type));
      return 0;
    }
  }

  @Command(
      name = "extend-trial",
      mixinStandardHelpOptions = true,
      description = "Extend an admin-managed trial license once by 30 days (L6).")
  static final class ExtendTrial extends ClientCommand {
    @Parameters(index = "0", description = "User name.")
    String user;

    @Option(
        names = "--type",
        defaultValue = "PREMIUM",
        description = "License type (default: PREMIUM).")
    String type;

    @Override
    int run() {
      var resp =
          client
              .stub(LicensingServiceGrpc::newBlockingStub)
              .extendLicenseTrial(
                  ExtendLicenseTrialRequest.newBuilder()
                      .setUser(user)
                      .setType(licenseType(spec, type))
                      .build());
      client.print(out(), resp, o -> table(o, List.of(resp.getLicense())));
      return 0;
    }
  }
}
