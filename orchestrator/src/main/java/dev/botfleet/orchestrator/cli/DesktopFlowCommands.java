package dev.botfleet.orchestrator.cli;

import dev.botfleet.orchestrator.api.ProtoMapping;
import dev.botfleet.proto.v1.ListDesktopFlowsRequest;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.SetDesktopFlowRequest;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "desktop-flow",
    mixinStandardHelpOptions = true,
    description = "Per desktop flow defaults: retry after agent loss (R5), time-outs (R10).",
    subcommands = {DesktopFlowCommands.Set.class, DesktopFlowCommands.List.class})
final class DesktopFlowCommands {
  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = "Set a desktop flow's defaults.")
  static final class Set extends ClientCommand {
    @Parameters(index = "0", description = "Desktop flow name.")
    String name;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Option(
        names = "--retryable",
        description =
            "Re-queue its runs when their agent is lost (desktop automation is not idempotent: opt in only if safe).")
    boolean retryable;

    @Option(
        names = "--queue-timeout",
        converter = DurationConverter.class,
        description = "Default queue time-out (6h if unset).")
    Duration queueTimeout;

    @Option(
        names = "--run-timeout",
        converter = DurationConverter.class,
        description = "Default run time-out (24h if unset).")
    Duration runTimeout;

    @Override
    int run() {
      var resp =
          client
              .stub(RunServiceGrpc::newBlockingStub)
              .setDesktopFlow(
                  SetDesktopFlowRequest.newBuilder()
                      .setEnvironment(env)
                      .setName(name)
                      .setRetryable(retryable)
                      .setQueueTimeout(ProtoMapping.duration(queueTimeout))
                      .setRunTimeout(ProtoMapping.duration(runTimeout))
                      .build());
      var f = resp.getFlow();
      client.print(
          out(),
          resp,
          o ->
              new Table("FLOW", "RETRYABLE", "QUEUE TIMEOUT", "RUN TIMEOUT")
                  .row(
                      f.getName(),
                      f.getRetryable(),
                      ProtoMapping.duration(f.getQueueTimeout()),
                      ProtoMapping.duration(f.getRunTimeout()))
                  .print(o));
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Desktop flows with defaults set.")
  static final class List extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListDesktopFlowsRequest.newBuilder().setEnvironment(env).build(),
              r -> client.stub(RunServiceGrpc::newBlockingStub).listDesktopFlows(r),
              err(),
              "desktop flows");
      client.print(
          out(),
          resp,
          o -> {
            Table t = new Table("FLOW", "RETRYABLE", "QUEUE TIMEOUT", "RUN TIMEOUT");
            resp.getFlowsList()
                .forEach(
                    f ->
                        t.row(
                            f.getName(),
                            f.getRetryable(),
                            ProtoMapping.duration(f.getQueueTimeout()),
                            ProtoMapping.duration(f.getRunTimeout())));
            t.print(o);
          });
      return 0;
    }
  }
}
