package dev.botfleet.agent.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.botfleet.agent.link.Backoff;
import dev.botfleet.common.BotfleetException;
import dev.botfleet.common.ErrorCode;
import dev.botfleet.proto.v1.AssignAck;
import dev.botfleet.proto.v1.EnrollRequest;
import dev.botfleet.proto.v1.RunFinished;
import dev.botfleet.proto.v1.RunOutcome;
import dev.botfleet.testing.FakeOrchestrator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fleet simulator against the scripted orchestrator on a real gRPC server. */
class FleetSimulatorTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private FakeOrchestrator orchestrator;
  private FleetSimulator fleet;

  @BeforeEach
  void setUp() throws Exception {
    orchestrator = new FakeOrchestrator();
    orchestrator.bots = 2;
  }

  @AfterEach
  void tearDown() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
    orchestrator.close();
  }

  private FleetSimulator.Builder fleet(int machines) {
    return FleetSimulator.builder(
            orchestrator.target(), FakeOrchestrator.ADMIN_TOKEN, FakeOrchestrator.ENVIRONMENT)
        .machines(machines)
        .botsPerMachine(2)
        .channels(2)
        .namePrefix("sim-t-")
        .backoff(() -> new Backoff(Duration.ofMillis(50), Duration.ofMillis(300)));
  }

  @Test
  void machines_enrol_through_join_tokens_connect_and_finish_runs_at_once() throws Exception {
    fleet = fleet(6).build();
    fleet.start();
    assertThat(fleet.awaitConnected(WAIT)).isTrue();
    assertThat(orchestrator.joinTokensCreated).hasValue(6);
    assertThat(fleet.machineNames()).first().isEqualTo("sim-t-0001");
    EnrollRequest enrolment = orchestrator.enrollments.get(0);
    assertThat(enrolment.getCapacity().getOsFamily())
        .isEqualTo(dev.botfleet.proto.v1.OsFamily.OS_FAMILY_LINUX);
    assertThat(enrolment.getCapacity().getMaxSessions()).isEqualTo(2);
    assertThat(enrolment.getCapacity().getInstalledFlowsList()).containsExactly("noop");
    await().atMost(WAIT).until(() -> orchestrator.openStreams() == 6);

    int n = 0;
    for (String machine : fleet.machineIds()) {
      orchestrator.assign(machine, "run_" + n++, "noop");
      orchestrator.assign(machine, "run_" + n++, "noop");
    }
    int runs = n;
    await().atMost(WAIT).until(() -> fleet.completedRuns() == runs);
    for (int i = 0; i < runs; i++) {
      String runId = "run_" + i;
      await().atMost(WAIT).until(() -> !orchestrator.finished(runId).isEmpty());
      assertThat(orchestrator.acks(runId))
          .singleElement()
          .extracting(AssignAck::getAccepted)
          .isEqualTo(true);
      assertThat(orchestrator.started(runId)).hasSize(1);
      RunFinished finished = orchestrator.finished(runId).get(0).getFinished();
      assertThat(finished.getOutcome()).isEqualTo(RunOutcome.RUN_OUTCOME_SUCCEEDED);
      assertThat(finished.getExitCode()).isZero();
    }
    await().atMost(WAIT).until(() -> fleet.pendingReports() == 0);
  }

  @Test
  void slow_runs_hold_bots_refuse_extra_assignments_and_can_be_cancelled() {
    fleet = fleet(1).flowDuration(Duration.ofSeconds(30)).build();
    fleet.start();
    await().atMost(WAIT).until(() -> fleet.connectedCount() == 1);
    String machine = fleet.machineIds().get(0);
    orchestrator.assign(machine, "r1", "noop");
    orchestrator.assign(machine, "r2", "noop");
    orchestrator.assign(machine, "r3", "noop");
    orchestrator.assign(machine, "r4", "other-flow");
    await().atMost(WAIT).until(() -> !orchestrator.acks("r3").isEmpty());
    assertThat(orchestrator.acks("r3").get(0).getReason()).isEqualTo("NO_FREE_SLOT");
    assertThat(orchestrator.acks("r4").get(0).getReason()).isEqualTo("NO_FREE_SLOT");

    orchestrator.cancel(machine, "r1");
    await().atMost(WAIT).until(() -> !orchestrator.finished("r1").isEmpty());
    assertThat(orchestrator.finished("r1").get(0).getFinished().getOutcome())
        .isEqualTo(RunOutcome.RUN_OUTCOME_CANCELLED);
    assertThat(orchestrator.finished("r2")).isEmpty();

    // A5: a flow the virtual machine does not have fails without starting.
    orchestrator.assign(machine, "r5", 1, "other-flow", Map.of());
    await().atMost(WAIT).until(() -> !orchestrator.finished("r5").isEmpty());
    assertThat(orchestrator.finished("r5").get(0).getFinished().getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_FLOW_NOT_INSTALLED);
    assertThat(orchestrator.started("r5")).isEmpty();
  }

  @Test
  void a6_unacknowledged_reports_are_resent_after_the_orchestrator_restarts() throws Exception {
    orchestrator.autoAck = false;
    fleet = fleet(3).build();
    fleet.start();
    assertThat(fleet.awaitConnected(WAIT)).isTrue();
    List<String> machines = fleet.machineIds();
    orchestrator.assign(machines.get(0), "run_z", "noop");
    await().atMost(WAIT).until(() -> orchestrator.finished("run_z").size() == 1);

    orchestrator.stop();
    await().atMost(WAIT).until(() -> fleet.connectedCount() == 0);
    orchestrator.restart();
    assertThat(fleet.awaitConnected(WAIT)).isTrue();
    await().atMost(WAIT).until(() -> orchestrator.finished("run_z").size() == 2);
    orchestrator.ack(machines.get(0), "run_z");
    await().atMost(WAIT).until(() -> fleet.pendingReports() == 0);
  }

  @Test
  void a_wrong_admin_token_fails_start_with_unauthenticated() {
    fleet =
        FleetSimulator.builder(orchestrator.target(), "wrong", FakeOrchestrator.ENVIRONMENT)
            .machines(2)
            .build();
    assertThatThrownBy(fleet::start)
        .isInstanceOfSatisfying(
            BotfleetException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED))
        .hasMessageContaining("cannot create a join token");
    assertThat(orchestrator.enrollCalls).hasValue(0);
  }

  @Test
  void flow_durations_parse_from_the_command_line() {
    assertThat(DurationConverter.parse("0ms")).isEqualTo(Duration.ZERO);
    assertThat(DurationConverter.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(DurationConverter.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(DurationConverter.parse("1.5m")).isEqualTo(Duration.ofSeconds(90));
    assertThat(DurationConverter.parse("PT3S")).isEqualTo(Duration.ofSeconds(3));
    assertThatThrownBy(() -> DurationConverter.parse("soon"))
        .hasMessageContaining("expected: e.g.");
  }
}
