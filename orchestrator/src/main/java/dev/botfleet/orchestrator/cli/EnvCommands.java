package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.CreateEnvironmentRequest;
import dev.botfleet.proto.v1.EnvironmentServiceGrpc;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.GetEnvironmentRequest;
import dev.botfleet.proto.v1.ListEnvironmentsRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "env",
    mixinStandardHelpOptions = true,
    description = "Environments.",
    subcommands = {EnvCommands.Create.class, EnvCommands.List.class, EnvCommands.Show.class})
final class EnvCommands {
  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an environment.")
  static final class Create extends ClientCommand {
    @Parameters(index = "0", description = "Name.")
    String name;

    @Option(
        names = "--type",
        required = true,
        description = "DEFAULT, PRODUCTION, SANDBOX, TRIAL, DEVELOPER or TEAMS.")
    EnvironmentType type;

    @Override
    int run() {
      var resp =
          client
              .stub(EnvironmentServiceGrpc::newBlockingStub)
              .createEnvironment(
                  CreateEnvironmentRequest.newBuilder().setName(name).setType(type).build());
      var e = resp.getEnvironment();
      client.print(
          out(),
          resp,
          o -> new Table("NAME", "ID", "TYPE").row(e.getName(), e.getId(), e.getType()).print(o));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List environments.")
  static final class List extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListEnvironmentsRequest.getDefaultInstance(),
              r -> client.stub(EnvironmentServiceGrpc::newBlockingStub).listEnvironments(r),
              err(),
              "environments");
      client.print(
          out(),
          resp,
          o -> {
            Table t = new Table("NAME", "ID", "TYPE", "CREATED");
            resp.getEnvironmentsList()
                .forEach(e -> t.row(e.getName(), e.getId(), e.getType(), ts(e.getCreatedAt())));
            t.print(o);
          });
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Show an environment and its capacity.")
  static final class Show extends ClientCommand {
    @Parameters(index = "0", description = "Name.")
    String name;

    @Override
    int run() {
      var resp =
          client
              .stub(EnvironmentServiceGrpc::newBlockingStub)
              .getEnvironment(GetEnvironmentRequest.newBuilder().setName(name).build());
      client.print(
          out(),
          resp,
          o -> {
            var e = resp.getEnvironment();
            o.println(
                "name: "
                    + e.getName()
                    + "   id: "
                    + e.getId()
                    + "   type: "
                    + WireNames.of(e.getType())
                    + "   created: "
                    + ts(e.getCreatedAt()));
            o.println();
            Table t = new Table("SKU", "ALLOCATED", "CONSUMED", "OVER CAPACITY", "UNIT");
            resp.getUsageList()
                .forEach(
                    u ->
                        t.row(
                            u.getSku(),
                            u.getAllocated(),
                            u.getConsumed(),
                            u.getOverCapacity(),
                            u.getUnit()));
            t.print(o);
          });
      return 0;
    }
  }
}
