package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.LicensingServiceGrpc;
import dev.botfleet.proto.v1.StartTrialRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "trial",
    mixinStandardHelpOptions = true,
    description = "Self-service trials (L5).",
    subcommands = {TrialCommands.Start.class})
final class TrialCommands {
  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description =
          "Start a self-service trial for a user (90 days). Not available in a government cloud, when an admin disabled it,"
              + " or for a user whose trial was removed by disabling (L5).")
  static final class Start extends ClientCommand {
    @Parameters(index = "0", description = "User name.")
    String user;

    @Option(
        names = "--type",
        defaultValue = "TRIAL",
        description = "Trial license type (default: TRIAL).")
    String type;

    @Override
    int run() {
      var resp =
          client
              .stub(LicensingServiceGrpc::newBlockingStub)
              .startTrial(
                  StartTrialRequest.newBuilder()
                      .setUser(user)
                      .setType(LicenseCommands.licenseType(spec, type))
                      .build());
      client.print(out(), resp, o -> LicenseCommands.table(o, List.of(resp.getLicense())));
      return 0;
    }
  }
}
