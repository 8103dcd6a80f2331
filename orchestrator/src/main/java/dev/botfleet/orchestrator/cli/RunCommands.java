package dev.botfleet.orchestrator.cli;

import dev.botfleet.orchestrator.api.ProtoMapping;
import dev.botfleet.proto.v1.CancelRunRequest;
import dev.botfleet.proto.v1.GetRunRequest;
import dev.botfleet.proto.v1.ListRunsRequest;
import dev.botfleet.proto.v1.Priority;
import dev.botfleet.proto.v1.Run;
import dev.botfleet.proto.v1.RunFailureReason;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SubmitRunRequest;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Desktop-flow runs (R1-R10).",
    subcommands = {
      RunCommands.Submit.class,
      RunBatchCommand.class,
      RunCommands.Show.class,
      RunCommands.List.class,
      RunCommands.Cancel.class
    })
final class RunCommands {
  static String target(RunTarget t) {
    return switch (t.getKindCase()) {
      case MACHINE -> "machine " + t.getMachine();
      case GROUP -> "group " + t.getGroup();
      case HOSTED_MACHINE -> "hosted machine " + t.getHostedMachine();
      case HOSTED_GROUP -> "hosted group " + t.getHostedGroup();
      default -> "";
    };
  }

  static boolean terminal(RunState s) {
    return s == RunState.RUN_STATE_SUCCEEDED
        || s == RunState.RUN_STATE_FAILED
        || s == RunState.RUN_STATE_CANCELLED
        || s == RunState.RUN_STATE_TIMED_OUT;
  }

  static void show(PrintWriter o, Run r) {
    Table t =
        new Table("FIELD", "VALUE")
            .row("id", r.getId())
            .row("flow", r.getFlow())
            .row("environment", r.getEnvironment())
            .row("target", target(r.getTarget()))
            .row("priority", r.getPriority())
            .row("state", r.getState());
    if (r.getState() == RunState.RUN_STATE_QUEUED) {
      t.row("waiting", WireNames.of(r.getWaitCode()) + ": " + r.getWaitReason());
    }
    t.row("machine", r.getMachine())
        .row("attempt", r.getAttempt())
        .row("submitted", ClientCommand.ts(r.getSubmittedAt()))
        .row("started", ClientCommand.ts(r.getStartedAt()))
        .row("ended", ClientCommand.ts(r.getEndedAt()))
        .row("exit code", r.hasExitCode() ? r.getExitCode() : "")
        .row("failure", failure(r))
        .row("message", r.getMessage());
    if (r.hasLateResult()) {
      var late = r.getLateResult();
      t.row(
          "late result",
          WireNames.of(late.getOutcome())
              + (late.hasExitCode() ? " (exit code " + late.getExitCode() + ")" : "")
              + (late.hasEndedAt() ? ", ended " + ClientCommand.ts(late.getEndedAt()) : "")
              + ", reported "
              + ClientCommand.ts(late.getReportedAt())
              + " after the run had ended; the run's state was not changed");
    }
    t.row("inputs", r.getInputsMap()).row("outputs", r.getOutputsMap());
    t.print(o);
    if (!r.getLogTail().isEmpty()) {
      o.println();
      o.println("--- log tail ---");
      o.println(r.getLogTail().stripTrailing());
    }
  }

  static final class Target {
    @Option(names = "--machine", required = true, description = "Machine name or id.")
    String machine;

    @Option(names = "--group", required = true, description = "Machine group.")
    String group;
  }

  @Command(
      name = "submit",
      mixinStandardHelpOptions = true,
      description = "Queue a run of a desktop flow on a machine or group.")
  static final class Submit extends ClientCommand {
    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Option(
        names = "--flow",
        required = true,
        description = "Desktop flow name (installed on the agent).")
    String flow;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(
        names = "--priority",
        defaultValue = "NORMAL",
        description = "HIGH, NORMAL or LOW (default: ${DEFAULT-VALUE}).")
    Priority priority;

    @Option(names = "--input", description = "KEY=VALUE, repeatable.")
    Map<String, String> inputs = new LinkedHashMap<>();

    @Option(names = "--triggered-by", description = "Cloud flow that triggers the run (P7).")
    String triggeredBy;

    @Option(
        names = "--queue-timeout",
        converter = DurationConverter.class,
        description = "Give up if no bot takes it in time (default: the flow's, else 6h).")
    Duration queueTimeout;

    @Option(
        names = "--run-timeout",
        converter = DurationConverter.class,
        description = "Stop the run after this long (default: the flow's, else 24h).")
    Duration runTimeout;

    @Option(
        names = "--idempotency-key",
        description = "A retried submit with the same key returns the first run (R6).")
    String key;

    @Option(names = "--wait", description = "Wait until the run ends; exit 0 only if it succeeded.")
    boolean await;

    @Option(
        names = "--wait-timeout",
        defaultValue = "1h",
        converter = DurationConverter.class,
        description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    Duration waitTimeout;

    @Override
    int run() throws InterruptedException {
      var t = RunTarget.newBuilder();
      if (target.machine != null) {
        t.setMachine(target.machine);
      } else {
        t.setGroup(target.group);
      }
      var req =
          SubmitRunRequest.newBuilder()
              .setEnvironment(env)
              .setFlow(flow)
              .setTarget(t)
              .setPriority(priority)
              .putAllInputs(inputs)
              .setTriggeringFlow(triggeredBy == null ? "" : triggeredBy)
              .setQueueTimeout(ProtoMapping.duration(queueTimeout))
              .setRunTimeout(ProtoMapping.duration(runTimeout))
              .setIdempotencyKey(key == null ? "" : key);
      var resp = client.stub(RunServiceGrpc::newBlockingStub).submitRun(req.build());
      Run run = resp.getRun();
      if (await) {
        long deadline = System.nanoTime() + waitTimeout.toNanos();
        while (!terminal(run.getState()) && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(250);
          run =
              client
                  .stub(RunServiceGrpc::newBlockingStub)
                  .getRun(GetRunRequest.newBuilder().setRunId(run.getId()).build())
                  .getRun();
        }
      }
      Run shown = run;
      client.print(out(), shown, o -> show(o, shown));
      if (await && shown.getState() != RunState.RUN_STATE_SUCCEEDED) {
        spec.commandLine()
            .getErr()
            .println(
                "error: run "
                    + shown.getId()
                    + " ended "
                    + WireNames.of(shown.getState())
                    + (failure(shown).isEmpty() ? "" : " " + failure(shown))
                    + (terminal(shown.getState()) ? "" : " (still not finished)"));
        return 1;
      }
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "One run, with why it waits (R8), outputs and log tail.")
  static final class Show extends ClientCommand {
    @Parameters(index = "0", description = "Run id.")
    String id;

    @Override
    int run() {
      var resp =
          client
              .stub(RunServiceGrpc::newBlockingStub)
              .getRun(GetRunRequest.newBuilder().setRunId(id).build());
      client.print(out(), resp.getRun(), o -> show(o, resp.getRun()));
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Runs of an environment, newest first.")
  static final class List extends ClientCommand {
    @Option(names = "--env", required = true, description = "Environment.")
    String env;

    @Option(
        names = "--state",
        description = "QUEUED, ASSIGNED, RUNNING, SUCCEEDED, FAILED, CANCELLED or TIMED_OUT.")
    RunState state;

    @picocli.CommandLine.Mixin PageOptions paging;

    @Override
    int run() {
      var req = ListRunsRequest.newBuilder().setEnvironment(env);
      if (state != null) {
        req.setState(state);
      }
      var resp =
          paging.fetch(
              req.build(),
              r -> client.stub(RunServiceGrpc::newBlockingStub).listRuns(r),
              err(),
              "runs");
      client.print(
          out(),
          resp,
          o -> {
            Table t =
                new Table(
                    "ID",
                    "FLOW",
                    "TARGET",
                    "PRIORITY",
                    "STATE",
                    "MACHINE",
                    "SUBMITTED",
                    "WHY / RESULT");
            resp.getRunsList()
                .forEach(
                    r ->
                        t.row(
                            r.getId(),
                            r.getFlow(),
                            target(r.getTarget()),
                            r.getPriority(),
                            r.getState(),
                            r.getMachine(),
                            ts(r.getSubmittedAt()),
                            r.getState() == RunState.RUN_STATE_QUEUED
                                ? WireNames.of(r.getWaitCode())
                                : failure(r)));
            t.print(o);
          });
      return 0;
    }
  }

  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description = "Cancel a queued run, or stop a running one on its agent (R7).")
  static final class Cancel extends ClientCommand {
    @Parameters(index = "0", description = "Run id.")
    String id;

    @Override
    int run() {
      var resp =
          client
              .stub(RunServiceGrpc::newBlockingStub)
              .cancelRun(CancelRunRequest.newBuilder().setRunId(id).build());
      client.print(out(), resp.getRun(), o -> show(o, resp.getRun()));
      return 0;
    }
  }

  /** The failure reason as people read it: a non-zero exit shows its code, EXIT_CODE_3. */
  static String failure(Run r) {
    if (r.getFailureReason() == RunFailureReason.RUN_FAILURE_REASON_EXIT_CODE && r.hasExitCode()) {
      return "EXIT_CODE_" + r.getExitCode();
    }
    return WireNames.of(r.getFailureReason());
  }
}
