package dev.botfleet.agent.simulate;

import dev.botfleet.common.BotfleetException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code agent simulate}: a fleet of virtual agents for load tests. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description = {
      "Simulates a fleet: enrols N virtual machines through the admin API and keeps one agent"
          + " stream per machine, multiplexed over a few channels. Runs finish at once (or after"
          + " --flow-duration) without processes. Bots are not allocated here: use"
          + " auto-allocation or allocate them yourself.",
      "The simulator speaks plaintext (virtual machines hold no certificates): start the"
          + " orchestrator under test with --insecure-plaintext, on a loopback or test network.",
      "Every option can also come from BOTFLEET_<OPTION> or the BOTFLEET_CONFIG file."
    })
public final class SimulateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      defaultValue = "localhost:7443",
      description = "Orchestrator address (default: ${DEFAULT-VALUE}).")
  String server;

  @Option(
      names = "--token",
      paramLabel = "ADMIN_TOKEN",
      description = "Bearer token of an admin of --env, to create join tokens (BOTFLEET_TOKEN).")
  String token;

  @Option(names = "--env", paramLabel = "ENV", description = "Environment to enrol into.")
  String environment;

  @Option(
      names = "--machines",
      paramLabel = "N",
      defaultValue = "10",
      description = "Virtual machines (default: ${DEFAULT-VALUE}).")
  int machines;

  @Option(
      names = "--bots-per-machine",
      paramLabel = "K",
      defaultValue = "1",
      description = "Maximum sessions each machine reports (default: ${DEFAULT-VALUE}).")
  int botsPerMachine;

  @Option(
      names = "--flow-duration",
      paramLabel = "DURATION",
      defaultValue = "0ms",
      converter = DurationConverter.class,
      description =
          "How long each simulated run takes, e.g. 0ms, 250ms, 2s (default: ${DEFAULT-VALUE}).")
  Duration flowDuration;

  @Option(
      names = "--heartbeat-seconds",
      paramLabel = "S",
      description = "Fixed heartbeat interval; default: the orchestrator's setting (5 s if unset).")
  Integer heartbeatSeconds;

  @Option(
      names = "--channels",
      paramLabel = "C",
      defaultValue = "4",
      description = "Netty channels the streams share (default: ${DEFAULT-VALUE}).")
  int channels;

  @Option(
      names = "--flows",
      paramLabel = "NAME",
      defaultValue = "noop",
      split = ",",
      description = "Flows the virtual machines have installed (default: ${DEFAULT-VALUE}).")
  List<String> flows;

  @Option(
      names = "--name-prefix",
      paramLabel = "PREFIX",
      description = "Machine names are PREFIX0001…; default sim-<random>-.")
  String namePrefix;

  @Option(
      names = "--run-for",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop after this long; default: until interrupted (Ctrl-C).")
  Duration runFor;

  @Option(
      names = "--report-every",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Print a status line this often (default: ${DEFAULT-VALUE}).")
  Duration reportEvery;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<String> missing =
        Arrays.asList(
            token == null || token.isBlank() ? "--token (or BOTFLEET_TOKEN)" : null,
            environment == null || environment.isBlank() ? "--env (or BOTFLEET_ENV)" : null);
    missing = missing.stream().filter(m -> m != null).toList();
    if (!missing.isEmpty()) {
      err.println("simulate: missing " + String.join(" and ", missing));
      return 2;
    }
    if (heartbeatSeconds != null && heartbeatSeconds < 1) {
      err.println("simulate: --heartbeat-seconds " + heartbeatSeconds + " (expected: >= 1)");
      return 2;
    }
    FleetSimulator fleet;
    try {
      fleet =
          FleetSimulator.builder(server, token, environment)
              .machines(machines)
              .botsPerMachine(botsPerMachine)
              .flowDuration(flowDuration)
              .heartbeatInterval(
                  heartbeatSeconds == null ? null : Duration.ofSeconds(heartbeatSeconds))
              .channels(channels)
              .installedFlows(flows)
              .namePrefix(namePrefix)
              .build();
    } catch (IllegalArgumentException e) {
      err.println("simulate: " + e.getMessage());
      return 2;
    }
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stop.countDown();
              fleet.close();
            },
            "botfleet-simulate-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      out.printf(
          "Simulating %d machines x %d bots in environment %s on %s (flow duration %d ms, %d"
              + " channels)%n",
          machines, botsPerMachine, environment, server, flowDuration.toMillis(), channels);
      out.flush();
      fleet.start();
      out.printf("enrolled %d machines, names %s0001…%n", machines, fleet.namePrefix());
      out.flush();
      long deadline = runFor == null ? Long.MAX_VALUE : System.nanoTime() + runFor.toNanos();
      long every = Math.max(100, reportEvery.toMillis());
      while (System.nanoTime() < deadline) {
        long wait = Math.min(every, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        if (stop.await(Math.max(1, wait), TimeUnit.MILLISECONDS)) {
          break;
        }
        out.printf(
            "connected=%d/%d completed_runs=%d pending_reports=%d heartbeats=%d%n",
            fleet.connectedCount(),
            machines,
            fleet.completedRuns(),
            fleet.pendingReports(),
            fleet.heartbeats());
        out.flush();
      }
      return 0;
    } catch (BotfleetException e) {
      err.println("simulate: " + e.getMessage());
      return 1;
    } finally {
      fleet.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }
}
