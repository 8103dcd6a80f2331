package dev.botfleet.orchestrator.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.api.GrpcErrors;
import dev.botfleet.orchestrator.testing.Fleet;
import dev.botfleet.orchestrator.testing.TestOrchestrator;
import dev.botfleet.proto.v1.AddToGroupRequest;
import dev.botfleet.proto.v1.CreateGroupRequest;
import dev.botfleet.proto.v1.CreateJoinTokenRequest;
import dev.botfleet.proto.v1.CreatePurchaseRequest;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.RunFailureReason;
import dev.botfleet.proto.v1.RunOutcome;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SetDesktopFlowRequest;
import dev.botfleet.proto.v1.Sku;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.proto.v1.WaitCode;
import dev.botfleet.testing.ProtocolAgent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 "exactly once, under faults", through the real API and agent stream: a run that may have
 * started is never re-queued on the orchestrator's word alone (R5), attempts are fenced, restarts
 * get a grace (A3), group runs go only where the flow is installed (A5, R4, R8), over-capacity
 * refusals say so (C8, R8), and a machine with fewer sessions than bots takes no runs beyond them
 * (P5).
 */
abstract class ExactlyOnceContract {
  /**
   * Lease (3 s) shorter than offline-after (10 s), so a lease can expire on a live machine; no
   * restart grace unless a test asks for one; the background sweeper is off (an hour), tests sweep.
   */
  static final OrchestratorConfig.Timings TIMINGS =
      new OrchestratorConfig.Timings(
          Duration.ofSeconds(1),
          Duration.ofSeconds(10),
          Duration.ofHours(1),
          Duration.ofSeconds(3),
          Duration.ZERO);

  @TempDir Path dir;
  TestOrchestrator t;
  Fleet fleet;

  abstract TestOrchestrator start(Path dir, OrchestratorConfig.Timings timings) throws Exception;

  void startWith(OrchestratorConfig.Timings timings) throws Exception {
    t = start(dir, timings);
    fleet = new Fleet(t).prod(10, 4);
  }

  @AfterEach
  void tearDown() {
    if (fleet != null) {
      fleet.close();
    }
    if (t != null) {
      t.close();
    }
  }

  dev.botfleet.proto.v1.Run run(String id) {
    return fleet.runs.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getRun();
  }

  String submit(RunTarget.Builder target, String flow) {
    return fleet
        .runs
        .submitRun(
            SubmitRunRequest.newBuilder()
                .setEnvironment(Fleet.ENV)
                .setFlow(flow)
                .setTarget(target)
                .build())
        .getRun()
        .getId();
  }

  String submitTo(String machine) {
    return submit(RunTarget.newBuilder().setMachine(machine), "noop");
  }

  void retryable(String flow) {
    fleet.runs.setDesktopFlow(
        SetDesktopFlowRequest.newBuilder()
            .setEnvironment(Fleet.ENV)
            .setName(flow)
            .setRetryable(true)
            .build());
  }

  ProtocolAgent agent(String name, int maxSessions, List<String> flows) {
    String token =
        fleet
            .machines
            .createJoinToken(CreateJoinTokenRequest.newBuilder().setEnvironment(Fleet.ENV).build())
            .getToken();
    ProtocolAgent a = ProtocolAgent.enroll(t.channel(), token, name, maxSessions, flows).connect();
    await()
        .until(
            () ->
                fleet.machine(Fleet.ENV, name).getStatus() == MachineStatus.MACHINE_STATUS_ONLINE);
    return a;
  }

  /** An agent whose Assigns get lost: the run is ASSIGNED to it and its start never reported. */
  String assignedButNeverStarted(ProtocolAgent a, String machine) {
    a.dropAssigns = true;
    String id = submitTo(machine);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_ASSIGNED);
    return id;
  }

  void pastLease() {
    t.clock.advance(Duration.ofSeconds(4));
    t.orchestrator.sweeper.sweep();
  }

  @Test
  void r5_an_expired_lease_does_not_requeue_a_run_that_may_have_started() throws Exception {
    startWith(TIMINGS);
    ProtocolAgent a = agent("m1", 1, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 1);
    String id = assignedButNeverStarted(a, "m1");

    pastLease();

    // Not re-queued: the agent may have started it; its stream is ended so it says Hello again.
    var r = run(id);
    assertThat(r.getState()).isEqualTo(RunState.RUN_STATE_ASSIGNED);
    assertThat(r.getAttempt()).isEqualTo(1);
    assertThat(r.getMachine()).isEqualTo("m1");
    await().until(() -> a.streamError != null);
    // A later sweep judges it no more.
    pastLease();
    assertThat(run(id).getState()).isEqualTo(RunState.RUN_STATE_ASSIGNED);
  }

  @Test
  void r5_a_durable_agent_that_never_took_the_run_sends_it_back_to_the_queue() throws Exception {
    startWith(TIMINGS);
    ProtocolAgent a = agent("m1", 1, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 1);
    String id = assignedButNeverStarted(a, "m1");
    pastLease();
    await().until(() -> a.streamError != null);

    // It says Hello, vouching for its list, and does not name the run: it never took it.
    a.dropAssigns = false;
    a.durable = true;
    a.connect();
    await().atMost(Duration.ofSeconds(15)).until(() -> a.assignedRunIds().contains(id));
    assertThat(a.attempts.get(id)).isEqualTo(2);
    assertThat(run(id).getAttempt()).isEqualTo(2);
    a.started(id);
    a.finished(id, RunOutcome.RUN_OUTCOME_SUCCEEDED, 0);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_SUCCEEDED);
  }

  @Test
  void r5_an_agent_that_cannot_vouch_for_its_list_loses_the_run_instead() throws Exception {
    startWith(TIMINGS);
    ProtocolAgent a = agent("m1", 1, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 1);
    String id = assignedButNeverStarted(a, "m1");
    pastLease();
    await().until(() -> a.streamError != null);

    a.dropAssigns = false;
    a.connect(); // durable_assignments = false: it may have run the flow and forgotten it
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> run(id).getState() == RunState.RUN_STATE_FAILED);
    assertThat(run(id).getFailureReason())
        .isEqualTo(RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    assertThat(a.assignedRunIds()).doesNotContain(id);
  }

  @Test
  void r5_a_run_the_agent_names_after_its_lease_expired_goes_on() throws Exception {
    startWith(TIMINGS);
    ProtocolAgent a = agent("m1", 1, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 1);
    String id = submitTo("m1");
    await().until(() -> a.assignedRunIds().contains(id));
    pastLease(); // its start report was lost
    await().until(() -> a.streamError != null);

    a.durable = true;
    a.connect(id);
    a.started(id);
    await().until(() -> run(id).getState() == RunState.RUN_STATE_RUNNING);
    // Past the reconcile delay (2 s): naming the run kept it on its machine in its attempt.
    await()
        .during(Duration.ofMillis(2_500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> run(id).getState() == RunState.RUN_STATE_RUNNING);
    assertThat(run(id).getAttempt()).isEqualTo(1);
  }

  @Test
  void r5_an_expired_lease_requeues_a_retryable_run_at_once() throws Exception {
    startWith(TIMINGS);
    retryable("noop");
    ProtocolAgent a = agent("m1", 1, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 1);
    String id = assignedButNeverStarted(a, "m1");
    a.dropAssigns = false;

    pastLease();

    await().until(() -> a.assignedRunIds().contains(id));
    assertThat(a.attempts.get(id)).isEqualTo(2);
    assertThat(a.streamError).isNull();
  }

  @Test
  void r5_a_retryable_run_its_agent_lost_on_restart_is_requeued_others_fail() throws Exception {
    startWith(TIMINGS);
    retryable("retry");
    ProtocolAgent a = agent("m1", 2, List.of("noop", "retry"));
    fleet.bots(Fleet.ENV, "m1", 2);
    String plain = submitTo("m1");
    String again = submit(RunTarget.newBuilder().setMachine("m1"), "retry");
    await().until(() -> a.assignedRunIds().containsAll(List.of(plain, again)));
    a.started(plain);
    a.started(again);

    a.lostOnRestart(plain);
    a.lostOnRestart(again);

    await().until(() -> run(plain).getState() == RunState.RUN_STATE_FAILED);
    assertThat(run(plain).getFailureReason())
        .isEqualTo(RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    await().until(() -> a.attempts.get(again) == 2);
    assertThat(a.acks).contains(plain, again);
  }

  @Test
  void r5_an_agent_that_refuses_for_want_of_a_slot_is_not_sent_runs_again_at_once()
      throws Exception {
    startWith(TIMINGS);
    ProtocolAgent a = agent("m1", 1, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 1);
    // Its slot is held by a flow the orchestrator no longer counts (fault test, issue 9).
    a.refuseAll = true;
    String id = submitTo("m1");
    await().until(() -> a.attempts.containsKey(id));
    // One offer a second or so, not an assign-refuse loop with a new attempt every turn.
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(4))
        .until(() -> a.attempts.get(id) <= 4);
    a.refuseAll = false;
    await().until(() -> a.assignedRunIds().contains(id));
  }

  @Test
  void a3_after_a_restart_no_machine_is_offline_and_no_lease_expires_within_the_grace()
      throws Exception {
    startWith(
        new OrchestratorConfig.Timings(
            Duration.ofSeconds(1),
            Duration.ofSeconds(10),
            Duration.ofHours(1),
            Duration.ofSeconds(3),
            Duration.ofSeconds(60)));
    retryable("noop");
    ProtocolAgent a = agent("m1", 1, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 1);
    String id = assignedButNeverStarted(a, "m1");
    a.crash();
    await().until(() -> t.orchestrator.dispatcher.localMachines() == 0);

    t.clock.advance(Duration.ofSeconds(30));
    t.orchestrator.sweeper.sweep();
    assertThat(fleet.machine(Fleet.ENV, "m1").getStatus())
        .isEqualTo(MachineStatus.MACHINE_STATUS_ONLINE);
    assertThat(run(id).getState()).isEqualTo(RunState.RUN_STATE_ASSIGNED);
    assertThat(run(id).getAttempt()).isEqualTo(1);

    t.clock.advance(Duration.ofSeconds(31));
    t.orchestrator.sweeper.sweep();
    assertThat(fleet.machine(Fleet.ENV, "m1").getStatus())
        .isEqualTo(MachineStatus.MACHINE_STATUS_OFFLINE);
    assertThat(run(id).getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
  }

  @Test
  void a5_a_group_run_goes_only_to_a_machine_with_the_flow() throws Exception {
    startWith(TIMINGS);
    ProtocolAgent plain = agent("m1", 2, List.of("noop"));
    ProtocolAgent special = agent("m2", 1, List.of("noop", "special"));
    fleet.bots(Fleet.ENV, "m1", 2);
    fleet.bots(Fleet.ENV, "m2", 1);
    fleet.machines.createGroup(
        CreateGroupRequest.newBuilder().setEnvironment(Fleet.ENV).setName("g").build());
    for (String m : List.of("m1", "m2")) {
      fleet.machines.addToGroup(
          AddToGroupRequest.newBuilder()
              .setEnvironment(Fleet.ENV)
              .setGroup("g")
              .setMachine(m)
              .build());
    }
    var group = RunTarget.newBuilder().setGroup("g");
    String first = submit(group, "special");
    await().until(() -> special.assignedRunIds().contains(first));
    // m2's only bot is busy and m1 has two free: the next "special" run waits for m2; with m2 in
    // maintenance no usable machine has the flow, and R8 says so.
    String second = submit(group, "special");
    fleet.maintenance(Fleet.ENV, "m2", true);
    await().until(() -> run(second).getWaitCode() == WaitCode.WAIT_CODE_FLOW_NOT_INSTALLED);
    assertThat(run(second).getWaitReason()).contains("special");
    assertThat(plain.assignedRunIds()).doesNotContain(first, second);

    // R4: a flow no machine of the group ever reported is refused at once.
    assertThatThrownBy(() -> submit(group, "missing"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(GrpcErrors.reason(e)).isEqualTo("R4_FLOW_NOT_INSTALLED");
              assertThat(e.getStatus().getDescription()).contains("missing").contains("'g'");
            });

    fleet.maintenance(Fleet.ENV, "m2", false);
    special.finished(first, RunOutcome.RUN_OUTCOME_SUCCEEDED, 0);
    await().until(() -> special.assignedRunIds().contains(second));
    assertThat(plain.assignedRunIds()).isEmpty();
  }

  @Test
  void c8_an_over_capacity_sku_is_why_a_run_waits_and_why_another_is_refused() throws Exception {
    startWith(TIMINGS);
    // 1 paid + 3 trial PROCESS units, all allocated; the trial ends: 4 allocated, 1 purchased.
    fleet.capacity.createPurchase(
        CreatePurchaseRequest.newBuilder()
            .setSku(Sku.SKU_PROCESS)
            .setQuantity(3)
            .setTrial(true)
            .build());
    ProtocolAgent a = agent("m1", 3, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 1);
    String busy = submitTo("m1");
    await().until(() -> a.assignedRunIds().contains(busy));
    fleet.allocate(Fleet.ENV, Sku.SKU_PROCESS, 13);
    t.clock.advance(Duration.ofDays(31));
    a.heartbeat();

    String waiting = submitTo("m1");
    await().until(() -> refusedAutoAllocations("OVER_CAPACITY") >= 1);
    var w = run(waiting);
    assertThat(w.getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
    assertThat(w.getWaitCode()).isEqualTo(WaitCode.WAIT_CODE_OVER_CAPACITY);
    assertThat(w.getWaitReason()).contains("C8");

    // R4: a machine with no bot that could only get one by auto-allocation can never run it.
    agent("m2", 1, List.of("noop"));
    assertThatThrownBy(() -> submitTo("m2"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(GrpcErrors.reason(e)).isEqualTo("R4_NO_BOT_POSSIBLE");
              assertThat(e.getStatus().getDescription()).contains("C8");
            });
  }

  double refusedAutoAllocations(String reason) {
    var c =
        t.orchestrator
            .registry
            .find("botfleet.bots.auto_allocation.refused")
            .tag("reason", reason)
            .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void p5_a_machine_with_fewer_sessions_than_bots_takes_no_run_beyond_them() throws Exception {
    startWith(TIMINGS);
    ProtocolAgent a = agent("m1", 3, List.of("noop"));
    fleet.bots(Fleet.ENV, "m1", 3);
    String r1 = submitTo("m1");
    String r2 = submitTo("m1");
    await().until(() -> a.assignedRunIds().containsAll(List.of(r1, r2)));
    a.started(r1);
    a.started(r2);
    // The machine now reports one session: both busy bots keep their runs.
    a.send(
        dev.botfleet.proto.v1.AgentMessage.newBuilder()
            .setCapacity(
                dev.botfleet.proto.v1.MachineCapacity.newBuilder()
                    .setOsFamily(dev.botfleet.proto.v1.OsFamily.OS_FAMILY_LINUX)
                    .setHostname("m1")
                    .setMaxSessions(1)
                    .addInstalledFlows("noop"))
            .build());
    await().until(() -> fleet.machine(Fleet.ENV, "m1").getMaxSessions() == 1);
    assertThat(fleet.machine(Fleet.ENV, "m1").getExcessBots()).isEqualTo(2);
    assertThat(run(r1).getState()).isEqualTo(RunState.RUN_STATE_RUNNING);
    assertThat(run(r2).getState()).isEqualTo(RunState.RUN_STATE_RUNNING);

    String r3 = submitTo("m1");
    a.finished(r1, RunOutcome.RUN_OUTCOME_SUCCEEDED, 0);
    await().until(() -> run(r1).getState() == RunState.RUN_STATE_SUCCEEDED);
    // One bot busy of one session: the free bots take nothing.
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(3))
        .until(() -> !a.assignedRunIds().contains(r3));
    assertThat(run(r3).getWaitCode()).isEqualTo(WaitCode.WAIT_CODE_MAX_SESSIONS_REACHED);
    a.finished(r2, RunOutcome.RUN_OUTCOME_SUCCEEDED, 0);
    await().until(() -> a.assignedRunIds().contains(r3));
  }
}
