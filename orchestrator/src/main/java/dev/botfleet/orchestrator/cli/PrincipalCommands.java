package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.CreatePrincipalRequest;
import dev.botfleet.proto.v1.ListPrincipalsRequest;
import dev.botfleet.proto.v1.RevokePrincipalRequest;
import dev.botfleet.proto.v1.Role;
import dev.botfleet.proto.v1.RotatePrincipalTokenRequest;
import java.time.Duration;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "principal",
    mixinStandardHelpOptions = true,
    description = "Users and admins that call the API.",
    subcommands = {
      PrincipalCommands.Create.class,
      PrincipalCommands.List.class,
      PrincipalCommands.Revoke.class,
      PrincipalCommands.RotateToken.class
    })
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

    @Option(
        names = "--expires-in",
        converter = DurationConverter.class,
        description = "The token stops working after this long, e.g. 30d (default: never).")
    Duration expiresIn;

    @Override
    int run() {
      var b =
          CreatePrincipalRequest.newBuilder().setName(name).setRole(role).addAllEnvironments(envs);
      if (expiresIn != null) {
        b.setExpiresIn(dev.botfleet.orchestrator.api.ProtoMapping.duration(expiresIn));
      }
      var resp = client.stub(AdminServiceGrpc::newBlockingStub).createPrincipal(b.build());
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
            Table t = new Table("NAME", "ID", "ROLES", "CREATED", "TOKEN EXPIRES", "REVOKED");
            resp.getPrincipalsList()
                .forEach(
                    p ->
                        t.row(
                            p.getName(),
                            p.getId(),
                            roles(p),
                            ts(p.getCreatedAt()),
                            ts(p.getTokenExpiresAt()),
                            ts(p.getRevokedAt())));
            t.print(o);
          });
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description =
          "Revoke a principal: its tokens stop working at once, on every replica (issue 12 §3).")
  static final class Revoke extends ClientCommand {
    @Parameters(index = "0", description = "Name.")
    String name;

    @Override
    int run() {
      var resp =
          client
              .stub(AdminServiceGrpc::newBlockingStub)
              .revokePrincipal(RevokePrincipalRequest.newBuilder().setName(name).build());
      client.print(
          out(),
          resp,
          o ->
              o.println(
                  resp.getRevokedNow()
                      ? "revoked " + name + " at " + ts(resp.getPrincipal().getRevokedAt())
                      : name + " was revoked already"));
      return 0;
    }
  }

  @Command(
      name = "rotate-token",
      mixinStandardHelpOptions = true,
      description =
          "Give a principal a new token (shown once); the old one stops at once or after --grace.")
  static final class RotateToken extends ClientCommand {
    @Parameters(index = "0", description = "Name.")
    String name;

    @Option(
        names = "--grace",
        converter = DurationConverter.class,
        description = "The old token keeps working this long, e.g. 1h (default: it stops at once).")
    Duration grace;

    @Option(
        names = "--expires-in",
        converter = DurationConverter.class,
        description = "The new token stops working after this long, e.g. 30d (default: never).")
    Duration expiresIn;

    @Override
    int run() {
      var b = RotatePrincipalTokenRequest.newBuilder().setName(name);
      if (grace != null) {
        b.setGrace(dev.botfleet.orchestrator.api.ProtoMapping.duration(grace));
      }
      if (expiresIn != null) {
        b.setExpiresIn(dev.botfleet.orchestrator.api.ProtoMapping.duration(expiresIn));
      }
      var resp = client.stub(AdminServiceGrpc::newBlockingStub).rotatePrincipalToken(b.build());
      client.print(
          out(),
          resp,
          o -> {
            o.println(
                resp.hasPreviousTokenValidUntil()
                    ? "old token works until " + ts(resp.getPreviousTokenValidUntil())
                    : "old token stopped");
            o.println("token (shown once, keep it secret): " + resp.getToken());
          });
      return 0;
    }
  }
}
