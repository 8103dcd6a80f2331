package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.CapacityServiceGrpc;
import dev.botfleet.proto.v1.ListAppSharesRequest;
import dev.botfleet.proto.v1.ShareAppRequest;
import dev.botfleet.proto.v1.UnshareAppRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "app",
    mixinStandardHelpOptions = true,
    description = "Power Apps per-app sharing (consumes app passes, C6).",
    subcommands = {AppCommands.Share.class, AppCommands.Unshare.class, AppCommands.List.class})
final class AppCommands {
  @Command(
      name = "share",
      mixinStandardHelpOptions = true,
      description = "Share an app with a user; consumes one app pass of the environment.")
  static final class Share extends ClientCommand {
    @Parameters(index = "0", description = "App name.")
    String app;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Option(names = "--user", required = true, description = "User.")
    String user;

    @Override
    int run() {
      var resp =
          client
              .stub(CapacityServiceGrpc::newBlockingStub)
              .shareApp(
                  ShareAppRequest.newBuilder()
                      .setEnvironment(env)
                      .setApp(app)
                      .setUser(user)
                      .build());
      client.print(
          out(),
          resp,
          o ->
              new Table("ENVIRONMENT", "APP", "USER", "PASS")
                  .row(env, app, user, resp.getCreated() ? "consumed" : "already shared")
                  .print(o));
      return 0;
    }
  }

  @Command(
      name = "unshare",
      mixinStandardHelpOptions = true,
      description = "Stop sharing an app with a user; gives the pass back.")
  static final class Unshare extends ClientCommand {
    @Parameters(index = "0", description = "App name.")
    String app;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Option(names = "--user", required = true, description = "User.")
    String user;

    @Override
    int run() {
      var resp =
          client
              .stub(CapacityServiceGrpc::newBlockingStub)
              .unshareApp(
                  UnshareAppRequest.newBuilder()
                      .setEnvironment(env)
                      .setApp(app)
                      .setUser(user)
                      .build());
      client.print(out(), resp, o -> o.println(resp.getRemoved() ? "unshared" : "was not shared"));
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "App shares in an environment.")
  static final class List extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListAppSharesRequest.newBuilder().setEnvironment(env).build(),
              r -> client.stub(CapacityServiceGrpc::newBlockingStub).listAppShares(r),
              err(),
              "shares");
      client.print(
          out(),
          resp,
          o -> {
            Table t = new Table("APP", "USER", "SHARED");
            resp.getSharesList().forEach(s -> t.row(s.getApp(), s.getUser(), ts(s.getSharedAt())));
            t.print(o);
          });
      return 0;
    }
  }
}
