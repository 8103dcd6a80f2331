package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.CreateUserRequest;
import dev.botfleet.proto.v1.LicensingServiceGrpc;
import dev.botfleet.proto.v1.ListUsersRequest;
import dev.botfleet.proto.v1.User;
import java.io.PrintWriter;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "user",
    mixinStandardHelpOptions = true,
    description = "Licensed users (the people flows belong to).",
    subcommands = {UserCommands.Create.class, UserCommands.ListCmd.class})
final class UserCommands {
  static void table(PrintWriter o, List<User> users) {
    Table t = new Table("NAME", "LICENSES", "DAILY PPR", "CREATED");
    users.forEach(
        u ->
            t.row(
                u.getName(),
                u.getLicensesList().stream()
                    .map(LicenseCommands::name)
                    .collect(Collectors.joining(",")),
                u.getDailyRequestLimit(),
                ClientCommand.ts(u.getCreatedAt())));
    t.print(o);
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a user; it gets the FREE license unless --no-free.")
  static final class Create extends ClientCommand {
    @Parameters(index = "0", description = "User name.")
    String name;

    @Option(names = "--no-free", description = "Do not give the FREE license.")
    boolean noFree;

    @Override
    int run() {
      var resp =
          client
              .stub(LicensingServiceGrpc::newBlockingStub)
              .createUser(
                  CreateUserRequest.newBuilder().setName(name).setWithoutFree(noFree).build());
      client.print(out(), resp, o -> table(o, List.of(resp.getUser())));
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List users, their active licenses and daily request limit (L3).")
  static final class ListCmd extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListUsersRequest.getDefaultInstance(),
              r -> client.stub(LicensingServiceGrpc::newBlockingStub).listUsers(r),
              err(),
              "users");
      client.print(out(), resp, o -> table(o, resp.getUsersList()));
      return 0;
    }
  }
}
