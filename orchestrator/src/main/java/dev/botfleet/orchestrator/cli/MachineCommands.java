package dev.botfleet.orchestrator.cli;

import dev.botfleet.orchestrator.api.ProtoMapping;
import dev.botfleet.proto.v1.AllocateBotsRequest;
import dev.botfleet.proto.v1.CreateJoinTokenRequest;
import dev.botfleet.proto.v1.DeallocateBotsRequest;
import dev.botfleet.proto.v1.GetMachineRequest;
import dev.botfleet.proto.v1.ListMachinesRequest;
import dev.botfleet.proto.v1.Machine;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import dev.botfleet.proto.v1.RemoveMachineRequest;
import dev.botfleet.proto.v1.RevokeJoinTokenRequest;
import dev.botfleet.proto.v1.SetAutoAllocationRequest;
import dev.botfleet.proto.v1.SetAutoAllocationResponse;
import dev.botfleet.proto.v1.SetMaintenanceRequest;
import dev.botfleet.proto.v1.SetMaintenanceResponse;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "machine",
    mixinStandardHelpOptions = true,
    description = "Machines, join tokens and bots (A1, P5, P6, P10, A7).",
    subcommands = {
      MachineCommands.JoinToken.class,
      MachineCommands.RevokeToken.class,
      MachineCommands.List.class,
      MachineCommands.Show.class,
      MachineCommands.Bots.class,
      MachineCommands.AutoAllocation.class,
      MachineCommands.Maintenance.class,
      MachineCommands.Remove.class,
      MachineCommands.RotateCredential.class
    })
final class MachineCommands {
  static void table(PrintWriter o, java.util.List<Machine> machines) {
    Table t =
        new Table(
            "NAME",
            "STATUS",
            "GROUP",
            "OS",
            "CPUS",
            "MEMORY",
            "SESSIONS",
            "BOTS",
            "BUSY",
            "AUTO",
            "MAINT",
            "LAST HEARTBEAT");
    machines.forEach(
        m ->
            t.row(
                m.getName(),
                m.getStatus(),
                m.getGroup(),
                WireNames.of(m.getOsFamily()),
                m.getLogicalCpus(),
                gib(m.getMemoryBytes()),
                m.getActiveSessions() + "/" + m.getMaxSessions(),
                m.getBots(),
                m.getBusyBots(),
                m.getAutoAllocation() ? "on" : "off",
                m.getMaintenance() ? "yes" : "no",
                ClientCommand.ts(m.getLastHeartbeat())));
    t.print(o);
  }

  static String gib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  }

  static void show(PrintWriter o, Machine m) {
    new Table("FIELD", "VALUE")
        .row("name", m.getName())
        .row("id", m.getId())
        .row("environment", m.getEnvironment())
        .row("group", m.getGroup())
        .row("status", m.getStatus())
        .row("last heartbeat", ClientCommand.ts(m.getLastHeartbeat()))
        .row("os", WireNames.of(m.getOsFamily()) + " " + m.getOsVersion())
        .row("hostname", m.getHostname())
        .row("cpus", m.getLogicalCpus())
        .row("memory", gib(m.getMemoryBytes()))
        .row("sessions (active/max)", m.getActiveSessions() + "/" + m.getMaxSessions())
        .row("bots (allocated/busy)", m.getBots() + "/" + m.getBusyBots())
        .row(
            "excess bots",
            m.getExcessBots() == 0
                ? "none"
                : m.getExcessBots()
                    + " (P5: the machine reports "
                    + m.getMaxSessions()
                    + " sessions; it takes no new run beyond them, busy bots finish their runs;"
                    + " de-allocate "
                    + m.getExcessBots()
                    + " with `botfleet machine bots deallocate "
                    + m.getName()
                    + " --env "
                    + m.getEnvironment()
                    + " --count "
                    + m.getExcessBots()
                    + "`)")
        .row("auto-allocation", m.getAutoAllocation() ? "on" : "off")
        .row("maintenance", m.getMaintenance() ? "yes" : "no")
        .row("installed flows", String.join(", ", m.getInstalledFlowsList()))
        .row("agent", m.getAgentVersion())
        .row("enrolled", ClientCommand.ts(m.getEnrolledAt()))
        .print(o);
  }

  @Command(
      name = "join-token",
      mixinStandardHelpOptions = true,
      description = "Make a one-time join token for an agent (A1).")
  static final class JoinToken extends ClientCommand {
    @Option(names = "--env", required = true, description = "Environment the machine joins.")
    String env;

    @Option(names = "--group", description = "Group the machine joins.")
    String group;

    @Option(
        names = "--ttl",
        defaultValue = "1h",
        converter = DurationConverter.class,
        description = "Lifetime (default: ${DEFAULT-VALUE}).")
    Duration ttl;

    @Override
    int run() {
      var resp =
          client
              .stub(MachineServiceGrpc::newBlockingStub)
              .createJoinToken(
                  CreateJoinTokenRequest.newBuilder()
                      .setEnvironment(env)
                      .setGroup(group == null ? "" : group)
                      .setTtl(ProtoMapping.duration(ttl))
                      .build());
      client.print(
          out(),
          resp,
          o -> {
            o.println(resp.getToken());
            o.println(
                "(token "
                    + resp.getTokenId()
                    + ", one use, expires "
                    + ts(resp.getExpiresAt())
                    + ")");
            o.println(
                "start an agent: ./botfleet agent --server HOST:PORT --join-token "
                    + resp.getToken()
                    + " --flows-dir DIR");
          });
      return 0;
    }
  }

  @Command(
      name = "revoke-token",
      mixinStandardHelpOptions = true,
      description = "Revoke an unused join token.")
  static final class RevokeToken extends ClientCommand {
    @Parameters(index = "0", description = "Token id.")
    String id;

    @Override
    int run() {
      var resp =
          client
              .stub(MachineServiceGrpc::newBlockingStub)
              .revokeJoinToken(RevokeJoinTokenRequest.newBuilder().setTokenId(id).build());
      client.print(out(), resp, o -> o.println("revoked " + id));
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Machines of an environment.")
  static final class List extends ClientCommand {
    @picocli.CommandLine.Mixin PageOptions paging;

    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Override
    int run() {
      var resp =
          paging.fetch(
              ListMachinesRequest.newBuilder().setEnvironment(env).build(),
              r -> client.stub(MachineServiceGrpc::newBlockingStub).listMachines(r),
              err(),
              "machines");
      client.print(out(), resp, o -> table(o, resp.getMachinesList()));
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "One machine: OS, CPUs, memory, sessions, bots, status, last heartbeat.")
  static final class Show extends ClientCommand {
    @Option(names = "--env", required = true, description = "The machine's environment.")
    String env;

    @Parameters(index = "0", description = "Machine name.")
    String machine;

    @Override
    int run() {
      var resp =
          client
              .stub(MachineServiceGrpc::newBlockingStub)
              .getMachine(
                  GetMachineRequest.newBuilder().setEnvironment(env).setMachine(machine).build());
      client.print(out(), resp, o -> show(o, resp.getMachine()));
      return 0;
    }
  }

  @Command(
      name = "bots",
      mixinStandardHelpOptions = true,
      description = "Allocate or de-allocate bots.",
      subcommands = {Bots.Allocate.class, Bots.Deallocate.class})
  static final class Bots {
    @Command(
        name = "allocate",
        mixinStandardHelpOptions = true,
        description = "Allocate process units to a machine as bots (P5).")
    static final class Allocate extends ClientCommand {
      @Option(names = "--env", required = true, description = "The machine's environment.")
      String env;

      @Parameters(index = "0", description = "Machine name.")
      String machine;

      @Option(
          names = "--count",
          defaultValue = "1",
          description = "Bots to add (default: ${DEFAULT-VALUE}).")
      int count;

      @Override
      int run() {
        var resp =
            client
                .stub(MachineServiceGrpc::newBlockingStub)
                .allocateBots(
                    AllocateBotsRequest.newBuilder()
                        .setEnvironment(env)
                        .setMachine(machine)
                        .setCount(count)
                        .build());
        client.print(out(), resp, o -> table(o, java.util.List.of(resp.getMachine())));
        return 0;
      }
    }

    @Command(
        name = "deallocate",
        mixinStandardHelpOptions = true,
        description = "Remove bots; busy bots need --force, which cancels their runs (P10).")
    static final class Deallocate extends ClientCommand {
      @Option(names = "--env", required = true, description = "The machine's environment.")
      String env;

      @Parameters(index = "0", description = "Machine name.")
      String machine;

      @Option(
          names = "--count",
          defaultValue = "1",
          description = "Bots to remove (default: ${DEFAULT-VALUE}).")
      int count;

      @Option(names = "--force", description = "Also remove busy bots, cancelling their runs.")
      boolean force;

      @Override
      int run() {
        var resp =
            client
                .stub(MachineServiceGrpc::newBlockingStub)
                .deallocateBots(
                    DeallocateBotsRequest.newBuilder()
                        .setEnvironment(env)
                        .setMachine(machine)
                        .setCount(count)
                        .setForce(force)
                        .build());
        client.print(
            out(),
            resp,
            o -> {
              table(o, java.util.List.of(resp.getMachine()));
              if (resp.getCancelledRunIdsCount() > 0) {
                o.println("cancelled runs: " + String.join(", ", resp.getCancelledRunIdsList()));
              }
            });
        return 0;
      }
    }
  }

  static final class OnOff {
    @Option(names = "--on", required = true, description = "Turn on.")
    boolean on;

    @Option(names = "--off", required = true, description = "Turn off.")
    boolean off;
  }

  /**
   * A machine switch: the machine, --on or --off, and the call that sets it; prints its response.
   */
  abstract static class Toggle<R extends com.google.protobuf.MessageOrBuilder>
      extends ClientCommand {
    @Option(names = "--env", required = true, description = "The machine's environment.")
    String env;

    @Parameters(index = "0", description = "Machine name.")
    String machine;

    @ArgGroup(exclusive = true, multiplicity = "1")
    OnOff state;

    abstract R set(MachineServiceGrpc.MachineServiceBlockingStub stub, String machine, boolean on);

    abstract Machine machineOf(R response);

    @Override
    int run() {
      R resp = set(client.stub(MachineServiceGrpc::newBlockingStub), machine, state.on);
      client.print(out(), resp, o -> table(o, java.util.List.of(machineOf(resp))));
      return 0;
    }
  }

  @Command(
      name = "auto-allocation",
      mixinStandardHelpOptions = true,
      description = "Let the machine allocate itself bots when runs need them (P6).")
  static final class AutoAllocation extends Toggle<SetAutoAllocationResponse> {
    @Override
    SetAutoAllocationResponse set(
        MachineServiceGrpc.MachineServiceBlockingStub stub, String machine, boolean on) {
      return stub.setAutoAllocation(
          SetAutoAllocationRequest.newBuilder()
              .setEnvironment(env)
              .setMachine(machine)
              .setEnabled(on)
              .build());
    }

    @Override
    Machine machineOf(SetAutoAllocationResponse r) {
      return r.getMachine();
    }
  }

  @Command(
      name = "maintenance",
      mixinStandardHelpOptions = true,
      description = "Maintenance mode: no new runs; running runs finish (A7).")
  static final class Maintenance extends Toggle<SetMaintenanceResponse> {
    @Override
    SetMaintenanceResponse set(
        MachineServiceGrpc.MachineServiceBlockingStub stub, String machine, boolean on) {
      return stub.setMaintenance(
          SetMaintenanceRequest.newBuilder()
              .setEnvironment(env)
              .setMachine(machine)
              .setEnabled(on)
              .build());
    }

    @Override
    Machine machineOf(SetMaintenanceResponse r) {
      return r.getMachine();
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = {
        "Remove a machine (issue 12 §3): its credential is revoked and its stream ended, its bots go"
            + " back to the environment's process capacity, its runs end by R5 (AGENT_LOST, or"
            + " re-queued when retryable). Its runs keep naming it. Removing it again is harmless."
      })
  static final class Remove extends ClientCommand {
    @Option(names = "--env", required = true, description = "The machine's environment.")
    String env;

    @Parameters(index = "0", description = "Machine name.")
    String machine;

    @Override
    int run() {
      var resp =
          client
              .stub(MachineServiceGrpc::newBlockingStub)
              .removeMachine(
                  RemoveMachineRequest.newBuilder()
                      .setEnvironment(env)
                      .setMachine(machine)
                      .build());
      client.print(
          out(),
          resp,
          o -> {
            table(o, java.util.List.of(resp.getMachine()));
            o.println();
            o.println(
                resp.getRemovedNow()
                    ? "removed " + machine + "; its credential is revoked"
                    : machine + " was removed already");
          });
      return 0;
    }
  }

  @Command(
      name = "rotate-credential",
      mixinStandardHelpOptions = true,
      description =
          "Replace a machine's client certificate: its agent makes a new key and the certificate"
              + " in use is revoked once the new one is issued (issue 12). A disconnected agent is"
              + " asked when it next connects.")
  static final class RotateCredential extends ClientCommand {
    @Option(names = "--env", required = true, description = "The machine's environment.")
    String env;

    @Parameters(index = "0", description = "Machine name.")
    String machine;

    @Override
    int run() {
      var resp =
          client
              .stub(MachineServiceGrpc::newBlockingStub)
              .rotateMachineCredential(
                  dev.botfleet.proto.v1.RotateMachineCredentialRequest.newBuilder()
                      .setEnvironment(env)
                      .setMachine(machine)
                      .build());
      client.print(
          out(),
          resp,
          o ->
              o.println(
                  resp.getAskedNow()
                      ? "asked the agent of "
                          + machine
                          + " for a new certificate; the current one is revoked when it is issued"
                      : "the agent of "
                          + machine
                          + " is asked for a new certificate when it next connects"));
      return 0;
    }
  }
}
