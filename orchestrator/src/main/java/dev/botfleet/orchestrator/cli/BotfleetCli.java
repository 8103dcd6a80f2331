package dev.botfleet.orchestrator.cli;

import dev.botfleet.common.EnvDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code botfleet}: the orchestrator server and the admin CLI in one command. */
@Command(
    name = "botfleet",
    mixinStandardHelpOptions = true,
    versionProvider = BotfleetCli.Version.class,
    description = "Self-hosted control plane for unattended desktop automation.",
    subcommands = {
      ServerCommand.class,
      AdminCommands.class,
      DemoCommand.class,
      PrincipalCommands.class,
      WhoAmICommand.class,
      EnvCommands.class,
      CapacityCommands.class,
      TenantCommands.class,
      AppCommands.class,
      AuditCommands.class,
      MachineCommands.class,
      GroupCommands.class,
      RunCommands.class,
      DesktopFlowCommands.class,
      UtilizationCommands.class,
      UserCommands.class,
      LicenseCommands.class,
      TrialCommands.class,
      FlowCommands.class,
      EntitlementCommands.class,
      UsageCommands.class,
      CommandLine.HelpCommand.class
    })
public final class BotfleetCli {
  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    return newCommandLine().execute(args);
  }

  public static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new BotfleetCli());
    cl.setDefaultValueProvider(EnvDefaults.fromSystem());
    cl.setExecutionExceptionHandler(new ErrorHandler());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    WireNames.register(cl);
    return cl;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = BotfleetCli.class.getPackage().getImplementationVersion();
      return new String[] {"botfleet " + (v == null ? "dev" : v)};
    }
  }
}
