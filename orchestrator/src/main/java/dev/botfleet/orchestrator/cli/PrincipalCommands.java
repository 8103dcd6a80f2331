package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.CreatePrincipalRequest;
import dev.botfleet.proto.v1.ListPrincipalsRequest;
import dev.botfleet.proto.v1.Role;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "principal",
    mixinStandardHelpOptions = true,
    description = "Users and admins that call the API.",
    subcommands = {PrincipalCommands.Create.class, PrincipalCommands.List.class})
final class PrincipalCommands {
  static String roles(dev.botfleet.proto.v1.Principal p) {
    return p.getRolesList().stream()
        .map(
            r ->
                WireNames.of(r.getRole())
                    + (r.getEnvironment().isEmpty() ? "" : "(" + r.getEnvironment() + ")"))
        .collect(Collectors.joining(","));
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a principal and print its token (shown once).")
  static final class Create extends ClientCommand {
    @Parameters(index = "0", description = "Name.")
    String name;

    @Option(
        names = "--role",
        required = true,
        description = "GLOBAL_ADMIN, SERVICE_ADMIN, DELEGATED_ADMIN, ENVIRONMENT_ADMIN or MAKER.")
    Role role;

    @Option(
        names = "--env",
        description =
            "Environment of an ENVIRONMENT_ADMIN or MAKER (required for them, repeat for several).")
    java.util.List<String> envs = new java.util.ArrayList<>();

    @Override
    int run() {
      var resp =
          client
              .stub(AdminServiceGrpc::newBlockingStub)
              .createPrincipal(
                  CreatePrincipalRequest.newBuilder()
                      .setName(name)
                      .setRole(role)
                      .addAllEnvironments(envs)
                      .build());
      client.print(
          out(),
          resp,
          o -> {
            new Table("NAME", "ID", "ROLES")
                .row(
                    resp.getPrincipal().getName(),
                    resp.getPrincipal().getId(),
                    roles(resp.getPrincipal()))
                .print(o);
            o.println();
            o.println("token (shown once, keep it secret): " + resp.getToken());
          });
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List principals.")
  static final class List extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListPrincipalsRequest.getDefaultInstance(),
              r -> client.stub(AdminServiceGrpc::newBlockingStub).listPrincipals(r),
              err(),
              "principals");
      client.print(
          out(),
          resp,
          o -> {
            Table t = new Table("NAME", "ID", "ROLES", "CREATED");
            resp.getPrincipalsList()
                .forEach(p -> t.row(p.getName(), p.getId(), roles(p), ts(p.getCreatedAt())));
            t.print(o);
          });
      return 0;
    }
  }
}
