package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AddToGroupRequest;
import dev.botfleet.proto.v1.CreateGroupRequest;
import dev.botfleet.proto.v1.ListGroupsRequest;
import dev.botfleet.proto.v1.MachineGroup;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "group",
    mixinStandardHelpOptions = true,
    description = "Machine groups.",
    subcommands = {GroupCommands.Create.class, GroupCommands.Add.class, GroupCommands.List.class})
final class GroupCommands {
  static void table(java.io.PrintWriter o, java.util.List<MachineGroup> groups) {
    Table t = new Table("NAME", "ENVIRONMENT", "MACHINES");
    groups.forEach(
        g -> t.row(g.getName(), g.getEnvironment(), String.join(", ", g.getMachinesList())));
    t.print(o);
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a machine group.")
  static final class Create extends ClientCommand {
    @Parameters(index = "0", description = "Group name.")
    String name;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Override
    int run() {
      var resp =
          client
              .stub(MachineServiceGrpc::newBlockingStub)
              .createGroup(
                  CreateGroupRequest.newBuilder().setName(name).setEnvironment(env).build());
      client.print(out(), resp, o -> table(o, java.util.List.of(resp.getGroup())));
      return 0;
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "Put a machine in a group (a machine is in at most one group).")
  static final class Add extends ClientCommand {
    @Parameters(index = "0", description = "Group name.")
    String group;

    @Parameters(index = "1", description = "Machine name.")
    String machine;

    @Option(
        names = "--env",
        required = true,
        description = "The group's and machine's environment.")
    String env;

    @Override
    int run() {
      var resp =
          client
              .stub(MachineServiceGrpc::newBlockingStub)
              .addToGroup(
                  AddToGroupRequest.newBuilder()
                      .setEnvironment(env)
                      .setGroup(group)
                      .setMachine(machine)
                      .build());
      client.print(out(), resp, o -> table(o, java.util.List.of(resp.getGroup())));
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Groups of an environment.")
  static final class List extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListGroupsRequest.newBuilder().setEnvironment(env).build(),
              r -> client.stub(MachineServiceGrpc::newBlockingStub).listGroups(r),
              err(),
              "groups");
      client.print(out(), resp, o -> table(o, resp.getGroupsList()));
      return 0;
    }
  }
}
