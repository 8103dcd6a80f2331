package dev.botfleet.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AddToGroupRequest;
import dev.botfleet.proto.v1.AdminServiceGrpc;
import dev.botfleet.proto.v1.CreateGroupRequest;
import dev.botfleet.proto.v1.GetProcessUtilizationRequest;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.ListAuditEventsRequest;
import dev.botfleet.proto.v1.ListMachinesRequest;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.RemoveMachineRequest;
import dev.botfleet.proto.v1.RemoveMachineResponse;
import dev.botfleet.proto.v1.RunFailureReason;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SetDesktopFlowRequest;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 §3 (A1, R5): {@code machine remove} revokes the machine's credential and ends its
 * stream, gives its bots back, ends or re-queues its runs by R5 and keeps its history. Through real
 * stubs and a protocol agent holding a run; once per database.
 */
abstract class MachineRemovalContract {
  static final OrchestratorConfig.Timings TIMINGS =
      new OrchestratorConfig.Timings(
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofMillis(200),
          Duration.ofSeconds(30));

  @TempDir Path dir;
  TestOrchestrator t;
  Fleet fleet;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    t = start(dir);
    fleet = new Fleet(t).prod(10, 4);
  }

  @AfterEach
  void tearDown() {
    fleet.close();
    t.close();
  }

  RemoveMachineResponse remove(String name) {
    return fleet.machines.removeMachine(
        RemoveMachineRequest.newBuilder().setEnvironment(Fleet.ENV).setMachine(name).build());
  }

  String submit(RunTarget target) {
    return fleet
        .runs
        .submitRun(
            SubmitRunRequest.newBuilder()
                .setEnvironment(Fleet.ENV)
                .setFlow("noop")
                .setTarget(target)
                .build())
        .getRun()
        .getId();
  }

  dev.botfleet.proto.v1.Run run(String id) {
    return fleet.runs.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getRun();
  }

  void retryable() {
    fleet.runs.setDesktopFlow(
        SetDesktopFlowRequest.newBuilder()
            .setEnvironment(Fleet.ENV)
            .setName("noop")
            .setRetryable(true)
            .build());
  }

  static String reason(Throwable t) {
    return GrpcErrors.reason(t);
  }

  @Test
  void
      issue_12_removing_a_machine_revokes_its_credential_ends_its_stream_and_loses_its_run_by_r5() {
    ProtocolAgent a = fleet.agent(Fleet.ENV, "m1", 1);
    fleet.bots(Fleet.ENV, "m1", 1);
    String id = submit(RunTarget.newBuilder().setMachine("m1").build());
    await().until(() -> a.assignedRunIds().contains(id));
    a.started(id);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_RUNNING);

    RemoveMachineResponse r = remove("m1");

    assertThat(r.getRemovedNow()).isTrue();
    assertThat(r.getMachine().getStatus()).isEqualTo(MachineStatus.MACHINE_STATUS_REMOVED);
    assertThat(r.getMachine().getBots()).isZero();
    assertThat(r.getMachine().hasRemovedAt()).isTrue();
    // Its live stream is ended with the catalogued reason.
    await().until(() -> a.streamError != null);
    assertThat(Status.fromThrowable(a.streamError).getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(reason(a.streamError)).isEqualTo("A1_MACHINE_REMOVED");
    // R5: the run it held is lost; its history still names the machine.
    var lost = run(id);
    assertThat(lost.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(lost.getFailureReason()).isEqualTo(RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    assertThat(lost.getMachine()).isEqualTo("m1");
    // Its bot went back to the environment's process capacity.
    var u =
        fleet.machines.getProcessUtilization(
            GetProcessUtilizationRequest.newBuilder().setEnvironment(Fleet.ENV).build());
    assertThat(u.getAllocatedToMachines()).isZero();
    assertThat(u.getFree()).isEqualTo(4);
    // Its Hello is refused from now on.
    a.connect();
    await().until(() -> a.streamError != null);
    assertThat(Status.fromThrowable(a.streamError).getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(reason(a.streamError)).isEqualTo("A1_MACHINE_REMOVED");
    // It leaves the list; audited.
    assertThat(
            fleet
                .machines
                .listMachines(ListMachinesRequest.newBuilder().setEnvironment(Fleet.ENV).build())
                .getMachinesList())
        .isEmpty();
    assertThat(
            t.admin(AdminServiceGrpc::newBlockingStub)
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder().setActionPrefix("machine.remove").build())
                .getEventsList())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getActor()).isEqualTo("admin");
              assertThat(e.getTarget()).contains("machine=m1");
            });
  }

  @Test
  void issue_12_a_second_removal_is_harmless_and_answers_the_removed_machine() {
    fleet.agent(Fleet.ENV, "m1", 1);
    String machineId = fleet.machine(Fleet.ENV, "m1").getId();
    assertThat(remove("m1").getRemovedNow()).isTrue();

    RemoveMachineResponse again = remove("m1");

    assertThat(again.getRemovedNow()).isFalse();
    assertThat(again.getMachine().getId()).isEqualTo(machineId);
    assertThat(again.getMachine().getStatus()).isEqualTo(MachineStatus.MACHINE_STATUS_REMOVED);
    assertThatThrownBy(() -> remove("nope"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void issue_12_a_retryable_run_of_a_removed_machine_goes_back_to_its_groups_queue() {
    retryable();
    fleet.machines.createGroup(
        CreateGroupRequest.newBuilder().setEnvironment(Fleet.ENV).setName("g").build());
    ProtocolAgent a = fleet.agent(Fleet.ENV, "m1", 1);
    fleet.machines.addToGroup(
        AddToGroupRequest.newBuilder()
            .setEnvironment(Fleet.ENV)
            .setGroup("g")
            .setMachine("m1")
            .build());
    fleet.bots(Fleet.ENV, "m1", 1);
    String id = submit(RunTarget.newBuilder().setGroup("g").build());
    await().until(() -> a.assignedRunIds().contains(id));
    a.started(id);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_RUNNING);

    remove("m1");

    assertThat(run(id).getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
    // Another machine of the group takes it: nothing was lost.
    ProtocolAgent b = fleet.agent(Fleet.ENV, "m2", 1);
    fleet.machines.addToGroup(
        AddToGroupRequest.newBuilder()
            .setEnvironment(Fleet.ENV)
            .setGroup("g")
            .setMachine("m2")
            .build());
    // (m2 allocates itself a bot, P6.)
    await().until(() -> b.assignedRunIds().contains(id));
  }

  @Test
  void issue_12_runs_waiting_for_a_removed_machine_alone_fail_machine_removed() {
    retryable();
    ProtocolAgent a = fleet.agent(Fleet.ENV, "m1", 1);
    fleet.bots(Fleet.ENV, "m1", 1);
    fleet.autoAllocation(Fleet.ENV, "m1", false);
    String running = submit(RunTarget.newBuilder().setMachine("m1").build());
    await().until(() -> a.assignedRunIds().contains(running));
    String queued = submit(RunTarget.newBuilder().setMachine("m1").build());
    assertThat(run(queued).getState()).isEqualTo(RunState.RUN_STATE_QUEUED);

    remove("m1");

    // The retryable running run is re-queued by R5, then, like the queued one, can never start.
    for (String id : new String[] {running, queued}) {
      var r = run(id);
      assertThat(r.getState()).as(id).isEqualTo(RunState.RUN_STATE_FAILED);
      assertThat(r.getFailureReason())
          .isEqualTo(RunFailureReason.RUN_FAILURE_REASON_MACHINE_REMOVED);
    }
  }

  @Test
  void issue_12_a_removed_machines_name_is_free_for_a_new_enrolment() {
    fleet.agent(Fleet.ENV, "m1", 1);
    String oldId = fleet.machine(Fleet.ENV, "m1").getId();
    remove("m1");

    fleet.agent(Fleet.ENV, "m1", 1);

    var now = fleet.machine(Fleet.ENV, "m1");
    assertThat(now.getId()).isNotEqualTo(oldId);
    assertThat(now.getStatus()).isEqualTo(MachineStatus.MACHINE_STATUS_ONLINE);
  }
}
