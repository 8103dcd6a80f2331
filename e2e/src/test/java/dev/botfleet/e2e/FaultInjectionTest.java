package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.e2e.ExactlyOnceChecker.AckedReport;
import dev.botfleet.e2e.ExactlyOnceChecker.Execution;
import dev.botfleet.e2e.ExactlyOnceChecker.RunRecord;
import dev.botfleet.e2e.ExactlyOnceChecker.Submitted;
import dev.botfleet.e2e.ExactlyOnceChecker.Violation;
import dev.botfleet.proto.v1.ListRunsRequest;
import dev.botfleet.proto.v1.ListRunsResponse;
import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.Run;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunServiceGrpc.RunServiceBlockingStub;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.testing.BearerToken;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.CuttableTcpProxy;
import dev.botfleet.testing.PrivatePostgres;
import dev.botfleet.testing.Processes;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exactly once under faults (issue 9; SPEC R2, R5, R6, A3, A6): a real orchestrator on a private
 * PostgreSQL cluster, three real agents (2 bots each) behind TCP proxies, and runs of two real
 * flows (one retryable, one not) submitted all along, while a random schedule of faults plays for a
 * bounded time: {@code kill -9} of the orchestrator (restarted on the same data dir and port), of
 * agents (restarted on the same data dir), {@code SIGSTOP} of an agent past its offline time-out
 * and sometimes its assignment lease, a dropped or silently stalled agent connection, and
 * PostgreSQL crashed ({@code pg_ctl -m immediate stop}) and started again. Then everything is
 * healed, the queue drains (bounded), and {@link ExactlyOnceChecker} says what broke.
 *
 * <p>The seed is printed; {@code -Dbotfleet.faults.seed=N} replays its schedule (the timing of the
 * processes still varies). {@code -Dbotfleet.faults.seconds=600} plays faults for ten minutes
 * instead of {@value #DEFAULT_SECONDS} s (docs/operations.md, "Fault-injection test"). Kept in the
 * test folder when it fails: the schedule ({@code faults.txt}), the report ({@code
 * faults-report.txt}), the flows' ledger and every process's log, PostgreSQL's included.
 */
class FaultInjectionTest extends EndToEnd {
  static final String SEED_PROPERTY = "botfleet.faults.seed";
  static final String SECONDS_PROPERTY = "botfleet.faults.seconds";
  static final int DEFAULT_SECONDS = 40;

  static final List<String> MACHINES = List.of("m1", "m2", "m3");
  static final int BOTS = 2;
  static final String GROUP = "fleet";

  /** Not retryable: must never execute twice. */
  static final String ONCE = "once";

  /** Retryable (R5): re-queued when its agent is lost. */
  static final String AGAIN = "again";

  /** The submitter waits while this many runs are queued: twice the fleet's bots. */
  static final int MAX_QUEUED = 2 * BOTS * 3;

  /** After the faults: how long the queue may take to drain, and reports to be acknowledged. */
  static final Duration DRAIN = Duration.ofSeconds(90);

  enum Fault {
    KILL_ORCHESTRATOR,
    KILL_AGENT,
    FREEZE_AGENT,
    CUT_LINK,
    STALL_LINK,
    RESTART_POSTGRES
  }

  private PrivatePostgres pg;
  private final Map<String, CuttableTcpProxy> proxies = new TreeMap<>();
  private final Map<String, Processes.Proc> agents = new ConcurrentHashMap<>();
  private final Map<String, List<Processes.Proc>> agentProcesses = new ConcurrentHashMap<>();
  private final List<String> schedule = Collections.synchronizedList(new ArrayList<>());
  private volatile Processes.Orchestrator orch;
  private Processes.ServerOptions options;
  private Path ledgerFlows;
  private Path ledger;
  private int orchestratorStarts;
  private long t0;

  @AfterEach
  void stopEverything() throws IOException {
    // Processes first (a frozen agent dies of SIGKILL too), so nothing holds the database; flows
    // orphaned by killed agents with their sleeping children (their pids are under pids/).
    killOrphanedFlows();
    killEverything();
    killOrphanedFlows();
    for (CuttableTcpProxy p : proxies.values()) {
      p.close();
    }
    if (pg != null) {
      pg.copyLogTo(dir.resolve("logs").resolve("postgres.log"));
      pg.close();
    }
  }

  private void killOrphanedFlows() {
    for (long pid : pidsIn(pidDir)) {
      ProcessHandle.of(pid)
          .filter(EndToEnd::isFlowProcess)
          .ifPresent(
              h -> {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
              });
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.HOURS) // the real bound is below: it depends on the length
  void r5_a6_r2_every_run_executes_and_ends_exactly_once_under_faults() throws Exception {
    long seed = Long.getLong(SEED_PROPERTY, new SecureRandom().nextLong());
    int seconds = Integer.getInteger(SECONDS_PROPERTY, DEFAULT_SECONDS);
    System.out.printf(
        "[faults] seed=%d seconds=%d (replay: -D%s=%d -D%s=%d)%n",
        seed, seconds, SEED_PROPERTY, seed, SECONDS_PROPERTY, seconds);
    Assertions.assertTimeoutPreemptively(
        Duration.ofSeconds(seconds).plus(DRAIN).plusSeconds(240), () -> play(seed, seconds));
  }

  private void play(long seed, int seconds) throws Exception {
    t0 = System.nanoTime();
    pg = PrivatePostgres.start();
    step("PostgreSQL up: " + pg);
    options =
        Processes.ServerOptions.h2(dir.resolve("orch-data"))
            .onPort(Processes.freePort())
            .withDatabase(pg.db());
    startOrchestrator();
    step("orchestrator up");
    Cli cli = cli(orch);
    String token = adminToken(orch);
    environmentWithCapacity(cli, ENV, MACHINES.size() * BOTS);
    cli.run("group", "create", GROUP, "--env", ENV).ok();
    cli.run("desktop-flow", "set", AGAIN, "--env", ENV, "--retryable").ok();
    cli.run("desktop-flow", "set", ONCE, "--env", ENV).ok();
    ledgerFlows = Flows.installLedger(dir.resolve("ledger-flows"), ONCE, AGAIN);
    ledger = dir.resolve("ledger.txt");
    step("environment set up");
    for (String m : MACHINES) {
      proxies.put(m, new CuttableTcpProxy("127.0.0.1", orch.grpcPort).start());
      startAgent(m, joinToken(cli, ENV, GROUP));
    }
    step("agents started");
    for (String m : MACHINES) {
      awaitMachine(cli, m, agents.get(m), MachineStatus.MACHINE_STATUS_ONLINE);
      cli.run("machine", "bots", "allocate", m, "--env", ENV, "--count", Integer.toString(BOTS))
          .ok();
      cli.run("machine", "auto-allocation", m, "--env", ENV, "--off").ok();
    }
    step("machines online with bots");
    for (String m : MACHINES) {
      Processes.Proc agent = agents.get(m);
      await("agent " + m + " knows its bots")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> agent.log().contains("bots=" + BOTS + " maintenance=false"));
    }
    step("fleet up");

    ManagedChannel channel = Processes.channelTo(orch.address(), orch.trustFile);
    try {
      RunServiceBlockingStub stub =
          RunServiceGrpc.newBlockingStub(channel).withCallCredentials(BearerToken.bearer(token));
      Instant faultsEnd = Instant.now().plusSeconds(seconds);
      Submitter submitter =
          new Submitter(stub, channel, new Random(seed ^ 0x5DEECE66DL), faultsEnd);
      Thread submitting = new Thread(submitter, "fault-test-submitter");
      submitting.setDaemon(true);
      submitting.start();
      try {
        playFaults(new Random(seed), faultsEnd);
      } finally {
        submitter.stopAt = Instant.now(); // late keys are still retried until acknowledged
        submitting.join(DRAIN.toMillis());
        submitting.interrupt();
      }
      step("faults over after " + schedule.size() + " faults; " + submitter.done.size() + " runs");
      healed();
      drain(stub, submitter);
      check(seed, seconds, stub, submitter, cli);
    } finally {
      channel.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- the schedule

  /**
   * Plays faults one after another: first each kind once (in an order of the seed, even past {@code
   * end}), then kinds at random until {@code end}. Every draw of the seed happens whatever the
   * kind, so one seed gives one schedule.
   */
  private void playFaults(Random rnd, Instant end) throws Exception {
    List<Fault> first = new ArrayList<>(List.of(Fault.values()));
    Collections.shuffle(first, rnd);
    for (int i = 0; i < first.size() || Instant.now().isBefore(end); i++) {
      Fault f =
          i < first.size() ? first.get(i) : Fault.values()[rnd.nextInt(Fault.values().length)];
      String m = MACHINES.get(rnd.nextInt(MACHINES.size()));
      double u = rnd.nextDouble();
      long gapMs = 1000 + rnd.nextInt(2000);
      long holdMs =
          switch (f) {
            case KILL_ORCHESTRATOR, KILL_AGENT -> 200 + (long) (u * 2800);
            // Past offline-after (3 s) always, past the assignment lease (10 s) sometimes.
            case FREEZE_AGENT -> 4000 + (long) (u * 9000);
            case CUT_LINK -> 500 + (long) (u * 3500);
            case STALL_LINK -> 2000 + (long) (u * 6000);
            case RESTART_POSTGRES -> (long) (u * 3000);
          };
      String line =
          String.format(
              "+%.1fs %s%s for %d ms",
              (System.nanoTime() - t0) / 1e9,
              f,
              f == Fault.KILL_ORCHESTRATOR || f == Fault.RESTART_POSTGRES ? "" : " " + m,
              holdMs);
      schedule.add(line);
      Files.writeString(
          dir.resolve("faults.txt"),
          line + "\n",
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      apply(f, m, holdMs);
      Thread.sleep(gapMs);
    }
  }

  private void apply(Fault f, String m, long holdMs) throws Exception {
    switch (f) {
      case KILL_ORCHESTRATOR -> {
        orch.proc.kill9();
        Thread.sleep(holdMs);
        startOrchestrator();
      }
      case KILL_AGENT -> {
        agents.get(m).kill9();
        Thread.sleep(holdMs);
        startAgent(m, null);
      }
      case FREEZE_AGENT -> {
        Processes.Proc a = agents.get(m);
        signal(a, "STOP");
        try {
          Thread.sleep(holdMs);
        } finally {
          signal(a, "CONT");
        }
      }
      case CUT_LINK -> {
        proxies.get(m).cut();
        try {
          Thread.sleep(holdMs);
        } finally {
          proxies.get(m).restore();
        }
      }
      case STALL_LINK -> {
        proxies.get(m).pause();
        try {
          Thread.sleep(holdMs);
        } finally {
          proxies.get(m).resume();
        }
      }
      case RESTART_POSTGRES -> {
        pg.stopImmediately();
        try {
          Thread.sleep(holdMs);
        } finally {
          pg.startServer();
        }
      }
    }
  }

  private static void signal(Processes.Proc p, String signal) throws Exception {
    Process kill =
        // The shell's own kill: no procps needed on a bare machine.
        new ProcessBuilder("sh", "-c", "kill -" + signal + " " + p.pid())
            .redirectErrorStream(true)
            .start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError(
          "kill -"
              + signal
              + " "
              + p
              + " failed: "
              + new String(kill.getInputStream().readAllBytes()));
    }
  }

  private void startOrchestrator() {
    orch = procs.startOrchestrator("orch-" + orchestratorStarts++, options);
  }

  private void startAgent(String m, String joinToken) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "agent",
                "--server",
                "127.0.0.1:" + proxies.get(m).port(),
                "--flows-dir",
                ledgerFlows.toString(),
                "--data-dir",
                agentData(m).toString(),
                "--http-port",
                "0",
                "--http-host",
                "127.0.0.1",
                "--machine-name",
                m,
                "--max-sessions",
                Integer.toString(BOTS)));
    if (joinToken != null) {
      args.addAll(List.of("--join-token", joinToken));
    }
    // The agent logs each acknowledged report at debug: the checker reads those lines.
    List<String> jvm = new ArrayList<>(Processes.SMALL_JVM);
    jvm.add("-Dorg.slf4j.simpleLogger.log.dev.botfleet.agent.link.Assignments=debug");
    List<Processes.Proc> started = agentProcesses.computeIfAbsent(m, k -> new ArrayList<>());
    Processes.Proc p =
        procs.start(
            m + "-" + started.size(),
            Processes.AGENT_MAIN,
            jvm,
            args,
            Map.of(
                "E2E_LEDGER", ledger.toString(),
                "E2E_MACHINE", m,
                "E2E_PIDS", pidDir.toString()));
    started.add(p);
    agents.put(m, p);
  }

  /** Nothing is faulty any more: every process runs, links relay, PostgreSQL answers. */
  private void healed() {
    if (!orch.proc.alive()) {
      startOrchestrator();
    }
    for (String m : MACHINES) {
      proxies.get(m).resume();
      if (!agents.get(m).alive()) {
        startAgent(m, null);
      }
    }
  }

  // ---------------------------------------------------------------- submitting

  /**
   * Submits runs to the group until {@code stopAt}, a few a second, each with its own idempotency
   * key (R6): a call that fails (orchestrator or database down) is retried with the same key until
   * the server acknowledges it, so every run the server created is known here.
   */
  final class Submitter implements Runnable {
    final RunServiceBlockingStub stub;
    final ManagedChannel channel;
    final Random rnd;
    volatile Instant stopAt;
    final List<Submitted> done = Collections.synchronizedList(new ArrayList<>());
    final Map<String, String> unacknowledged = new ConcurrentHashMap<>();

    Submitter(RunServiceBlockingStub stub, ManagedChannel channel, Random rnd, Instant stopAt) {
      this.stub = stub;
      this.channel = channel;
      this.rnd = rnd;
      this.stopAt = stopAt;
    }

    @Override
    public void run() {
      // Mostly short runs, and some longer than an orchestrator restart or the assignment lease.
      double[] seconds = {0.1, 0.2, 0.5, 1, 1, 2, 3, 8, 12};
      try {
        for (int i = 0; Instant.now().isBefore(stopAt); i++) {
          boolean retryable = rnd.nextDouble() < 0.3;
          SubmitRunRequest req =
              SubmitRunRequest.newBuilder()
                  .setEnvironment(ENV)
                  .setFlow(retryable ? AGAIN : ONCE)
                  .setTarget(RunTarget.newBuilder().setGroup(GROUP))
                  .putInputs("seconds", Double.toString(seconds[rnd.nextInt(seconds.length)]))
                  .setIdempotencyKey("fault-" + i)
                  .build();
          awaitRoomInQueue();
          submit(req, retryable, Instant.now().plus(DRAIN));
          Thread.sleep(100 + rnd.nextInt(250));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /**
     * Keeps the backlog near what the fleet can run, so the queue can drain after the faults: waits
     * (at most 10 s) while {@link #MAX_QUEUED} runs are queued. An error lets the submission go on.
     */
    void awaitRoomInQueue() throws InterruptedException {
      Instant until = Instant.now().plusSeconds(10);
      while (Instant.now().isBefore(until) && Instant.now().isBefore(stopAt)) {
        try {
          int queued =
              stub.withDeadlineAfter(2, TimeUnit.SECONDS)
                  .listRuns(
                      ListRunsRequest.newBuilder()
                          .setEnvironment(ENV)
                          .setState(dev.botfleet.proto.v1.RunState.RUN_STATE_QUEUED)
                          .setPageSize(MAX_QUEUED)
                          .build())
                  .getRunsCount();
          if (queued < MAX_QUEUED) {
            return;
          }
        } catch (StatusRuntimeException e) {
          return;
        }
        Thread.sleep(250);
      }
    }

    void submit(SubmitRunRequest req, boolean retryable, Instant giveUpAt)
        throws InterruptedException {
      String key = req.getIdempotencyKey();
      unacknowledged.put(key, "not sent");
      while (Instant.now().isBefore(giveUpAt)) {
        try {
          Run run = stub.withDeadlineAfter(5, TimeUnit.SECONDS).submitRun(req).getRun();
          done.add(new Submitted(key, run.getId(), retryable));
          unacknowledged.remove(key);
          return;
        } catch (StatusRuntimeException e) {
          unacknowledged.put(key, e.getStatus().toString());
          channel.resetConnectBackoff(); // the server may be back: try now, not after backoff
          Thread.sleep(300);
        }
      }
    }
  }

  // ---------------------------------------------------------------- draining and checking

  private void drain(RunServiceBlockingStub stub, Submitter submitter) {
    Instant until = Instant.now().plus(DRAIN);
    try {
      await("every submitted run ended")
          .atMost(DRAIN)
          .pollInterval(Duration.ofSeconds(1))
          .ignoreExceptions()
          .until(
              () ->
                  listRuns(stub).stream()
                      .allMatch(r -> ExactlyOnceChecker.TERMINAL.contains(state(r))));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      step("queue not drained after " + DRAIN + ": the checker says which runs are left");
    }
    try {
      await("every final report acknowledged")
          .atMost(Duration.between(Instant.now(), until).plusSeconds(10))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> pendingLeft().values().stream().allMatch(List::isEmpty));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      step("reports still pending on agents: the checker lists them");
    }
    step("drained");
  }

  private void check(
      long seed, int seconds, RunServiceBlockingStub stub, Submitter submitter, Cli cli)
      throws Exception {
    // The ledger and the agents' logs first, the runs after: an execution or an acknowledgement
    // seen here happened before the listing, so the listing must account for it.
    List<Execution> executions =
        ExactlyOnceChecker.parseLedger(
            Files.exists(ledger) ? Files.readAllLines(ledger) : List.of());
    List<AckedReport> acked = new ArrayList<>();
    long refusals = 0;
    for (String m : MACHINES) {
      List<String> lines = new ArrayList<>();
      for (Processes.Proc p : agentProcesses.get(m)) {
        lines.addAll(List.of(p.log().split("\n")));
      }
      refusals += lines.stream().filter(l -> l.contains("event=assign_refused")).count();
      acked.addAll(ExactlyOnceChecker.parseAgentLogs(m, lines));
    }
    Map<String, List<String>> pendingLeft = pendingLeft();
    List<RunRecord> first = records(listRuns(stub));
    // A run that ended must stay ended: look again after some sweeps and reconciliations.
    Thread.sleep(4000);
    List<Run> lastListing = listRuns(stub);
    List<RunRecord> second = records(lastListing);
    Map<String, Integer> bots = new TreeMap<>();
    for (String m : MACHINES) {
      bots.put(m, machine(cli, m).getBots());
    }
    List<Violation> violations =
        ExactlyOnceChecker.check(
            new ExactlyOnceChecker.Input(
                List.copyOf(submitter.done),
                List.copyOf(submitter.unacknowledged.keySet()),
                first,
                second,
                executions,
                acked,
                pendingLeft,
                bots));

    long retryable = submitter.done.stream().filter(Submitted::retryable).count();
    Map<String, Long> states = new TreeMap<>();
    for (Run r : lastListing) {
      String why =
          r.getFailureReason()
                  == dev.botfleet.proto.v1.RunFailureReason.RUN_FAILURE_REASON_UNSPECIFIED
              ? ""
              : "/" + r.getFailureReason().name().substring("RUN_FAILURE_REASON_".length());
      states.merge(state(r) + why + (r.hasLateResult() ? "+late" : ""), 1L, Long::sum);
    }
    StringBuilder report = new StringBuilder();
    report
        .append("seed ")
        .append(seed)
        .append(", ")
        .append(seconds)
        .append(" s of faults; replay: -D")
        .append(SEED_PROPERTY)
        .append('=')
        .append(seed)
        .append(" -D")
        .append(SECONDS_PROPERTY)
        .append('=')
        .append(seconds)
        .append('\n');
    report
        .append(submitter.done.size())
        .append(" runs acknowledged (")
        .append(retryable)
        .append(" retryable), ")
        .append(submitter.unacknowledged.size())
        .append(" not; ")
        .append(executions.size())
        .append(" executions; ")
        .append(acked.size())
        .append(" acknowledged reports; ")
        .append(refusals)
        .append(" assignments refused by agents (NO_FREE_SLOT); end states ")
        .append(states)
        .append('\n');
    report.append("faults:\n");
    schedule.forEach(s -> report.append("  ").append(s).append('\n'));
    submitter.unacknowledged.forEach(
        (k, why) ->
            report.append("unacknowledged ").append(k).append(": ").append(why).append('\n'));
    report.append(violations.size()).append(" violations:\n");
    violations.forEach(v -> report.append("  ").append(v).append('\n'));
    Files.writeString(dir.resolve("faults-report.txt"), report.toString());
    // Also where the build keeps it, for the long runs: target/fault-reports/<seed>.txt.
    Path kept = Path.of("target", "fault-reports").toAbsolutePath();
    Files.createDirectories(kept);
    Files.writeString(kept.resolve(seed + ".txt"), report.toString());
    System.out.printf(
        "[faults] seed=%d: %d runs, %d faults, %d executions, %d acknowledged reports, end states"
            + " %s: %d violations (report: %s)%n",
        seed,
        submitter.done.size(),
        schedule.size(),
        executions.size(),
        acked.size(),
        states,
        violations.size(),
        kept.resolve(seed + ".txt"));

    assertThat(submitter.done).as("runs submitted while faults played").isNotEmpty();
    assertThat(violations)
        .as(
            "exactly once under faults (report and logs kept in %s):%n%s",
            dir, truncate(report.toString(), 60))
        .isEmpty();
  }

  private static String truncate(String s, int lines) {
    String[] all = s.split("\n");
    if (all.length <= lines) {
      return s;
    }
    return String.join("\n", java.util.Arrays.copyOf(all, lines))
        + "\n... "
        + (all.length - lines)
        + " more lines in faults-report.txt";
  }

  /** Every run of the environment, page by page. */
  private static List<Run> listRuns(RunServiceBlockingStub stub) {
    List<Run> all = new ArrayList<>();
    String token = "";
    do {
      ListRunsResponse page =
          stub.withDeadlineAfter(10, TimeUnit.SECONDS)
              .listRuns(
                  ListRunsRequest.newBuilder()
                      .setEnvironment(ENV)
                      .setPageSize(1000)
                      .setPageToken(token)
                      .build());
      all.addAll(page.getRunsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  private static String state(Run r) {
    return r.getState().name().substring("RUN_STATE_".length());
  }

  private static List<RunRecord> records(List<Run> runs) {
    List<RunRecord> out = new ArrayList<>();
    for (Run r : runs) {
      out.add(
          new RunRecord(
              r.getId(),
              state(r),
              r.getAttempt(),
              r.getMachine(),
              r.getBotId(),
              r.hasStartedAt() ? ts(r.getStartedAt()) : null,
              r.hasEndedAt() ? ts(r.getEndedAt()) : null,
              r.hasLateResult()
                  ? r.getLateResult().getOutcome().name().substring("RUN_STATE_".length())
                  : null));
    }
    return out;
  }

  /** Final reports each agent still keeps on disk, by machine: run ids (file names). */
  private Map<String, List<String>> pendingLeft() {
    Map<String, List<String>> left = new LinkedHashMap<>();
    for (String m : MACHINES) {
      Path pending = agentData(m).resolve("pending");
      List<String> runs = new ArrayList<>();
      if (Files.isDirectory(pending)) {
        try (Stream<Path> files = Files.list(pending)) {
          files
              .map(f -> f.getFileName().toString())
              .filter(n -> n.endsWith(".pb"))
              .forEach(n -> runs.add(n.substring(0, n.length() - 3)));
        } catch (IOException e) {
          runs.add("(cannot list " + pending + ": " + e + ")");
        }
      }
      left.put(m, runs);
    }
    return left;
  }
}
