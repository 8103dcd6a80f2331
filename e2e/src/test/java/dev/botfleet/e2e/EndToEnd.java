package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.proto.v1.CreateJoinTokenResponse;
import dev.botfleet.proto.v1.GetMachineResponse;
import dev.botfleet.proto.v1.Machine;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.Run;
import dev.botfleet.proto.v1.RunState;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the end-to-end tests: a temp directory per test (kept when the test fails, with the log
 * of every process), the process helper, and the steps most tests share, done through the CLI.
 */
@ExtendWith(EndToEnd.PrintLogsOnFailure.class)
abstract class EndToEnd {
  /** Every wait is bounded; none needs more than this. */
  static final Duration WAIT = Duration.ofSeconds(60);

  static final String ENV = "prod";

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  Processes procs;
  Path flowsDir;
  Path pidDir;

  private long startedNanos;
  private String testName;

  @BeforeEach
  void setUpProcesses(org.junit.jupiter.api.TestInfo info) throws IOException {
    startedNanos = System.nanoTime();
    testName =
        info.getTestMethod().map(java.lang.reflect.Method::getName).orElse(info.getDisplayName());
    procs = new Processes(dir.resolve("logs"));
    flowsDir = Flows.install(dir.resolve("flows"));
    pidDir = Files.createDirectories(dir.resolve("pids"));
  }

  @AfterEach
  void killEverything() {
    // Flows of running agents first (they are the agents' children), then the JVMs, then flows
    // orphaned by agents a test killed with SIGKILL (their pids are in files under pids/).
    for (Processes.Proc p : procs.all()) {
      p.process.descendants().forEach(ProcessHandle::destroyForcibly);
    }
    procs.close();
    for (long pid : pidsIn(pidDir)) {
      ProcessHandle.of(pid)
          .filter(EndToEnd::isFlowProcess)
          .ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  static boolean isFlowProcess(ProcessHandle h) {
    String cmd = h.info().command().orElse("");
    return cmd.endsWith("sh")
        || cmd.endsWith("sleep")
        || cmd.endsWith("dash")
        || cmd.endsWith("bash");
  }

  static List<Long> pidsIn(Path dir) {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        readPid(f).ifPresent(pids::add);
      }
    } catch (IOException e) {
      // nothing to clean
    }
    return pids;
  }

  static Optional<Long> readPid(Path file) {
    try {
      String s = Files.readString(file).trim();
      return s.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(s));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether {@code pid} is a live process. A zombie counts as dead: a killed grandchild whose
   * parent died waits for init to reap it, and in containers init does not always reap.
   */
  static boolean alive(long pid) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty() || !h.get().isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Prints how long the test has run, to see where its time goes. */
  void step(String what) {
    System.out.printf(
        "[e2e] %s +%.1fs %s%n", testName, (System.nanoTime() - startedNanos) / 1e9, what);
  }

  // ---------------------------------------------------------------- shared steps

  Processes.Orchestrator orchestrator(String name) {
    return procs.startOrchestrator(name, Processes.ServerOptions.h2(dir.resolve(name + "-data")));
  }

  static String adminToken(Processes.Orchestrator o) {
    Path file = o.dataDir.resolve("admin.token");
    await("admin token in " + file)
        .atMost(WAIT)
        .until(() -> Files.isReadable(file) && !Files.readString(file).isBlank());
    try {
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Cli cli(Processes.Orchestrator o) {
    return Cli.withToken(o.address(), adminToken(o)).trusting(o.trustFile);
  }

  /** An environment with {@code units} process units allocated to it (P1 pool). */
  static void environmentWithCapacity(Cli cli, String env, int units) {
    cli.run("env", "create", env, "--type", "PRODUCTION").ok();
    cli.run("capacity", "purchase", "--sku", "PROCESS", "--quantity", Integer.toString(units)).ok();
    cli.run(
            "capacity",
            "allocate",
            "--env",
            env,
            "--sku",
            "PROCESS",
            "--quantity",
            Integer.toString(units))
        .ok();
  }

  static String joinToken(Cli cli, String env, String group) {
    List<String> args =
        new ArrayList<>(List.of("machine", "join-token", "--env", env, "--ttl", "10m"));
    if (group != null) {
      args.addAll(List.of("--group", group));
    }
    String token =
        cli.json(CreateJoinTokenResponse.newBuilder(), args.toArray(String[]::new)).getToken();
    assertThat(token).isNotBlank();
    return token;
  }

  /** Agent options for a machine called {@code name}, its data under {@code <dir>/<name>-agent}. */
  List<String> agentArgs(Processes.Orchestrator o, String name, String token, int maxSessions) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--server", o.address(),
                "--flows-dir", flowsDir.toString(),
                "--data-dir", agentData(name).toString(),
                "--http-port", "0",
                "--http-host", "127.0.0.1",
                "--machine-name", name,
                "--max-sessions", Integer.toString(maxSessions)));
    if (token != null) {
      args.addAll(List.of("--join-token", token));
    }
    return args;
  }

  Path agentData(String name) {
    return dir.resolve(name + "-agent");
  }

  Processes.Proc agent(Processes.Orchestrator o, String name, String token, int maxSessions) {
    return agent(o, name, token, maxSessions, Map.of());
  }

  Processes.Proc agent(
      Processes.Orchestrator o,
      String name,
      String token,
      int maxSessions,
      Map<String, String> env) {
    return procs.startAgent(name, agentArgs(o, name, token, maxSessions), env);
  }

  /** Starts an agent and waits until the orchestrator shows its machine ONLINE. */
  Processes.Proc onlineAgent(
      Processes.Orchestrator o, Cli cli, String name, String token, int maxSessions) {
    Processes.Proc a = agent(o, name, token, maxSessions);
    awaitMachine(cli, name, a, MachineStatus.MACHINE_STATUS_ONLINE);
    return a;
  }

  /**
   * Waits for the machine's status; fails at once if {@code agent} (when given) exits meanwhile.
   */
  static void awaitMachine(Cli cli, String name, Processes.Proc agent, MachineStatus status) {
    await("machine " + name + " " + status)
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              if (agent != null && !agent.alive()) {
                throw new IllegalStateException(
                    agent + " exited with " + agent.process.exitValue() + ":\n" + agent.tail(30));
              }
              Cli.Result r = cli.jsonResult("machine", "show", name, "--env", ENV);
              return r.exitCode() == 0
                  && Cli.parse(r.out(), GetMachineResponse.newBuilder()).getMachine().getStatus()
                      == status;
            });
  }

  static Machine machine(Cli cli, String name) {
    return cli.json(GetMachineResponse.newBuilder(), "machine", "show", name, "--env", ENV)
        .getMachine();
  }

  static Run run(Cli cli, String id) {
    return cli.json(Run.newBuilder(), "run", "show", id).build();
  }

  static Run awaitRun(Cli cli, String id, RunState state, Duration max) {
    Run[] last = new Run[1];
    await("run " + id + " " + state)
        .atMost(max)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> (last[0] = run(cli, id)).getState() == state);
    return last[0];
  }

  static boolean terminal(RunState s) {
    return s == RunState.RUN_STATE_SUCCEEDED
        || s == RunState.RUN_STATE_FAILED
        || s == RunState.RUN_STATE_CANCELLED
        || s == RunState.RUN_STATE_TIMED_OUT;
  }

  /** Submits a run of {@code flow} on {@code machine} and returns it as the CLI printed it. */
  static Run submit(Cli cli, String flow, String machine, String... inputs) {
    List<String> args =
        new ArrayList<>(
            List.of("run", "submit", "--env", ENV, "--flow", flow, "--machine", machine));
    for (String input : inputs) {
      args.addAll(List.of("--input", input));
    }
    return cli.json(Run.newBuilder(), args.toArray(String[]::new)).build();
  }

  /** Submits a run with the CLI's --wait and requires it to succeed (exit 0). */
  static void runToSuccess(Cli cli, String flow, String machine) {
    cli.run(
            "run",
            "submit",
            "--env",
            ENV,
            "--flow",
            flow,
            "--machine",
            machine,
            "--wait",
            "--wait-timeout",
            "60s")
        .ok();
  }

  /** Inputs of the sleep flow; its pid files live under pids/. */
  List<String> sleepInputs(String tag, int seconds) {
    return List.of(
        "seconds=" + seconds,
        "pidfile=" + pidDir.resolve(tag + ".pid"),
        "childfile=" + pidDir.resolve(tag + ".child.pid"),
        "donefile=" + dir.resolve(tag + ".done"));
  }

  /** Waits for the sleep flow of {@code tag} to write its own pid and its grandchild's. */
  List<Long> awaitPids(String tag) {
    List<Long> pids = new ArrayList<>();
    await("pid files of " + tag)
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              var a = readPid(pidDir.resolve(tag + ".pid"));
              var b = readPid(pidDir.resolve(tag + ".child.pid"));
              if (a.isPresent() && b.isPresent()) {
                pids.clear();
                pids.add(a.get());
                pids.add(b.get());
                return true;
              }
              return false;
            });
    return pids;
  }

  static java.time.Instant ts(com.google.protobuf.Timestamp t) {
    return java.time.Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  static String scrape(Processes.Orchestrator o) {
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(o.metricsUrl()))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sum of the samples of {@code name} whose labels contain every one of {@code labels}. */
  static double metric(String scrape, String name, String... labels) {
    double sum = 0;
    for (String line : scrape.split("\n")) {
      if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      boolean all = true;
      for (String l : labels) {
        all &= line.contains(l);
      }
      if (all) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** Prints where the logs are, and their last lines, when a test fails. */
  static final class PrintLogsOnFailure implements TestWatcher {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      context
          .getTestInstance()
          .filter(EndToEnd.class::isInstance)
          .map(EndToEnd.class::cast)
          .ifPresent(
              t -> {
                if (t.procs != null) {
                  System.err.println(
                      "\n*** "
                          + context.getDisplayName()
                          + " failed; test folder kept: "
                          + t.dir
                          + "\n"
                          + t.procs.report());
                }
              });
    }
  }
}
