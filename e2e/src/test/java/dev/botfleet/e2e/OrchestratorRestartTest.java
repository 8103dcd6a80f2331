package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.proto.v1.GetCapacitySummaryResponse;
import dev.botfleet.proto.v1.GetProcessUtilizationResponse;
import dev.botfleet.proto.v1.Machine;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.Run;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A6: the orchestrator goes away while agents run flows, and comes back on the same state. */
class OrchestratorRestartTest extends EndToEnd {
  static final int SLEEP_SECONDS = 5;

  @ParameterizedTest(name = "orchestrator stopped with {0}")
  @ValueSource(strings = {"kill -9", "SIGTERM"})
  void a6_runs_that_finish_while_the_orchestrator_is_down_are_reported_once(String how)
      throws Exception {
    // Same data dir and same gRPC port across the restart, so the agent finds it again.
    var options = Processes.ServerOptions.h2(dir.resolve("orch-data")).onPort(Processes.freePort());
    var first = procs.startOrchestrator("orch-1", options);
    Cli cli = cli(first);
    environmentWithCapacity(cli, ENV, 3);
    var agent = onlineAgent(first, cli, "m1", joinToken(cli, ENV, null), 2);
    cli.run("machine", "bots", "allocate", "m1", "--env", ENV, "--count", "2").ok();
    cli.run("machine", "auto-allocation", "m1", "--env", ENV, "--off").ok();

    Machine machineBefore = machine(cli, "m1");
    var capacityBefore =
        cli.json(GetCapacitySummaryResponse.newBuilder(), "capacity", "summary").build();
    var utilizationBefore =
        cli.json(GetProcessUtilizationResponse.newBuilder(), "utilization", "process", "--env", ENV)
            .build();
    assertThat(machineBefore.getBots()).isEqualTo(2);

    Run r1 = submit(cli, "sleep", "m1", sleepInputs("a6-1", SLEEP_SECONDS).toArray(String[]::new));
    Run r2 = submit(cli, "sleep", "m1", sleepInputs("a6-2", SLEEP_SECONDS).toArray(String[]::new));
    awaitRun(cli, r1.getId(), RunState.RUN_STATE_RUNNING, WAIT);
    awaitRun(cli, r2.getId(), RunState.RUN_STATE_RUNNING, WAIT);
    // Both bots are busy: the third run has to wait.
    Run r3 = submit(cli, "sleep", "m1", sleepInputs("a6-3", 1).toArray(String[]::new));
    assertThat(r3.getState()).isEqualTo(RunState.RUN_STATE_QUEUED);
    step("two runs running, one queued");

    if (how.equals("SIGTERM")) {
      first.proc.stop();
    } else {
      first.proc.kill9();
    }
    Instant down = Instant.now();
    Path done1 = dir.resolve("a6-1.done");
    Path done2 = dir.resolve("a6-2.done");
    await("both flows finished while the orchestrator is down")
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                Files.exists(done1)
                    && Files.exists(done2)
                    && Files.size(done1) > 0
                    && Files.size(done2) > 0);
    assertThat(agent.alive()).isTrue();
    Instant finished1 = Instant.ofEpochMilli(Long.parseLong(Files.readString(done1).trim()));
    Instant finished2 = Instant.ofEpochMilli(Long.parseLong(Files.readString(done2).trim()));
    assertThat(finished1).as("the flow finished while the orchestrator was down").isAfter(down);
    assertThat(finished2).isAfter(down);
    step("both flows finished, orchestrator down");

    var second = procs.startOrchestrator("orch-2", options);
    Instant up = Instant.now();
    step("orchestrator back");
    Cli cli2 = cli(second);
    Run queued = run(cli2, r3.getId());
    assertThat(queued.getState())
        .as("A6: the queued run is still there, not failed")
        .isIn(
            RunState.RUN_STATE_QUEUED,
            RunState.RUN_STATE_ASSIGNED,
            RunState.RUN_STATE_RUNNING,
            RunState.RUN_STATE_SUCCEEDED);

    Run s1 = awaitRun(cli2, r1.getId(), RunState.RUN_STATE_SUCCEEDED, Duration.ofSeconds(30));
    Run s2 = awaitRun(cli2, r2.getId(), RunState.RUN_STATE_SUCCEEDED, Duration.ofSeconds(30));
    for (Run s : new Run[] {s1, s2}) {
      assertThat(s.getAttempt()).as("reported once: still the first attempt").isEqualTo(1);
      assertThat(s.getExitCode()).isZero();
      assertThat(s.getLogTail()).contains("slept");
      Instant started = ts(s.getStartedAt());
      Instant ended = ts(s.getEndedAt());
      // The agent's end time, inside the sleep window, not when the report reached the new server.
      assertThat(Duration.between(started, ended))
          .isBetween(
              Duration.ofMillis(SLEEP_SECONDS * 1000 - 100), Duration.ofSeconds(SLEEP_SECONDS + 4));
      assertThat(ended).isAfter(down).isBefore(up);
    }
    assertThat(ts(s1.getEndedAt())).isBetween(finished1.minusSeconds(1), finished1.plusSeconds(1));
    assertThat(ts(s2.getEndedAt())).isBetween(finished2.minusSeconds(1), finished2.plusSeconds(1));
    awaitMachine(cli2, "m1", agent, MachineStatus.MACHINE_STATUS_ONLINE);

    // The queued run then runs on a freed bot, once (R2 across the restart).
    Run s3 = awaitRun(cli2, r3.getId(), RunState.RUN_STATE_SUCCEEDED, WAIT);
    assertThat(s3.getAttempt()).isEqualTo(1);
    assertThat(ts(s3.getStartedAt()))
        .isAfterOrEqualTo(earliest(ts(s1.getEndedAt()), ts(s2.getEndedAt())));
    // Each of the three runs ended once on the new server; r1 and r2 were never re-run.
    assertThat(metric(scrape(second), "botfleet_runs_ended_total", "state=\"SUCCEEDED\""))
        .isEqualTo(3.0);
    assertThat(metric(scrape(second), "botfleet_runs_ended_total", "state=\"FAILED\"")).isZero();
    assertThat(Files.readString(done1).trim()).isEqualTo(Long.toString(finished1.toEpochMilli()));
    assertThat(Files.readString(done2).trim()).isEqualTo(Long.toString(finished2.toEpochMilli()));

    // Bots and allocations unchanged.
    Machine after = machine(cli2, "m1");
    assertThat(after.getId()).isEqualTo(machineBefore.getId());
    assertThat(after.getBots()).isEqualTo(2);
    assertThat(after.getAutoAllocation()).isFalse();
    assertThat(after.getBusyBots()).isZero();
    assertThat(cli2.json(GetCapacitySummaryResponse.newBuilder(), "capacity", "summary").build())
        .isEqualTo(capacityBefore);
    assertThat(
            cli2.json(
                    GetProcessUtilizationResponse.newBuilder(),
                    "utilization",
                    "process",
                    "--env",
                    ENV)
                .build())
        .isEqualTo(utilizationBefore);
  }

  static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
