package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.GetUsageRequest;
import dev.botfleet.proto.v1.MeteringServiceGrpc;
import dev.botfleet.proto.v1.RecordUsageRequest;
import dev.botfleet.proto.v1.UsageRecord;
import java.time.LocalDate;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "usage",
    mixinStandardHelpOptions = true,
    description = "Power Platform Request metering (M1-M6).",
    subcommands = {UsageCommands.Record.class, UsageCommands.Show.class})
final class UsageCommands {
  @Command(
      name = "record",
      mixinStandardHelpOptions = true,
      description =
          "Record N requests of a flow or a user, idempotent by --key (M4). Prints the bucket charged (M1);"
              + " over the limit with THROTTLE the call fails with RESOURCE_EXHAUSTED and the time the limit lifts (M3).")
  static final class Record extends ClientCommand {
    static final class Subject {
      @Option(names = "--flow", required = true, description = "Cloud flow.")
      String flow;

      @Option(names = "--user", required = true, description = "User (their own requests).")
      String user;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Subject subject;

    @Option(names = "--env", description = "Environment of --flow (required with --flow).")
    String env;

    @Option(
        names = "--requests",
        required = true,
        description = "Requests this record carries (>= 1).")
    long requests;

    @Option(
        names = "--key",
        required = true,
        description = "Idempotency key: a retry with the same key counts once.")
    String key;

    @Override
    int run() {
      var r = UsageRecord.newBuilder().setRequests(requests).setIdempotencyKey(key);
      if (subject.flow != null) {
        r.setFlow(subject.flow);
        if (env != null) {
          r.setEnvironment(env);
        }
      } else {
        r.setUser(subject.user);
      }
      var resp =
          client
              .stub(MeteringServiceGrpc::newBlockingStub)
              .recordUsage(RecordUsageRequest.newBuilder().addRecords(r).build());
      client.print(
          out(),
          resp,
          o -> {
            Table t = new Table("KEY", "OUTCOME", "BUCKET", "PLAN", "OVERAGE");
            resp.getResultsList()
                .forEach(
                    x ->
                        t.row(
                            x.getIdempotencyKey(),
                            x.getOutcome(),
                            x.getBucket(),
                            WireNames.of(x.getPlan()),
                            x.getOverage()));
            t.print(o);
          });
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description =
          "Bucket, limit, used and overage for a flow, a user or an environment on a day, and who consumed how much (M6).")
  static final class Show extends ClientCommand {
    @Option(
        names = "--flow",
        description = "Cloud flow (with --env when the name exists in several environments).")
    String flow;

    @Option(names = "--user", description = "User.")
    String user;

    @Option(
        names = "--env",
        description =
            "Alone: every bucket charged by the environment's flows; with --flow: the flow's environment.")
    String env;

    @Option(names = "--day", description = "Metering day YYYY-MM-DD (default: today).")
    LocalDate day;

    @Override
    int run() {
      var req = GetUsageRequest.newBuilder();
      if ((flow != null) == (user != null)
          ? flow != null || env == null
          : user != null && env != null) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "expected exactly one of --flow FLOW [--env ENV], --user USER or --env ENV");
      }
      if (flow != null) {
        req.setFlow(flow);
        if (env != null) {
          req.setEnvironment(env);
        }
      } else if (user != null) {
        req.setUser(user);
      } else {
        req.setAllInEnvironment(env);
      }
      if (day != null) {
        req.setDay(day.toString());
      }
      var resp = client.stub(MeteringServiceGrpc::newBlockingStub).getUsage(req.build());
      client.print(
          out(),
          resp,
          o -> {
            o.println(
                "day "
                    + ClientCommand.ts(resp.getDayStartsAt())
                    + " .. "
                    + ClientCommand.ts(resp.getDayEndsAt())
                    + "  policy "
                    + WireNames.of(resp.getOverLimitPolicy())
                    + "  limit multiplier "
                    + resp.getLimitMultiplier());
            Table t =
                new Table(
                    "BUCKET", "PLAN", "LIMIT", "USED", "OVERAGE", "THROTTLED", "LIMIT LIFTS AT");
            resp.getBucketsList()
                .forEach(
                    b ->
                        t.row(
                            b.getBucket(),
                            WireNames.of(b.getPlan()),
                            b.getDailyRequestLimit(),
                            b.getUsed(),
                            b.getOverage(),
                            b.getThrottled(),
                            ClientCommand.ts(b.getLimitLiftsAt())));
            t.print(o);
            for (var b : resp.getBucketsList()) {
              o.println();
              o.println(b.getBucket() + ": " + b.getExplanation());
              if (b.getContributionsCount() > 0) {
                Table c = new Table("  CONSUMER", "REQUESTS", "OVERAGE", "THROTTLED");
                b.getContributionsList()
                    .forEach(
                        x ->
                            c.row(
                                "  "
                                    + WireNames.of(x.getKind()).toLowerCase(java.util.Locale.ROOT)
                                    + ":"
                                    + x.getName(),
                                x.getRequests(),
                                x.getOverage(),
                                x.getThrottled()));
                c.print(o);
              }
            }
          });
      return 0;
    }
  }
}
