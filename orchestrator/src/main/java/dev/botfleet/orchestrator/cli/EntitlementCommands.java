package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.CheckEntitlementRequest;
import dev.botfleet.proto.v1.ConnectorTier;
import dev.botfleet.proto.v1.EntitlementAction;
import dev.botfleet.proto.v1.LicensingServiceGrpc;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

@Command(
    name = "entitlement",
    mixinStandardHelpOptions = true,
    description = "Entitlement checks (L7).",
    subcommands = {EntitlementCommands.Check.class})
final class EntitlementCommands {
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description =
          "May USER do ACTION in ENV (on FLOW)? Prints allowed/denied, the rule that decided and a next step. Exit 0 when allowed, 1 when denied.")
  static final class Check extends ClientCommand {
    @Option(names = "--user", required = true, description = "User name.")
    String user;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Option(
        names = "--action",
        required = true,
        description =
            "CREATE_FLOW, RUN_FLOW, SHARE_FLOW, USE_CONNECTOR, CREATE_DESKTOP_FLOW, RUN_ATTENDED, RUN_UNATTENDED, CREATE_BUSINESS_PROCESS_FLOW.")
    String action;

    @Option(names = "--flow", description = "Cloud flow in ENV (its plan and app count).")
    String flow;

    @Option(
        names = "--connector",
        description = "standard, premium or custom (required for USE_CONNECTOR).")
    String connector;

    @Override
    int run() {
      var req =
          CheckEntitlementRequest.newBuilder()
              .setUser(user)
              .setEnvironment(env)
              .setAction(action());
      if (flow != null) {
        req.setFlow(flow);
      }
      if (connector != null) {
        req.setConnector(tier(spec, connector));
      }
      var resp = client.stub(LicensingServiceGrpc::newBlockingStub).checkEntitlement(req.build());
      client.print(
          out(),
          resp,
          o -> {
            o.println(
                (resp.getAllowed() ? "ALLOWED" : "DENIED") + " (rule " + resp.getRule() + ")");
            o.println("reason:    " + resp.getReason());
            if (!resp.getNextStep().isEmpty()) {
              o.println("next step: " + resp.getNextStep());
            }
            o.println(
                "licenses:  "
                    + resp.getLicensesList().stream()
                        .map(LicenseCommands::name)
                        .collect(Collectors.joining(", ")));
          });
      return resp.getAllowed() ? 0 : 1;
    }

    private EntitlementAction action() {
      try {
        return WireNames.parse(EntitlementAction.class, action);
      } catch (picocli.CommandLine.TypeConversionException e) {
        // below
      }
      throw new ParameterException(
          spec.commandLine(),
          "--action: '"
              + action
              + "' (expected: CREATE_FLOW, RUN_FLOW, SHARE_FLOW, USE_CONNECTOR,"
              + " CREATE_DESKTOP_FLOW, RUN_ATTENDED, RUN_UNATTENDED or CREATE_BUSINESS_PROCESS_FLOW)");
    }
  }

  static ConnectorTier tier(picocli.CommandLine.Model.CommandSpec spec, String value) {
    String v = value.trim().toUpperCase(Locale.ROOT);
    switch (v) {
      case "STANDARD":
        return ConnectorTier.CONNECTOR_TIER_STANDARD;
      case "PREMIUM":
        return ConnectorTier.CONNECTOR_TIER_PREMIUM;
      case "CUSTOM":
        return ConnectorTier.CONNECTOR_TIER_CUSTOM;
      default:
        throw new ParameterException(
            spec.commandLine(),
            "--connector: '" + value + "' (expected: standard, premium or custom)");
    }
  }
}
