package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.botfleet.proto.v1.GetProcessUtilizationResponse;
import dev.botfleet.proto.v1.ListMachinesResponse;
import dev.botfleet.proto.v1.Machine;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.Run;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.Processes;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Agent enrolment and loss with real agent processes: A1, A3, R5, P6. */
class AgentLifecycleTest extends EndToEnd {

  @Test
  void a1_a_restarted_agent_reuses_its_credential_and_a_used_join_token_is_refused() {
    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 1);
    String token = joinToken(cli, ENV, null);
    var first = onlineAgent(o, cli, "m1", token, 1);
    assertThat(agentData("m1").resolve("machine.properties"))
        .as("A1: the credential is kept in the data dir")
        .isRegularFile();
    Machine enrolled = machine(cli, "m1");

    // The same token on another machine (fresh data dir): refused, the agent exits 1.
    var second = agent(o, "m2", token, 1);
    assertThat(second.awaitExit(WAIT))
        .as("a used join token is refused; log %s", second.log)
        .isEqualTo(1);
    assertThat(second.log()).contains("already used");
    assertThat(agentData("m2").resolve("machine.properties")).doesNotExist();
    assertThat(
            cli.json(ListMachinesResponse.newBuilder(), "machine", "list", "--env", ENV)
                .getMachinesList())
        .extracting(Machine::getName)
        .containsExactly("m1");

    // Restart without a token: same machine, same credential, ONLINE again, runs flows.
    first.stop();
    awaitMachine(cli, "m1", null, MachineStatus.MACHINE_STATUS_OFFLINE);
    var restarted = agent(o, "m1", null, 1);
    awaitMachine(cli, "m1", restarted, MachineStatus.MACHINE_STATUS_ONLINE);
    assertThat(restarted.log()).doesNotContain("event=enrolled");
    Machine back = machine(cli, "m1");
    assertThat(back.getId()).isEqualTo(enrolled.getId());
    assertThat(back.getEnrolledAt()).isEqualTo(enrolled.getEnrolledAt());
    assertThat(
            cli.json(ListMachinesResponse.newBuilder(), "machine", "list", "--env", ENV)
                .getMachinesCount())
        .isEqualTo(1);
    runToSuccess(cli, "echo", "m1");
  }

  @Test
  void
      r5_a3_killing_the_agent_mid_run_marks_the_machine_offline_and_fails_the_run_with_agent_lost() {
    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 2);
    var agent = onlineAgent(o, cli, "m1", joinToken(cli, ENV, null), 1);
    cli.run("machine", "bots", "allocate", "m1", "--env", ENV, "--count", "1").ok();
    Run run = submit(cli, "sleep", "m1", sleepInputs("r5", 60).toArray(String[]::new));
    awaitRun(cli, run.getId(), RunState.RUN_STATE_RUNNING, WAIT);
    awaitPids("r5");

    long t0 = System.nanoTime();
    agent.kill9();
    awaitMachine(cli, "m1", null, MachineStatus.MACHINE_STATUS_OFFLINE);
    Duration offlineAfter = Duration.ofNanos(System.nanoTime() - t0);
    Run lost = awaitRun(cli, run.getId(), RunState.RUN_STATE_FAILED, Duration.ofSeconds(10));
    Duration failedAfter = Duration.ofNanos(System.nanoTime() - t0);
    // offline-after 3 s, sweeps and heartbeats every second: 2-5 s, with room for a slow machine.
    assertThat(offlineAfter)
        .as("A3: OFFLINE within offline-after (3 s) + margin")
        .isLessThan(Duration.ofSeconds(12));
    assertThat(failedAfter).isLessThan(Duration.ofSeconds(15));
    assertThat(lost.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    assertThat(lost.getAttempt()).isEqualTo(1);

    // P6: the bot stays with the machine, free.
    Machine m = machine(cli, "m1");
    assertThat(m.getBots()).isEqualTo(1);
    assertThat(m.getBusyBots()).isZero();
    var u =
        cli.json(
            GetProcessUtilizationResponse.newBuilder(), "utilization", "process", "--env", ENV);
    assertThat(u.getAllocatedToMachines()).isEqualTo(1);
    assertThat(u.getFree()).isEqualTo(1);
  }

  @Test
  void
      issue7_an_agent_frozen_past_offline_after_comes_back_online_keeps_its_late_result_and_is_watched_again()
          throws Exception {
    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 2);
    var agent = onlineAgent(o, cli, "m1", joinToken(cli, ENV, null), 1);
    cli.run("machine", "bots", "allocate", "m1", "--env", ENV, "--count", "1").ok();
    Run run = submit(cli, "sleep", "m1", sleepInputs("frozen", 12).toArray(String[]::new));
    awaitRun(cli, run.getId(), RunState.RUN_STATE_RUNNING, WAIT);
    awaitPids("frozen");

    // SIGSTOP past offline-after (3 s): the machine is OFFLINE and its run lost (R5) ...
    signal(agent, "STOP");
    try {
      awaitMachine(cli, "m1", null, MachineStatus.MACHINE_STATUS_OFFLINE);
      assertThat(
              awaitRun(cli, run.getId(), RunState.RUN_STATE_FAILED, Duration.ofSeconds(15))
                  .getFailureReason())
          .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
    } finally {
      signal(agent, "CONT");
    }
    // ... and after SIGCONT it is ONLINE again, not OFFLINE for good.
    awaitMachine(cli, "m1", agent, MachineStatus.MACHINE_STATUS_ONLINE);

    // The flow went on meanwhile; its result is kept beside AGENT_LOST, not dropped.
    org.awaitility.Awaitility.await("late result")
        .atMost(WAIT)
        .until(() -> run(cli, run.getId()).hasLateResult());
    Run late = run(cli, run.getId());
    assertThat(late.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(late.getLateResult().getOutcome()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
    assertThat(cli.run("run", "show", run.getId()).ok().out())
        .contains("late result")
        .contains("SUCCEEDED");

    // It runs work again, and loss detection covers it again: kill -9 mid-run fails the run
    // within offline-after, not at its 24 h deadline.
    Run second = submit(cli, "sleep", "m1", sleepInputs("second", 60).toArray(String[]::new));
    awaitRun(cli, second.getId(), RunState.RUN_STATE_RUNNING, WAIT);
    awaitPids("second");
    agent.kill9();
    assertThat(
            awaitRun(cli, second.getId(), RunState.RUN_STATE_FAILED, Duration.ofSeconds(20))
                .getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_LOST);
  }

  private static void signal(Processes.Proc p, String signal) throws Exception {
    int exit =
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
            .inheritIO()
            .start()
            .waitFor();
    assertThat(exit).as("kill -%s %s", signal, p).isZero();
  }

  @Test
  void
      r5_a_retryable_flow_goes_back_to_the_queue_when_its_agent_is_killed_and_completes_after_restart() {
    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 1);
    cli.run("desktop-flow", "set", "sleep", "--env", ENV, "--retryable").ok();
    var agent = onlineAgent(o, cli, "m1", joinToken(cli, ENV, null), 1);
    cli.run("machine", "bots", "allocate", "m1", "--env", ENV, "--count", "1").ok();
    List<String> inputs = sleepInputs("retry", 2);
    Run run = submit(cli, "sleep", "m1", inputs.toArray(String[]::new));
    awaitRun(cli, run.getId(), RunState.RUN_STATE_RUNNING, WAIT);
    awaitPids("retry");

    agent.kill9();
    awaitMachine(cli, "m1", null, MachineStatus.MACHINE_STATUS_OFFLINE);
    Run requeued = awaitRun(cli, run.getId(), RunState.RUN_STATE_QUEUED, Duration.ofSeconds(10));
    assertThat(requeued.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_UNSPECIFIED);
    assertThat(requeued.getWaitCode())
        .isEqualTo(dev.botfleet.proto.v1.WaitCode.WAIT_CODE_NO_MACHINE_ONLINE);
    assertThat(machine(cli, "m1").getBots()).isEqualTo(1);

    var restarted = agent(o, "m1", null, 1);
    awaitMachine(cli, "m1", restarted, MachineStatus.MACHINE_STATUS_ONLINE);
    Run done = awaitRun(cli, run.getId(), RunState.RUN_STATE_SUCCEEDED, WAIT);
    assertThat(done.getAttempt()).as("second attempt, after the agent came back").isEqualTo(2);
    assertThat(done.getMachine()).isEqualTo("m1");
    assertThat(done.getExitCode()).isZero();
    assertThat(machine(cli, "m1").getBots()).isEqualTo(1);
  }
}
