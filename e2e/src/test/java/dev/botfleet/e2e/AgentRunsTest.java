package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.proto.v1.ListRunsResponse;
import dev.botfleet.proto.v1.Machine;
import dev.botfleet.proto.v1.Run;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One orchestrator, one real agent, real flow scripts: A4, A5, R7 through the CLI. */
class AgentRunsTest extends EndToEnd {

  @Test
  void a4_a_run_executes_the_installed_flow_with_inputs_and_returns_outputs_and_log_tail()
      throws Exception {
    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 2);
    onlineAgent(o, cli, "m1", joinToken(cli, ENV, null), 2);
    Machine m = machine(cli, "m1");
    assertThat(m.getInstalledFlowsList())
        .as("A5: only folders with an executable run are installed")
        .containsExactlyInAnyOrder("echo", "sleep", "fail", "big");
    assertThat(m.getMaxSessions()).isEqualTo(2);
    assertThat(m.getBots()).isZero();

    Cli.Result ok =
        cli.jsonResult(
            "run",
            "submit",
            "--env",
            ENV,
            "--flow",
            "echo",
            "--machine",
            "m1",
            "--input",
            "greeting=hello-e2e",
            "--wait",
            "--wait-timeout",
            "60s");
    Run run = Cli.parse(ok.ok().out(), Run.newBuilder()).build();
    assertThat(run.getState()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
    assertThat(run.getAttempt()).isEqualTo(1);
    assertThat(run.getMachine()).isEqualTo("m1");
    assertThat(run.hasExitCode()).isTrue();
    assertThat(run.getExitCode()).isZero();
    assertThat(run.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_UNSPECIFIED);
    assertThat(run.getOutputsMap())
        .containsEntry("echoed", "hello-e2e")
        .containsEntry("run_id", run.getId())
        .containsEntry("count", "3");
    assertThat(run.getLogTail())
        .contains("inputs: {\"greeting\":\"hello-e2e\"}")
        .contains("greeting: hello-e2e")
        .contains("run: " + run.getId() + " flow: echo");
    assertThat(Duration.between(ts(run.getStartedAt()), ts(run.getEndedAt())))
        .isBetween(Duration.ZERO, Duration.ofSeconds(30));
    // P6: the machine allocated itself a bot for the run, and the bot stays.
    assertThat(machine(cli, "m1").getBots()).isEqualTo(1);
    assertThat(machine(cli, "m1").getBusyBots()).isZero();

    Cli.Result failed =
        cli.jsonResult(
            "run",
            "submit",
            "--env",
            ENV,
            "--flow",
            "fail",
            "--machine",
            "m1",
            "--wait",
            "--wait-timeout",
            "60s");
    assertThat(failed.exitCode()).as(failed.toString()).isEqualTo(1);
    assertThat(failed.err()).contains("ended FAILED EXIT_CODE_3");
    Run f = Cli.parse(failed.out(), Run.newBuilder()).build();
    assertThat(f.getState()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(f.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_EXIT_CODE);
    assertThat(f.getExitCode()).isEqualTo(3);
    assertThat(f.getLogTail()).contains("about to fail on purpose");
    assertThat(f.getOutputsMap()).isEmpty();
    assertThat(machine(cli, "m1").getBots()).isEqualTo(1);
  }

  @Test
  void a4_a_result_too_large_to_keep_still_ends_the_run_and_does_not_hold_back_other_results() {
    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 1);
    onlineAgent(o, cli, "m1", joinToken(cli, ENV, null), 1);
    cli.run("machine", "bots", "allocate", "m1", "--env", ENV, "--count", "1").ok();

    Cli.Result r =
        cli.jsonResult(
            "run",
            "submit",
            "--env",
            ENV,
            "--flow",
            "big",
            "--machine",
            "m1",
            "--wait",
            "--wait-timeout",
            "30s");
    Run big = Cli.parse(r.out(), Run.newBuilder()).build();
    assertThat(big.getState()).as(r.toString()).isEqualTo(RunState.RUN_STATE_SUCCEEDED);
    assertThat(big.getExitCode()).isZero();
    assertThat(big.getLogTail()).contains("wrote 100011 bytes of outputs");
    assertThat(big.getOutputsMap()).as("too large to keep").isEmpty();
    assertThat(big.getMessage()).contains("outputs dropped");
    // The next result on the same replica is not held back by the one before.
    cli.run(
            "run",
            "submit",
            "--env",
            ENV,
            "--flow",
            "echo",
            "--machine",
            "m1",
            "--wait",
            "--wait-timeout",
            "30s")
        .ok();
  }

  @Test
  void a5_an_unknown_flow_fails_without_running_anything() throws Exception {
    // A flow folder that is a symlink leaving the flows directory: its run would leave a marker.
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path escapeRun = outside.resolve("run");
    Files.writeString(escapeRun, "#!/bin/sh\ntouch \"" + dir.resolve("escape-ran") + "\"\n");
    Files.setPosixFilePermissions(escapeRun, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createSymbolicLink(flowsDir.resolve("escape"), outside);

    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 1);
    Path ledger = dir.resolve("ledger.txt");
    String token = joinToken(cli, ENV, null);
    var agent = agent(o, "m1", token, 1, Map.of("E2E_LEDGER", ledger.toString()));
    awaitMachine(cli, "m1", agent, dev.botfleet.proto.v1.MachineStatus.MACHINE_STATUS_ONLINE);
    assertThat(machine(cli, "m1").getInstalledFlowsList())
        .doesNotContain("ghost", "escape", "nope");

    for (String flow : List.of("nope", "ghost")) {
      Cli.Result r =
          cli.jsonResult(
              "run",
              "submit",
              "--env",
              ENV,
              "--flow",
              flow,
              "--machine",
              "m1",
              "--wait",
              "--wait-timeout",
              "60s");
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
      Run run = Cli.parse(r.out(), Run.newBuilder()).build();
      assertThat(run.getState()).as(flow).isEqualTo(RunState.RUN_STATE_FAILED);
      assertThat(run.getFailureReason())
          .as(flow)
          .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_FLOW_NOT_INSTALLED);
      assertThat(run.hasExitCode()).as("%s: no process, no exit code", flow).isFalse();
      assertThat(run.getLogTail()).as(flow).isEmpty();
      assertThat(run.getMessage()).as(flow).contains("not installed");
    }
    assertThat(dir.resolve("ghost-ran"))
        .as("the non-executable ghost flow never ran")
        .doesNotExist();

    Cli.Result escaped =
        cli.jsonResult(
            "run",
            "submit",
            "--env",
            ENV,
            "--flow",
            "escape",
            "--machine",
            "m1",
            "--wait",
            "--wait-timeout",
            "60s");
    Run e = Cli.parse(escaped.out(), Run.newBuilder()).build();
    assertThat(e.getState()).as(escaped.toString()).isEqualTo(RunState.RUN_STATE_FAILED);
    assertThat(e.getFailureReason())
        .isEqualTo(dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_AGENT_ERROR);
    assertThat(e.getMessage()).startsWith("INVALID_FLOW_NAME");
    assertThat(e.hasExitCode()).isFalse();
    assertThat(dir.resolve("escape-ran"))
        .as("a flow folder leaving the flows directory never runs")
        .doesNotExist();

    // Names that try to leave the folder are refused at submission: no run at all.
    Cli.Result traversal =
        cli.run("run", "submit", "--env", ENV, "--flow", "../echo", "--machine", "m1");
    assertThat(traversal.exitCode()).as(traversal.toString()).isEqualTo(1);
    assertThat(traversal.err()).contains("INVALID_ARGUMENT");
    var all = cli.json(ListRunsResponse.newBuilder(), "run", "list", "--env", ENV).getRunsList();
    assertThat(all).extracting(Run::getFlow).containsExactlyInAnyOrder("nope", "ghost", "escape");
    assertThat(ledger).as("the echo flow never ran").doesNotExist();
    // The bot is free again: an installed flow still runs.
    runToSuccess(cli, "echo", "m1");
    assertThat(Files.readAllLines(ledger)).hasSize(1);
  }

  @Test
  void r7_cancel_kills_the_running_process_tree() throws Exception {
    var o = orchestrator("orch");
    Cli cli = cli(o);
    environmentWithCapacity(cli, ENV, 1);
    onlineAgent(o, cli, "m1", joinToken(cli, ENV, null), 1);
    cli.run("machine", "bots", "allocate", "m1", "--env", ENV, "--count", "1").ok();
    step("agent online");

    Run run = submit(cli, "sleep", "m1", sleepInputs("r7", 60).toArray(String[]::new));
    awaitRun(cli, run.getId(), RunState.RUN_STATE_RUNNING, WAIT);
    List<Long> pids = awaitPids("r7");
    step("running");
    assertThat(pids)
        .allSatisfy(pid -> assertThat(alive(pid)).as("pid %d before cancel", pid).isTrue());

    long t0 = System.nanoTime();
    cli.run("run", "cancel", run.getId()).ok();
    Run cancelled =
        awaitRun(cli, run.getId(), RunState.RUN_STATE_CANCELLED, Duration.ofSeconds(20));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(took).as("cancel → CANCELLED").isLessThan(Duration.ofSeconds(10));
    step("cancelled");
    await("flow process tree gone")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> pids.stream().noneMatch(EndToEnd::alive));
    assertThat(dir.resolve("r7.done")).as("the flow never finished its sleep").doesNotExist();
    assertThat(cancelled.getEndedAt().getSeconds()).isPositive();

    step("process tree gone");
    // The bot is free again and stays (P6).
    Machine m = machine(cli, "m1");
    assertThat(m.getBots()).isEqualTo(1);
    assertThat(m.getBusyBots()).isZero();
    runToSuccess(cli, "echo", "m1");
  }
}
