package dev.botfleet.orchestrator.cli;

import dev.botfleet.proto.v1.AllocatePerFlowRequest;
import dev.botfleet.proto.v1.AllocateProcessRequest;
import dev.botfleet.proto.v1.AssociateFlowRequest;
import dev.botfleet.proto.v1.CloudFlow;
import dev.botfleet.proto.v1.CreateFlowRequest;
import dev.botfleet.proto.v1.DeallocatePerFlowRequest;
import dev.botfleet.proto.v1.DeallocateProcessRequest;
import dev.botfleet.proto.v1.DissociateFlowRequest;
import dev.botfleet.proto.v1.FlowServiceGrpc;
import dev.botfleet.proto.v1.GetFlowRequest;
import dev.botfleet.proto.v1.ListFlowsRequest;
import dev.botfleet.proto.v1.ShareFlowRequest;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "flow",
    mixinStandardHelpOptions = true,
    description = "Cloud flows and their plans (P3, P4, P7, P9).",
    subcommands = {
      FlowCommands.Create.class,
      FlowCommands.Show.class,
      FlowCommands.ListCmd.class,
      FlowCommands.Share.class,
      FlowCommands.AllocateProcess.class,
      FlowCommands.DeallocateProcess.class,
      FlowCommands.AllocatePerFlow.class,
      FlowCommands.DeallocatePerFlow.class,
      FlowCommands.Associate.class,
      FlowCommands.Dissociate.class
    })
final class FlowCommands {
  static String plan(CloudFlow f) {
    return WireNames.of(f.getPlan());
  }

  static String connectors(CloudFlow f) {
    return f.getConnectorsList().stream()
        .map(c -> c.name().replace("CONNECTOR_", "").toLowerCase(java.util.Locale.ROOT))
        .collect(Collectors.joining(","));
  }

  static void show(PrintWriter o, CloudFlow f) {
    Table t = new Table("FIELD", "VALUE");
    t.row("name", f.getName());
    t.row("environment", f.getEnvironment());
    t.row("owner", f.getOwner());
    t.row("connectors", connectors(f));
    t.row(
        "app",
        f.getApp().isEmpty()
            ? ""
            : f.getApp() + " (" + LicenseCommands.name(f.getAppLicense()) + ")");
    t.row("plan", plan(f) + " (" + f.getPlanRule() + ")");
    t.row("process units", f.getProcessUnits());
    t.row("per-flow plan", f.getPerFlow() ? "yes" : "no");
    t.row("covered by", f.getCoveredBy());
    t.row("parent", f.getParent());
    t.row(
        "associated flows",
        f.getAssociatedCount()
            + (f.getAssociatedCount() == 0 ? "" : ": " + String.join(", ", f.getAssociatedList())));
    t.row("bucket", f.getBucket());
    t.row("daily PPR limit", f.getDailyRequestLimit());
    t.row("bucket used today", f.getBucketUsedToday());
    t.row("flow used today", f.getUsedToday());
    t.row("shared with", String.join(", ", f.getSharedWithList()));
    t.print(o);
  }

  static void table(PrintWriter o, List<CloudFlow> flows) {
    Table t =
        new Table(
            "NAME",
            "OWNER",
            "PLAN",
            "UNITS",
            "PARENT",
            "ASSOCIATED",
            "BUCKET",
            "LIMIT",
            "USED TODAY");
    flows.forEach(
        f ->
            t.row(
                f.getName(),
                f.getOwner(),
                plan(f),
                f.getProcessUnits(),
                f.getParent(),
                f.getAssociatedCount(),
                f.getBucket(),
                f.getDailyRequestLimit(),
                f.getUsedToday()));
    t.print(o);
  }

  abstract static class FlowRef extends ClientCommand {
    @Parameters(index = "0", description = "Cloud flow name.")
    String flow;

    @Option(names = "--env", required = true, description = "The flow's environment.")
    String env;

    String env() {
      return env == null ? "" : env;
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description =
          "Create a cloud flow owned by USER; refused when the owner's licenses do not allow its connectors (L2, L7, L8).")
  static final class Create extends ClientCommand {
    @Parameters(index = "0", description = "Flow name (unique in its environment).")
    String name;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Option(names = "--owner", required = true, description = "Owning user.")
    String owner;

    @Option(
        names = "--connector",
        description = "standard, premium or custom; repeat for several (default: standard).")
    List<String> connectors = new ArrayList<>();

    @Option(
        names = "--app",
        description = "The app the flow is associated to and runs in-context of (L2).")
    String app;

    @Option(
        names = "--app-license",
        description =
            "The license the app comes from (default POWER_APPS_PREMIUM; or D365_PROFESSIONAL, D365_ENTERPRISE, D365_TEAM_MEMBER).")
    String appLicense;

    @Override
    int run() {
      var req = CreateFlowRequest.newBuilder().setName(name).setEnvironment(env).setOwner(owner);
      connectors.forEach(c -> req.addConnectors(EntitlementCommands.tier(spec, c)));
      if (app != null) {
        req.setApp(app);
      }
      if (appLicense != null) {
        req.setAppLicense(LicenseCommands.licenseType(spec, appLicense));
      }
      var resp = client.stub(FlowServiceGrpc::newBlockingStub).createFlow(req.build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "A flow's plan, daily PPR limit, used today, parent and associated flows.")
  static final class Show extends FlowRef {
    @Override
    int run() {
      var resp =
          client
              .stub(FlowServiceGrpc::newBlockingStub)
              .getFlow(GetFlowRequest.newBuilder().setName(flow).setEnvironment(env()).build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Flows of an environment.")
  static final class ListCmd extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListFlowsRequest.newBuilder().setEnvironment(env).build(),
              r -> client.stub(FlowServiceGrpc::newBlockingStub).listFlows(r),
              err(),
              "flows");
      client.print(out(), resp, o -> table(o, resp.getFlowsList()));
      return 0;
    }
  }

  @Command(
      name = "share",
      mixinStandardHelpOptions = true,
      description = "Share a flow with a user; an owner holding only FREE cannot share (L4).")
  static final class Share extends FlowRef {
    @Option(names = "--with", required = true, description = "User to share with.")
    String with;

    @Override
    int run() {
      var resp =
          client
              .stub(FlowServiceGrpc::newBlockingStub)
              .shareFlow(
                  ShareFlowRequest.newBuilder()
                      .setFlow(flow)
                      .setEnvironment(env())
                      .setUser(with)
                      .build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }

  @Command(
      name = "allocate-process",
      mixinStandardHelpOptions = true,
      description =
          "Allocate N more process units of the environment's pool to the flow; it becomes a process flow, 250,000 daily requests per unit (P3).")
  static final class AllocateProcess extends FlowRef {
    @Option(names = "--count", defaultValue = "1", description = "Units (default 1).")
    int count;

    @Override
    int run() {
      var resp =
          client
              .stub(FlowServiceGrpc::newBlockingStub)
              .allocateProcess(
                  AllocateProcessRequest.newBuilder()
                      .setFlow(flow)
                      .setEnvironment(env())
                      .setCount(count)
                      .build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }

  @Command(
      name = "deallocate-process",
      mixinStandardHelpOptions = true,
      description = "Give N process units of the flow back to the pool (P3).")
  static final class DeallocateProcess extends FlowRef {
    @Option(names = "--count", defaultValue = "1", description = "Units (default 1).")
    int count;

    @Override
    int run() {
      var resp =
          client
              .stub(FlowServiceGrpc::newBlockingStub)
              .deallocateProcess(
                  DeallocateProcessRequest.newBuilder()
                      .setFlow(flow)
                      .setEnvironment(env())
                      .setCount(count)
                      .build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }

  @Command(
      name = "allocate-per-flow",
      mixinStandardHelpOptions = true,
      description =
          "Allocate one per-flow plan to the flow (P9: at most one, 250,000 daily requests).")
  static final class AllocatePerFlow extends FlowRef {
    @Override
    int run() {
      var resp =
          client
              .stub(FlowServiceGrpc::newBlockingStub)
              .allocatePerFlow(
                  AllocatePerFlowRequest.newBuilder().setFlow(flow).setEnvironment(env()).build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }

  @Command(
      name = "deallocate-per-flow",
      mixinStandardHelpOptions = true,
      description = "Give the flow's per-flow plan back (P9).")
  static final class DeallocatePerFlow extends FlowRef {
    @Override
    int run() {
      var resp =
          client
              .stub(FlowServiceGrpc::newBlockingStub)
              .deallocatePerFlow(
                  DeallocatePerFlowRequest.newBuilder()
                      .setFlow(flow)
                      .setEnvironment(env())
                      .build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }

  @Command(
      name = "associate",
      mixinStandardHelpOptions = true,
      description =
          "Associate FLOW to PROCESS_FLOW: its requests count against the process flow (P4; at most 25, one parent, no process flow as child).")
  static final class Associate extends ClientCommand {
    @Parameters(index = "0", description = "The process flow (parent).")
    String processFlow;

    @Parameters(index = "1", description = "The flow to associate (child).")
    String flow;

    @Option(names = "--env", required = true, description = "The flows' environment.")
    String env;

    @Override
    int run() {
      var resp =
          client
              .stub(FlowServiceGrpc::newBlockingStub)
              .associateFlow(
                  AssociateFlowRequest.newBuilder()
                      .setProcessFlow(processFlow)
                      .setFlow(flow)
                      .setEnvironment(env == null ? "" : env)
                      .build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }

  @Command(
      name = "dissociate",
      mixinStandardHelpOptions = true,
      description = "Remove a flow's association to its process flow (P4).")
  static final class Dissociate extends FlowRef {
    @Override
    int run() {
      var resp =
          client
              .stub(FlowServiceGrpc::newBlockingStub)
              .dissociateFlow(
                  DissociateFlowRequest.newBuilder().setFlow(flow).setEnvironment(env()).build());
      client.print(out(), resp, o -> show(o, resp.getFlow()));
      return 0;
    }
  }
}
