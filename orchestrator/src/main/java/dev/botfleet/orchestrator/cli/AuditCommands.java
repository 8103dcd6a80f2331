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
    @Option(
        names = "--limit",
        defaultValue = "100",
        description = "At most this many events (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(
        names = "--action",
        defaultValue = "",
        description = "Only actions starting with this, e.g. capacity.")
    String action;

    @Override
    int run() {
      var resp =
          client
              .stub(AdminServiceGrpc::newBlockingStub)
              .listAuditEvents(
                  ListAuditEventsRequest.newBuilder()
                      .setLimit(limit)
                      .setActionPrefix(action)
                      .build());
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
