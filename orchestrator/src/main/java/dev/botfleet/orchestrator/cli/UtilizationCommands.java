package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.GetProcessUtilizationRequest;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "utilization",
    mixinStandardHelpOptions = true,
    description = "Capacity utilization pages.",
    subcommands = {UtilizationCommands.Process.class})
final class UtilizationCommands {
  @Command(
      name = "process",
      mixinStandardHelpOptions = true,
      description = "Every process unit of an environment and where it is allocated (P8).")
  static final class Process extends ClientCommand {
    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Override
    int run() {
      var resp =
          client
              .stub(MachineServiceGrpc::newBlockingStub)
              .getProcessUtilization(
                  GetProcessUtilizationRequest.newBuilder().setEnvironment(env).build());
      client.print(
          out(),
          resp,
          o -> {
            new Table("ENVIRONMENT", "POOL", "TO MACHINES", "TO FLOWS", "FREE")
                .row(
                    resp.getEnvironment(),
                    resp.getPool(),
                    resp.getAllocatedToMachines(),
                    resp.getAllocatedToFlows(),
                    resp.getFree())
                .print(o);
            o.println();
            Table t = new Table("KIND", "ALLOCATED TO", "UNITS", "SOURCE");
            resp.getUnitsList()
                .forEach(
                    u -> t.row(u.getHolder(), u.getAllocatedTo(), u.getUnits(), u.getSource()));
            t.print(o);
          });
      return 0;
    }
  }
}
