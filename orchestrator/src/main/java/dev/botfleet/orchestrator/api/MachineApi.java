package dev.botfleet.orchestrator.api;

import static dev.botfleet.orchestrator.api.AuthInterceptor.caller;

import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorReason;
import dev.botfleet.orchestrator.environments.EnvironmentService;
import dev.botfleet.orchestrator.machines.Enrolment;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.machines.MachineGroup;
import dev.botfleet.orchestrator.machines.MachineGroups;
import dev.botfleet.orchestrator.machines.Machines;
import dev.botfleet.orchestrator.machines.ProcessUtilization;
import dev.botfleet.orchestrator.machines.UnattendedBots;
import dev.botfleet.orchestrator.runs.MachineRemoval;
import dev.botfleet.proto.v1.AddToGroupRequest;
import dev.botfleet.proto.v1.AddToGroupResponse;
import dev.botfleet.proto.v1.AllocateBotsRequest;
import dev.botfleet.proto.v1.AllocateBotsResponse;
import dev.botfleet.proto.v1.CreateGroupRequest;
import dev.botfleet.proto.v1.CreateGroupResponse;
import dev.botfleet.proto.v1.CreateJoinTokenRequest;
import dev.botfleet.proto.v1.CreateJoinTokenResponse;
import dev.botfleet.proto.v1.DeallocateBotsRequest;
import dev.botfleet.proto.v1.DeallocateBotsResponse;
import dev.botfleet.proto.v1.GetMachineRequest;
import dev.botfleet.proto.v1.GetMachineResponse;
import dev.botfleet.proto.v1.GetProcessUtilizationRequest;
import dev.botfleet.proto.v1.GetProcessUtilizationResponse;
import dev.botfleet.proto.v1.ListGroupsRequest;
import dev.botfleet.proto.v1.ListGroupsResponse;
import dev.botfleet.proto.v1.ListMachinesRequest;
import dev.botfleet.proto.v1.ListMachinesResponse;
import dev.botfleet.proto.v1.MachineServiceGrpc;
import dev.botfleet.proto.v1.ProcessUnit;
import dev.botfleet.proto.v1.RemoveMachineRequest;
import dev.botfleet.proto.v1.RemoveMachineResponse;
import dev.botfleet.proto.v1.RevokeJoinTokenRequest;
import dev.botfleet.proto.v1.RevokeJoinTokenResponse;
import dev.botfleet.proto.v1.RotateMachineCredentialRequest;
import dev.botfleet.proto.v1.RotateMachineCredentialResponse;
import dev.botfleet.proto.v1.SetAutoAllocationRequest;
import dev.botfleet.proto.v1.SetAutoAllocationResponse;
import dev.botfleet.proto.v1.SetMaintenanceRequest;
import dev.botfleet.proto.v1.SetMaintenanceResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;

public final class MachineApi extends MachineServiceGrpc.MachineServiceImplBase {
  private final Machines machines;
  private final Enrolment enrolment;
  private final UnattendedBots bots;
  private final MachineGroups groups;
  private final ProcessUtilization utilization;
  private final EnvironmentService environments;

  private final Idempotency idempotency;
  private final MachineRemoval removal;

  /** Asks the agent of a machine whose stream this replica holds to rotate; false if none. */
  private final java.util.function.Predicate<String> rotateOnStream;

  /** Whether this replica holds the machine's agent stream. */
  private final java.util.function.Predicate<String> holdsStream;

  public MachineApi(
      Machines machines,
      Enrolment enrolment,
      UnattendedBots bots,
      MachineGroups groups,
      ProcessUtilization utilization,
      EnvironmentService environments,
      Idempotency idempotency,
      MachineRemoval removal,
      java.util.function.Predicate<String> rotateOnStream,
      java.util.function.Predicate<String> holdsStream) {
    this.idempotency = idempotency;
    this.removal = removal;
    this.rotateOnStream = rotateOnStream;
    this.holdsStream = holdsStream;
    this.machines = machines;
    this.enrolment = enrolment;
    this.bots = bots;
    this.groups = groups;
    this.utilization = utilization;
    this.environments = environments;
  }

  dev.botfleet.proto.v1.Machine machine(Machine m) {
    var c = m.capacity();
    var b =
        dev.botfleet.proto.v1.Machine.newBuilder()
            .setId(m.id())
            .setName(m.name())
            .setEnvironment(environments.requireById(m.environmentId()).name())
            .setOsFamily(ProtoCodes.osFamily(c.osFamily()))
            .setOsVersion(c.osVersion())
            .setHostname(c.hostname())
            .setLogicalCpus(c.logicalCpus())
            .setMemoryBytes(c.memoryBytes())
            .setActiveSessions(c.activeSessions())
            .setMaxSessions(c.maxSessions())
            .setBots(m.bots())
            .setBusyBots(m.busyBots())
            .setExcessBots(m.excessBots())
            .setAutoAllocation(m.autoAllocation())
            .setMaintenance(m.maintenance())
            .setStatus(ProtoEnums.MACHINE_STATUS.proto(m.status()))
            .setLastHeartbeat(ProtoMapping.ts(m.lastHeartbeat()))
            .setEnrolledAt(ProtoMapping.ts(m.enrolledAt()))
            .addAllInstalledFlows(c.installedFlows())
            .setAgentVersion(c.agentVersion());
    if (m.removedAt() != null) {
      b.setRemovedAt(ProtoMapping.ts(m.removedAt()));
    }
    if (m.groupId() != null) {
      b.setGroup(groups.requireGroupById(m.groupId()).name());
    }
    return b.build();
  }

  private dev.botfleet.proto.v1.MachineGroup group(MachineGroup g) {
    return dev.botfleet.proto.v1.MachineGroup.newBuilder()
        .setId(g.id())
        .setName(g.name())
        .setEnvironment(environments.requireById(g.environmentId()).name())
        .addAllMachines(machines.machinesInGroup(g.id()).stream().map(Machine::name).toList())
        .build();
  }

  @Override
  public void createJoinToken(
      CreateJoinTokenRequest req, StreamObserver<CreateJoinTokenResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                CreateJoinTokenResponse.parser(),
                Idempotency.REMEMBER_SECRET,
                () -> {
                  var t =
                      enrolment.createJoinToken(
                          caller(),
                          req.getEnvironment(),
                          req.getGroup(),
                          ProtoMapping.duration(req.getTtl()));
                  return CreateJoinTokenResponse.newBuilder()
                      .setTokenId(t.id())
                      .setToken(t.token())
                      .setExpiresAt(ProtoMapping.ts(t.expiresAt()))
                      .setCaFingerprint(t.caFingerprint())
                      .build();
                }));
  }

  @Override
  public void revokeJoinToken(
      RevokeJoinTokenRequest req, StreamObserver<RevokeJoinTokenResponse> out) {
    Unary.respond(
        out,
        () -> {
          enrolment.revokeJoinToken(caller(), req.getTokenId());
          return RevokeJoinTokenResponse.getDefaultInstance();
        });
  }

  @Override
  public void listMachines(ListMachinesRequest req, StreamObserver<ListMachinesResponse> out) {
    Unary.respond(
        out,
        () -> {
          new Scopes(environments).readable(req.getEnvironment(), "machines");
          var page =
              Paging.page(
                  machines.list(req.getEnvironment()).stream().map(this::machine).toList(),
                  dev.botfleet.proto.v1.Machine::getName,
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListMachines",
                  List.of(req.getEnvironment()));
          return ListMachinesResponse.newBuilder()
              .addAllMachines(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  @Override
  public void getMachine(GetMachineRequest req, StreamObserver<GetMachineResponse> out) {
    Unary.respond(
        out,
        () -> {
          new Scopes(environments).readable(req.getEnvironment(), "machines");
          return GetMachineResponse.newBuilder()
              .setMachine(
                  machine(machines.require(machineId(req.getEnvironment(), req.getMachine()))))
              .build();
        });
  }

  @Override
  public void allocateBots(AllocateBotsRequest req, StreamObserver<AllocateBotsResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                AllocateBotsResponse.parser(),
                () ->
                    AllocateBotsResponse.newBuilder()
                        .setMachine(
                            machine(
                                bots.allocateBots(
                                    caller(),
                                    machineId(req.getEnvironment(), req.getMachine()),
                                    req.getCount())))
                        .build()));
  }

  @Override
  public void deallocateBots(
      DeallocateBotsRequest req, StreamObserver<DeallocateBotsResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                DeallocateBotsResponse.parser(),
                () -> {
                  var d =
                      bots.deallocateBots(
                          caller(),
                          machineId(req.getEnvironment(), req.getMachine()),
                          req.getCount(),
                          req.getForce());
                  return DeallocateBotsResponse.newBuilder()
                      .setMachine(machine(d.machine()))
                      .addAllCancelledRunIds(d.cancelledRunIds())
                      .build();
                }));
  }

  @Override
  public void setAutoAllocation(
      SetAutoAllocationRequest req, StreamObserver<SetAutoAllocationResponse> out) {
    Unary.respond(
        out,
        () ->
            SetAutoAllocationResponse.newBuilder()
                .setMachine(
                    machine(
                        bots.setAutoAllocation(
                            caller(),
                            machineId(req.getEnvironment(), req.getMachine()),
                            req.getEnabled())))
                .build());
  }

  @Override
  public void setMaintenance(
      SetMaintenanceRequest req, StreamObserver<SetMaintenanceResponse> out) {
    Unary.respond(
        out,
        () ->
            SetMaintenanceResponse.newBuilder()
                .setMachine(
                    machine(
                        machines.setMaintenance(
                            caller(),
                            machineId(req.getEnvironment(), req.getMachine()),
                            req.getEnabled())))
                .build());
  }

  @Override
  public void createGroup(CreateGroupRequest req, StreamObserver<CreateGroupResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                CreateGroupResponse.parser(),
                () ->
                    CreateGroupResponse.newBuilder()
                        .setGroup(
                            group(
                                groups.createGroup(caller(), req.getName(), req.getEnvironment())))
                        .build()));
  }

  @Override
  public void addToGroup(AddToGroupRequest req, StreamObserver<AddToGroupResponse> out) {
    Unary.respond(
        out,
        () ->
            AddToGroupResponse.newBuilder()
                .setGroup(
                    group(
                        groups.addToGroup(
                            caller(),
                            req.getGroup(),
                            machineId(req.getEnvironment(), req.getMachine()))))
                .build());
  }

  @Override
  public void listGroups(ListGroupsRequest req, StreamObserver<ListGroupsResponse> out) {
    Unary.respond(
        out,
        () -> {
          new Scopes(environments).readable(req.getEnvironment(), "machine groups");
          var page =
              Paging.page(
                  groups.groups(req.getEnvironment()).stream().map(this::group).toList(),
                  dev.botfleet.proto.v1.MachineGroup::getName,
                  req.getPageSize(),
                  req.getPageToken(),
                  "ListGroups",
                  List.of(req.getEnvironment()));
          return ListGroupsResponse.newBuilder()
              .addAllGroups(page.items())
              .setNextPageToken(page.nextPageToken())
              .build();
        });
  }

  @Override
  public void getProcessUtilization(
      GetProcessUtilizationRequest req, StreamObserver<GetProcessUtilizationResponse> out) {
    Unary.respond(
        out,
        () -> {
          new Scopes(environments).readable(req.getEnvironment(), "process utilization");
          var u = utilization.of(req.getEnvironment());
          var b =
              GetProcessUtilizationResponse.newBuilder()
                  .setEnvironment(u.environment().name())
                  .setPool(u.pool())
                  .setAllocatedToMachines(u.toMachines())
                  .setAllocatedToFlows(u.toFlows())
                  .setFree(u.free());
          u.units()
              .forEach(
                  h ->
                      b.addUnits(
                          ProcessUnit.newBuilder()
                              .setHolder(ProtoCodes.processUnitHolder(h.kind()))
                              .setAllocatedTo(h.name())
                              .setUnits((int) h.units())
                              .setSource(ProtoCodes.processUnitSource(h.source()))));
          return b.build();
        });
  }

  @Override
  public void removeMachine(RemoveMachineRequest req, StreamObserver<RemoveMachineResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                RemoveMachineResponse.parser(),
                () -> {
                  var env = environments.require(req.getEnvironment());
                  if (req.getMachine().isBlank()) {
                    throw BotfleetException.invalid(
                        ErrorReason.MACHINE_REQUIRED,
                        "machine: missing (expected: a machine name)");
                  }
                  String id;
                  try {
                    id = machines.resolveIdIn(env.id(), req.getMachine());
                  } catch (BotfleetException notLive) {
                    // Removed already (its name is no longer live): a second removal is harmless.
                    Machine gone =
                        machines
                            .removedByName(env.id(), req.getMachine())
                            .orElseThrow(() -> notLive);
                    id = gone.id();
                  }
                  var r = removal.remove(caller(), id);
                  return RemoveMachineResponse.newBuilder()
                      .setMachine(machine(r.machine()))
                      .setRemovedNow(r.removedNow())
                      .build();
                }));
  }

  /**
   * One meaning per field (issue 8): a request names a machine by its environment and its name,
   * which is unique there; ids are output only.
   */
  /** Issue 12 §3: the agent holding the stream here is asked after the commit. */
  @Override
  public void rotateMachineCredential(
      RotateMachineCredentialRequest req, StreamObserver<RotateMachineCredentialResponse> out) {
    Unary.respond(
        out,
        () ->
            idempotency.once(
                caller(),
                req,
                RotateMachineCredentialResponse.parser(),
                () -> {
                  // The agent is asked after the commit, so its CSR finds the rotation due.
                  Machine m =
                      enrolment.requestRotation(
                          caller(),
                          machineId(req.getEnvironment(), req.getMachine()),
                          rotateOnStream::test);
                  return RotateMachineCredentialResponse.newBuilder()
                      .setMachine(machine(m))
                      .setAskedNow(holdsStream.test(m.id()))
                      .build();
                }));
  }

  private String machineId(String environment, String machine) {
    var env = environments.require(environment);
    if (machine == null || machine.isBlank()) {
      throw BotfleetException.invalid(
          ErrorReason.MACHINE_REQUIRED, "machine: missing (expected: a machine name)");
    }
    return machines.resolveIdIn(env.id(), machine);
  }
}
