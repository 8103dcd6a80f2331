package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "The audit log (C5).",
    subcommands = {AuditCommands.List.class})
final class AuditCommands {
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Changes, newest first: who, when, what, before -> after.")
  static final class List extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Option(
        names = "--action",
        defaultValue = "",
        description = "Only actions starting with this, e.g. capacity.")
    String action;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListAuditEventsRequest.newBuilder().setActionPrefix(action).build(),
              r -> client.stub(AdminServiceGrpc::newBlockingStub).listAuditEvents(r),
              err(),
              "events");
      client.print(
          out(),
          resp,
          o -> {
            Table t = new Table("AT", "ACTOR", "ACTION", "TARGET", "BEFORE", "AFTER");
            resp.getEventsList()
                .forEach(
                    e ->
                        t.row(
                            ts(e.getAt()),
                            e.getActor(),
                            e.getAction(),
                            e.getTarget(),
                            e.getBefore(),
                            e.getAfter()));
            t.print(o);
          });
      return 0;
    }
  }
}
