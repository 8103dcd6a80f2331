package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.WhoAmIRequest;
import picocli.CommandLine.Command;

@Command(
    name = "whoami",
    mixinStandardHelpOptions = true,
    description = "Show who the token belongs to.")
final class WhoAmICommand extends ClientCommand {
  @Override
  int run() {
    var resp =
        client.stub(AdminServiceGrpc::newBlockingStub).whoAmI(WhoAmIRequest.getDefaultInstance());
    client.print(
        out(),
        resp,
        o ->
            new Table("NAME", "ID", "ROLES")
                .row(
                    resp.getPrincipal().getName(),
                    resp.getPrincipal().getId(),
                    PrincipalCommands.roles(resp.getPrincipal()))
                .print(o));
    return 0;
  }
}
