package dev.botfleet.orchestrator.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AddToGroupRequest;
import dev.botfleet.proto.v1.CancelRunRequest;
import dev.botfleet.proto.v1.CreateGroupRequest;
import dev.botfleet.proto.v1.DeallocateBotsRequest;
import dev.botfleet.proto.v1.EnvironmentType;
import dev.botfleet.proto.v1.GetProcessUtilizationRequest;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.MachineServiceGrpc.MachineServiceBlockingStub;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.Priority;
import dev.botfleet.proto.v1.RunOutcome;
import dev.botfleet.proto.v1.RunServiceGrpc.RunServiceBlockingStub;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SetDesktopFlowRequest;
import dev.botfleet.proto.v1.SetMaintenanceRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bots and runs (P1, P5, P6, P8, P10, R2–R9, A3, A7) through the real API and agent stream. */
abstract class RunRulesContract {
  /**
   * The background sweeper is effectively off (one sweep an hour): tests that move the clock call
   * {@code sweeper.sweep()} themselves, so no background sweep races the test's own (issue 8 §4).
   */
  static final OrchestratorConfig.Timings TIMINGS =
      new OrchestratorConfig.Timings(
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofHours(1),
          Duration.ofSeconds(30));

  @TempDir Path dir;
  TestOrchestrator t;
  RunServiceBlockingStub runs;
  MachineServiceBlockingStub machines;
  Fleet fleet;

  abstract TestOrchestrator start(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    t = start(dir);
    fleet = new Fleet(t).prod(10, 4).purchase(Sku.SKU_UNATTENDED_RPA, 10);
    runs = fleet.runs;
    machines = fleet.machines;
  }

  @AfterEach
  void tearDown() {
    fleet.close();
    t.close();
  }

  void allocate(Sku sku, int n) {
    fleet.allocate(Fleet.ENV, sku, n);
  }

  ProtocolAgent agent(String name, int maxSessions) {
    return fleet.agent(Fleet.ENV, name, maxSessions);
  }

  dev.botfleet.proto.v1.Machine machine(String name) {
    return fleet.machine(Fleet.ENV, name);
  }

  void bots(String machine, int count) {
    fleet.bots(Fleet.ENV, machine, count);
  }

  void auto(String machine, boolean on) {
    fleet.autoAllocation(Fleet.ENV, machine, on);
  }

  String submit(String machine, Priority priority) {
    return runs.submitRun(
            SubmitRunRequest.newBuilder()
                .setEnvironment("prod")
                .setFlow("noop")
                .setTarget(RunTarget.newBuilder().setMachine(machine))
                .setPriority(priority)
                .build())
        .getRun()
        .getId();
  }

  String submitToGroup(String group) {
    return runs.submitRun(
            SubmitRunRequest.newBuilder()
                .setEnvironment("prod")
                .setFlow("noop")
                .setTarget(RunTarget.newBuilder().setGroup(group))
                .build())
        .getRun()
        .getId();
  }

  dev.botfleet.proto.v1.Run run(String id) {
    return runs.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getRun();
  }

  /**
   * Submits a run to {@code machine} (whose only bot is free), lets {@code a} start it, waits for
   * RUNNING.
   */
  String runningOn(ProtocolAgent a, String machine) {
    String id = submit(machine, Priority.PRIORITY_NORMAL);
    await().until(() -> a.assignedRunIds().contains(id));
    a.started(id);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_RUNNING);
    return id;
  }

  void finish(ProtocolAgent a, String runId) {
    a.started(runId);
    a.finished(runId, RunOutcome.RUN_OUTCOME_SUCCEEDED, 0);
    await().until(() -> run(runId).getState() == RunState.RUN_STATE_SUCCEEDED);
  }

  static StatusRuntimeException refused(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to be refused");
  }

  @Test
  void p5_a_machine_never_holds_more_bots_than_its_max_sessions() {
    agent("m1", 2);
    bots("m1", 2);
    var e = refused(() -> bots("m1", 1));
    assertThat(GrpcErrors.reason(e)).isEqualTo("P5_MAX_SESSIONS");
    assertThat(machine("m1").getBots()).isEqualTo(2);
  }

  @Test
  void p1_process_and_unattended_rpa_units_form_one_pool() {
    allocate(Sku.SKU_PROCESS, 1);
    allocate(Sku.SKU_UNATTENDED_RPA, 1);
    agent("m1", 3);
    bots("m1", 2);
    var e = refused(() -> bots("m1", 1));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(GrpcErrors.reason(e)).isEqualTo("P5_NO_PROCESS_CAPACITY");
    // The pool is consumed, so neither SKU can drop below it.
    var lower = refused(() -> allocate(Sku.SKU_UNATTENDED_RPA, 0));
    assertThat(GrpcErrors.reason(lower)).isEqualTo("C2_BELOW_CONSUMED");
    assertThat(lower.getStatus().getDescription()).contains("bots on machines");
  }

  @Test
  void r2_never_more_concurrent_runs_on_a_machine_than_bots() {
    ProtocolAgent a = agent("m1", 2);
    auto("m1", false);
    bots("m1", 1);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(submit("m1", Priority.PRIORITY_NORMAL));
    }
    await().until(() -> a.assigned.size() == 1);
    await().during(Duration.ofMillis(500)).until(() -> a.assigned.size() == 1);
    for (int done = 0; done < 3; done++) {
      int expected = done + 1;
      await().until(() -> a.assigned.size() == expected);
      String running = a.assigned.get(done).getRunId();
      assertThat(
              ids.stream()
                  .filter(
                      id ->
                          run(id).getState() == RunState.RUN_STATE_ASSIGNED
                              || run(id).getState() == RunState.RUN_STATE_RUNNING))
          .hasSize(1);
      finish(a, running);
    }
    assertThat(ids)
        .allSatisfy(id -> assertThat(run(id).getState()).isEqualTo(RunState.RUN_STATE_SUCCEEDED));
  }

  @Test
  void r3_queue_order_is_priority_then_submission_time() {
    ProtocolAgent a = agent("m1", 1);
    auto("m1", false);
    bots("m1", 1);
    String first = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 1);
    String low = submit("m1", Priority.PRIORITY_LOW);
    t.clock.advance(Duration.ofMillis(5));
    String normal1 = submit("m1", Priority.PRIORITY_NORMAL);
    t.clock.advance(Duration.ofMillis(5));
    String high = submit("m1", Priority.PRIORITY_HIGH);
    t.clock.advance(Duration.ofMillis(5));
    String normal2 = submit("m1", Priority.PRIORITY_NORMAL);
    finish(a, first);
    List<String> order = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      int n = i + 1;
      await().until(() -> a.assigned.size() == n);
      String next = a.assigned.get(i).getRunId();
      order.add(next);
      finish(a, next);
    }
    assertThat(order).containsExactly(high, normal1, normal2, low);
  }

  @Test
  void r4_fails_at_once_when_no_bot_can_ever_come() {
    agent("m1", 2);
    auto("m1", false);
    var e = refused(() -> submit("m1", Priority.PRIORITY_NORMAL));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(GrpcErrors.reason(e)).isEqualTo("R4_NO_BOT_POSSIBLE");
    assertThat(e.getStatus().getDescription()).contains("auto-allocation is off");
    auto("m1", true);
    allocate(Sku.SKU_PROCESS, 0);
    var noCapacity = refused(() -> submit("m1", Priority.PRIORITY_NORMAL));
    assertThat(noCapacity.getStatus().getDescription()).contains("no free process capacity");
  }

  @Test
  void r4_a_waiting_run_fails_with_queue_timeout() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 1);
    String waiting =
        runs.submitRun(
                SubmitRunRequest.newBuilder()
                    .setEnvironment("prod")
                    .setFlow("noop")
                    .setTarget(RunTarget.newBuilder().setMachine("m1"))
                    .setQueueTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(5))
                    .build())
            .getRun()
            .getId();
    // Less than offline-after (10 s), so the machine stays online and only the queue time-out
    // fires.
    t.clock.advance(Duration.ofSeconds(6));
    t.orchestrator.sweeper.sweep();
    var r = run(waiting);
    assertThat(r.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(r.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_QUEUE_TIMEOUT);
  }

  @Test
  void r10_time_outs_default_to_6h_and_24h_and_can_be_set_per_flow_and_per_run() {
    agent("m1", 1);
    bots("m1", 1);
    var byDefault = run(submit("m1", Priority.PRIORITY_NORMAL));
    assertThat(byDefault.getQueueTimeout().getSeconds()).isEqualTo(Duration.ofHours(6).toSeconds());
    assertThat(byDefault.getRunTimeout().getSeconds()).isEqualTo(Duration.ofHours(24).toSeconds());
    runs.setDesktopFlow(
        SetDesktopFlowRequest.newBuilder()
            .setEnvironment("prod")
            .setName("noop")
            .setQueueTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(600))
            .setRunTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
            .build());
    // Flow defaults are cached for a few seconds; let the cache expire on the test clock.
    t.clock.advance(Duration.ofSeconds(6));
    var byFlow = run(submit("m1", Priority.PRIORITY_NORMAL));
    assertThat(byFlow.getQueueTimeout().getSeconds()).isEqualTo(600);
    assertThat(byFlow.getRunTimeout().getSeconds()).isEqualTo(3600);
    var perRun =
        runs.submitRun(
                SubmitRunRequest.newBuilder()
                    .setEnvironment("prod")
                    .setFlow("noop")
                    .setTarget(RunTarget.newBuilder().setMachine("m1"))
                    .setQueueTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(30))
                    .setRunTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(90))
                    .build())
            .getRun();
    assertThat(perRun.getQueueTimeout().getSeconds()).isEqualTo(30);
    assertThat(perRun.getRunTimeout().getSeconds()).isEqualTo(90);
  }

  @Test
  void r6_submit_is_idempotent_by_key() {
    agent("m1", 1);
    bots("m1", 1);
    var req =
        SubmitRunRequest.newBuilder()
            .setEnvironment("prod")
            .setFlow("noop")
            .setTarget(RunTarget.newBuilder().setMachine("m1"))
            .setIdempotencyKey("order-42")
            .build();
    var a = runs.submitRun(req);
    var b = runs.submitRun(req);
    assertThat(a.getCreated()).isTrue();
    assertThat(b.getCreated()).isFalse();
    assertThat(b.getRun().getId()).isEqualTo(a.getRun().getId());
  }

  @Test
  void r7_cancelling_a_running_run_stops_it_on_the_agent() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    String id = runningOn(a, "m1");
    runs.cancelRun(CancelRunRequest.newBuilder().setRunId(id).build());
    await().until(() -> a.cancels.contains(id));
    a.finished(id, RunOutcome.RUN_OUTCOME_CANCELLED, 143);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_CANCELLED);
    // A queued run is cancelled at once.
    String other = submit("m1", Priority.PRIORITY_NORMAL);
    String third = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 2);
    var cancelled = runs.cancelRun(CancelRunRequest.newBuilder().setRunId(third).build()).getRun();
    assertThat(cancelled.getState()).isEqualTo(RunState.RUN_STATE_CANCELLED);
    assertThat(other).isNotEqualTo(third);
  }

  @Test
  void p6_auto_allocation_takes_a_unit_when_a_run_needs_it_and_the_bot_stays() {
    ProtocolAgent a = agent("m1", 2);
    assertThat(machine("m1").getAutoAllocation()).isTrue();
    String id = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 1);
    assertThat(machine("m1").getBots()).isEqualTo(1);
    finish(a, id);
    assertThat(machine("m1").getBots()).isEqualTo(1);
    // P5 still bounds it: two bots at most, the third run waits and says why.
    String r2 = submit("m1", Priority.PRIORITY_NORMAL);
    String r3 = submit("m1", Priority.PRIORITY_NORMAL);
    String r4 = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 3);
    assertThat(machine("m1").getBots()).isEqualTo(2);
    assertThat(run(r4).getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
    assertThat(run(r4).getWaitCode())
        .isEqualTo(dev.botfleet.proto.v1.WaitCode.WAIT_CODE_MAX_SESSIONS_REACHED);
    assertThat(List.of(r2, r3))
        .allSatisfy(r -> assertThat(run(r).getState()).isEqualTo(RunState.RUN_STATE_ASSIGNED));
  }

  @Test
  void p6_with_auto_allocation_off_a_machine_never_allocates_itself() {
    ProtocolAgent a = agent("m1", 2);
    bots("m1", 1);
    auto("m1", false);
    submit("m1", Priority.PRIORITY_NORMAL);
    String waiting = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 1);
    await().during(Duration.ofMillis(600)).until(() -> machine("m1").getBots() == 1);
    assertThat(run(waiting).getWaitCode())
        .isEqualTo(dev.botfleet.proto.v1.WaitCode.WAIT_CODE_AUTO_ALLOCATION_OFF);
  }

  @Test
  void r8_a_queued_run_says_why_it_waits() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 1);
    String waiting = submit("m1", Priority.PRIORITY_NORMAL);
    assertThat(run(waiting).getWaitCode())
        .isEqualTo(dev.botfleet.proto.v1.WaitCode.WAIT_CODE_MAX_SESSIONS_REACHED);
    assertThat(run(waiting).getWaitReason()).contains("busy");
    machines.setMaintenance(
        SetMaintenanceRequest.newBuilder()
            .setEnvironment("prod")
            .setMachine("m1")
            .setEnabled(true)
            .build());
    assertThat(run(waiting).getWaitCode())
        .isEqualTo(dev.botfleet.proto.v1.WaitCode.WAIT_CODE_MACHINE_IN_MAINTENANCE);
    a.crash();
    await().until(() -> t.orchestrator.dispatcher.localMachines() == 0);
    t.clock.advance(Duration.ofSeconds(11));
    t.orchestrator.sweeper.sweep();
    assertThat(run(waiting).getWaitCode())
        .isEqualTo(dev.botfleet.proto.v1.WaitCode.WAIT_CODE_NO_MACHINE_ONLINE);
  }

  @Test
  void r9_a_run_that_cannot_start_does_not_hold_back_others() {
    ProtocolAgent a1 = agent("m1", 1);
    ProtocolAgent a2 = agent("m2", 1);
    machines.createGroup(
        CreateGroupRequest.newBuilder().setName("g").setEnvironment("prod").build());
    machines.addToGroup(
        AddToGroupRequest.newBuilder()
            .setEnvironment("prod")
            .setGroup("g")
            .setMachine("m1")
            .build());
    machines.addToGroup(
        AddToGroupRequest.newBuilder()
            .setEnvironment("prod")
            .setGroup("g")
            .setMachine("m2")
            .build());
    auto("m1", false);
    auto("m2", false);
    bots("m1", 1);
    bots("m2", 1);
    String busy = submit("m1", Priority.PRIORITY_HIGH);
    await().until(() -> a1.assigned.size() == 1);
    String blocked = submit("m1", Priority.PRIORITY_HIGH);
    t.clock.advance(Duration.ofMillis(10));
    String free = submitToGroup("g");
    await().until(() -> a2.assignedRunIds().contains(free));
    assertThat(run(blocked).getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
    assertThat(busy).isNotEqualTo(blocked);
  }

  @Test
  void a7_maintenance_takes_no_new_runs_and_lets_running_ones_finish() {
    ProtocolAgent a1 = agent("m1", 2);
    ProtocolAgent a2 = agent("m2", 2);
    machines.createGroup(
        CreateGroupRequest.newBuilder().setName("g").setEnvironment("prod").build());
    machines.addToGroup(
        AddToGroupRequest.newBuilder()
            .setEnvironment("prod")
            .setGroup("g")
            .setMachine("m1")
            .build());
    machines.addToGroup(
        AddToGroupRequest.newBuilder()
            .setEnvironment("prod")
            .setGroup("g")
            .setMachine("m2")
            .build());
    bots("m1", 1);
    String running = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a1.assigned.size() == 1);
    machines.setMaintenance(
        SetMaintenanceRequest.newBuilder()
            .setEnvironment("prod")
            .setMachine("m1")
            .setEnabled(true)
            .build());
    bots("m2", 1);
    String next = submitToGroup("g");
    await().until(() -> a2.assignedRunIds().contains(next));
    finish(a1, running);
    await().during(Duration.ofMillis(500)).until(() -> a1.assigned.size() == 1);
  }

  @Test
  void p10_deallocating_a_busy_bot_is_refused_unless_forced_which_cancels_its_run() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    String id = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 1);
    var e =
        refused(
            () ->
                machines.deallocateBots(
                    DeallocateBotsRequest.newBuilder()
                        .setEnvironment("prod")
                        .setMachine("m1")
                        .setCount(1)
                        .build()));
    assertThat(GrpcErrors.reason(e)).isEqualTo("P10_BOT_BUSY");
    assertThat(machine("m1").getBots()).isEqualTo(1);
    var forced =
        machines.deallocateBots(
            DeallocateBotsRequest.newBuilder()
                .setEnvironment("prod")
                .setMachine("m1")
                .setCount(1)
                .setForce(true)
                .build());
    assertThat(forced.getCancelledRunIdsList()).containsExactly(id);
    assertThat(forced.getMachine().getBots()).isZero();
    assertThat(run(id).getState()).isEqualTo(RunState.RUN_STATE_CANCELLED);
    await().until(() -> a.cancels.contains(id));
  }

  // ------------------------------------------------------------------ issue 7: fenced agent
  // messages

  static dev.botfleet.proto.v1.AgentMessage finishedBy(
      String runId, int attempt, RunOutcome outcome) {
    return dev.botfleet.proto.v1.AgentMessage.newBuilder()
        .setRunUpdate(
            dev.botfleet.proto.v1.RunUpdate.newBuilder()
                .setRunId(runId)
                .setAttempt(attempt)
                .setFinished(
                    dev.botfleet.proto.v1.RunFinished.newBuilder()
                        .setOutcome(outcome)
                        .setExitCode(0)
                        .putOutputs("forged", "yes")))
        .build();
  }

  double refusedReports(String reason) {
    var c =
        t.orchestrator
            .registry
            .find("botfleet.agent.reports.refused")
            .tag("reason", reason)
            .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void issue7_an_agent_cannot_report_for_a_run_of_another_machine_even_in_another_environment() {
    ProtocolAgent owner = agent("m1", 1);
    bots("m1", 1);
    ProtocolAgent intruder =
        fleet
            .environment("other", EnvironmentType.ENVIRONMENT_TYPE_SANDBOX)
            .agent("other", "intruder", 1);

    String id = runningOn(owner, "m1");
    int attempt = run(id).getAttempt();

    // A forged result and a forged refusal, each for the right run id and attempt.
    intruder.send(finishedBy(id, attempt, RunOutcome.RUN_OUTCOME_SUCCEEDED));
    intruder.send(
        dev.botfleet.proto.v1.AgentMessage.newBuilder()
            .setAssignAck(
                dev.botfleet.proto.v1.AssignAck.newBuilder()
                    .setRunId(id)
                    .setAttempt(attempt)
                    .setAccepted(false)
                    .setReason("NO_FREE_SLOT"))
            .build());
    await().until(() -> refusedReports("NOT_ASSIGNED") >= 2);

    var r = run(id);
    assertThat(r.getState()).isEqualTo(RunState.RUN_STATE_RUNNING);
    assertThat(r.getMachine()).isEqualTo("m1");
    assertThat(r.getAttempt()).isEqualTo(attempt);
    assertThat(r.getOutputsMap()).isEmpty();
    // The real result still lands.
    owner.finished(id, RunOutcome.RUN_OUTCOME_SUCCEEDED, 0);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_SUCCEEDED);
    assertThat(run(id).getOutputsMap()).containsEntry("result", "ok").doesNotContainKey("forged");
  }

  @Test
  void issue7_a_report_for_an_earlier_attempt_never_changes_the_current_one() {
    runs.setDesktopFlow(
        SetDesktopFlowRequest.newBuilder()
            .setEnvironment("prod")
            .setName("noop")
            .setRetryable(true)
            .build());
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    a.refuseAll = true;
    String id = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.attempts.containsKey(id));
    int first = a.attempts.get(id);
    a.refuseAll = false;
    await().until(() -> a.assignedRunIds().contains(id));
    int current = a.attempts.get(id);
    assertThat(current).isGreaterThan(first);
    a.started(id);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_RUNNING);

    a.send(finishedBy(id, first, RunOutcome.RUN_OUTCOME_FAILED));
    await().until(() -> refusedReports("STALE_ATTEMPT") >= 1);
    assertThat(run(id).getState()).isEqualTo(RunState.RUN_STATE_RUNNING);
    assertThat(run(id).getAttempt()).isEqualTo(current);
  }

  @Test
  void issue7_a_result_that_arrives_after_agent_lost_is_kept_as_a_late_result() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    String id = runningOn(a, "m1");
    // The agent freezes: its stream stays open, but it says nothing past offline-after.
    t.clock.advance(Duration.ofSeconds(11));
    t.orchestrator.sweeper.sweep();
    assertThat(run(id).getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    assertThat(machine("m1").getStatus()).isEqualTo(MachineStatus.MACHINE_STATUS_OFFLINE);

    // It wakes up, says Hello again and reports the result it had.
    a.connect(id);
    await().until(() -> machine("m1").getStatus() == MachineStatus.MACHINE_STATUS_ONLINE);
    a.finished(id, RunOutcome.RUN_OUTCOME_SUCCEEDED, 0);
    await().until(() -> run(id).hasLateResult());
    var r = run(id);
    assertThat(r.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(r.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    assertThat(r.getLateResult().getOutcome()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
    assertThat(r.getLateResult().getExitCode()).isZero();
    assertThat(r.getLateResult().hasReportedAt()).isTrue();
    // Re-sent (A6), it is acknowledged and changes nothing.
    a.finished(id, RunOutcome.RUN_OUTCOME_FAILED, 3);
    await().until(() -> a.acks.stream().filter(id::equals).count() >= 2);
    assertThat(run(id).getLateResult().getOutcome()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
  }

  @Test
  void issue7_a_machine_marked_offline_elsewhere_is_online_again_on_its_next_heartbeat() {
    ProtocolAgent a = agent("m1", 1);
    // Another replica's sweeper declares it OFFLINE while its stream here stays open.
    t.clock.advance(Duration.ofSeconds(1));
    assertThat(t.orchestrator.machines.markStaleOffline(t.clock.instant())).hasSize(1);
    assertThat(machine("m1").getStatus()).isEqualTo(MachineStatus.MACHINE_STATUS_OFFLINE);
    t.clock.advance(Duration.ofSeconds(1));
    a.heartbeat();
    await().until(() -> machine("m1").getStatus() == MachineStatus.MACHINE_STATUS_ONLINE);
  }

  @Test
  void issue7_loss_detection_covers_an_offline_machine_that_holds_runs() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    String id = runningOn(a, "m1");
    // OFFLINE without its runs being handled here (another replica's sweep), then the agent dies.
    t.clock.advance(Duration.ofSeconds(1));
    t.orchestrator.machines.markStaleOffline(t.clock.instant());
    a.crash();
    await().until(() -> t.orchestrator.dispatcher.localMachines() == 0);
    t.clock.advance(Duration.ofSeconds(11));
    t.orchestrator.sweeper.sweep();
    var r = run(id);
    assertThat(r.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(r.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
  }

  @Test
  void r5_a_lost_agent_fails_its_run_with_agent_lost_and_keeps_its_bot() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    String id = runningOn(a, "m1");
    a.crash();
    await().until(() -> t.orchestrator.dispatcher.localMachines() == 0);
    t.clock.advance(Duration.ofSeconds(11));
    t.orchestrator.sweeper.sweep();
    assertThat(machine("m1").getStatus()).isEqualTo(MachineStatus.MACHINE_STATUS_OFFLINE);
    var r = run(id);
    assertThat(r.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(r.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    assertThat(machine("m1").getBots()).isEqualTo(1);
    assertThat(machine("m1").getBusyBots()).isZero();
  }

  @Test
  void r5_a_retryable_flow_is_requeued_when_its_agent_is_lost() {
    runs.setDesktopFlow(
        SetDesktopFlowRequest.newBuilder()
            .setEnvironment("prod")
            .setName("noop")
            .setRetryable(true)
            .build());
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    String id = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 1);
    a.crash();
    t.clock.advance(Duration.ofSeconds(11));
    t.orchestrator.sweeper.sweep();
    assertThat(run(id).getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
    ProtocolAgent back = fleet.agent(Fleet.ENV, "m2", 1);
    assertThat(run(id).getAttempt()).isEqualTo(1);
  }

  @Test
  void a6_a_result_reported_twice_is_accepted_once_and_acknowledged_each_time() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    String id = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.assigned.size() == 1);
    a.finished(id, RunOutcome.RUN_OUTCOME_SUCCEEDED, 0);
    a.finished(id, RunOutcome.RUN_OUTCOME_FAILED, 1);
    await().until(() -> a.acks.stream().filter(id::equals).count() == 2);
    var r = run(id);
    assertThat(r.getState()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
    assertThat(r.getOutputsMap()).containsEntry("result", "ok");
    assertThat(r.getLogTail()).isEqualTo("done\n");
  }

  @Test
  void an_assignment_the_agent_refuses_goes_back_to_the_queue() {
    ProtocolAgent a = agent("m1", 1);
    bots("m1", 1);
    a.refuseAll = true;
    String id = submit("m1", Priority.PRIORITY_NORMAL);
    await().until(() -> a.attempts.containsKey(id));
    a.refuseAll = false;
    await().until(() -> a.assignedRunIds().contains(id));
    assertThat(run(id).getAttempt()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void p8_utilization_shows_every_process_unit_and_where_it_is() {
    agent("m1", 3);
    agent("m2", 3);
    bots("m1", 2);
    bots("m2", 1);
    var u =
        machines.getProcessUtilization(
            GetProcessUtilizationRequest.newBuilder().setEnvironment("prod").build());
    assertThat(u.getPool()).isEqualTo(4);
    assertThat(u.getAllocatedToMachines()).isEqualTo(3);
    assertThat(u.getFree()).isEqualTo(1);
    assertThat(u.getUnitsList())
        .extracting(x -> x.getAllocatedTo() + "=" + x.getUnits())
        .containsExactlyInAnyOrder("m1=2", "m2=1");
  }
}
