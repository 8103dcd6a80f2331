package dev.botfleet.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.botfleet.proto.v1.MachineStatus;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunServiceGrpc.RunServiceBlockingStub;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.testing.BearerToken;
import dev.botfleet.testing.Cli;
import dev.botfleet.testing.Processes;
import dev.botfleet.testing.TestDatabases;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** P5, R2 and "assigned exactly once" with two orchestrator processes on one PostgreSQL. */
class TwoOrchestratorsTest extends EndToEnd {
  static final int RUNS = 150;
  static final int BOTS_PER_MACHINE = 3;
  static final List<String> MACHINES = List.of("m1", "m2", "m3", "m4");

  /** One run as the database has it. */
  record RunRow(
      String id,
      String state,
      int attempt,
      String machineId,
      String botId,
      Instant started,
      Instant ended) {}

  @Test
  void p5_r2_two_orchestrators_on_one_postgres_assign_every_run_exactly_once() throws Exception {
    TestDatabases.Db db = TestDatabases.emptyPostgres();
    try {
      burst(db);
    } finally {
      killEverything();
      db.drop();
    }
  }

  private void burst(TestDatabases.Db db) throws Exception {
    long t0 = System.nanoTime();
    // Replicas share one CA (issue 12 §1, docs/security.md): agents enrol with either.
    Path tls = dir.resolve("shared-tls");
    var optionsA =
        Processes.ServerOptions.h2(dir.resolve("a-data")).withDatabase(db).withTlsDir(tls);
    var optionsB =
        Processes.ServerOptions.h2(dir.resolve("b-data")).withDatabase(db).withTlsDir(tls);
    var a = procs.startOrchestrator("orch-a", optionsA);
    // B starts on the database A created, while A is set up and its first agent starts.
    var bStarting = procs.launchOrchestrator("orch-b", optionsB);
    String token = adminToken(a); // the first server of the database made it; B shares it
    Cli cliA = Cli.withToken(a.address(), token).trusting(a.trustFile);
    environmentWithCapacity(cliA, ENV, MACHINES.size() * BOTS_PER_MACHINE);
    cliA.run("group", "create", "g", "--env", ENV).ok();
    Map<String, Processes.Proc> agents = new HashMap<>();
    agents.put("m1", ledgerAgent(a, "m1", joinToken(cliA, ENV, "g")));
    var b = procs.awaitStarted(bStarting, optionsB);
    Cli cliB = Cli.withToken(b.address(), token).trusting(b.trustFile);
    // m1, m2 hold their stream with A; m3, m4 with B. Join tokens come from both servers.
    agents.put("m2", ledgerAgent(a, "m2", joinToken(cliB, ENV, "g")));
    agents.put("m3", ledgerAgent(b, "m3", joinToken(cliA, ENV, "g")));
    agents.put("m4", ledgerAgent(b, "m4", joinToken(cliB, ENV, "g")));
    for (String m : MACHINES) {
      awaitMachine(cliA, m, agents.get(m), MachineStatus.MACHINE_STATUS_ONLINE);
    }
    for (String m : MACHINES) {
      // Through the replica holding the machine's stream: a change made through the other one
      // reaches the agent only at that replica's next full reload (up to 10 sweeps later).
      Cli admin = m.equals("m1") || m.equals("m2") ? cliA : cliB;
      admin
          .run(
              "machine",
              "bots",
              "allocate",
              m,
              "--env",
              ENV,
              "--count",
              Integer.toString(BOTS_PER_MACHINE))
          .ok();
      admin.run("machine", "auto-allocation", m, "--env", ENV, "--off").ok();
      assertThat(machine(admin, m).getGroup()).isEqualTo("g");
    }
    for (String m : MACHINES) {
      Processes.Proc agent = agents.get(m);
      await("agent " + m + " knows its bots")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  agent
                      .log()
                      .contains("bots=" + BOTS_PER_MACHINE + " maintenance=false heartbeat_ms="));
    }

    System.out.printf("p5_r2: set up in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    long burstStart = System.nanoTime();
    List<String> ids = submitBurst(token, a.address(), b.address());
    System.out.printf(
        "p5_r2: %d runs submitted in %d ms%n", RUNS, (System.nanoTime() - burstStart) / 1_000_000);
    assertThat(new HashSet<>(ids)).hasSize(RUNS);

    try (Connection c = db.connect()) {
      await("all " + RUNS + " runs ended")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  count(
                          c,
                          "SELECT COUNT(*) FROM run WHERE state IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')")
                      == RUNS);
      System.out.printf(
          "p5_r2: all ended %d ms after the first submit%n",
          (System.nanoTime() - burstStart) / 1_000_000);
      Map<String, String> machineNames = new HashMap<>();
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT id, name FROM machine")) {
        while (rs.next()) {
          machineNames.put(rs.getString(1), rs.getString(2));
        }
      }
      Map<String, Integer> botsOf = new HashMap<>();
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT machine_id, COUNT(*) FROM bot GROUP BY machine_id")) {
        while (rs.next()) {
          botsOf.put(machineNames.get(rs.getString(1)), rs.getInt(2));
        }
      }
      List<RunRow> rows = runs(c);

      assertThat(rows).hasSize(RUNS);
      assertThat(rows).extracting(RunRow::id).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(rows)
          .allSatisfy(
              r -> {
                assertThat(r.state()).as("run %s", r.id()).isEqualTo("SUCCEEDED");
                assertThat(r.attempt()).as("run %s assigned exactly once", r.id()).isEqualTo(1);
                assertThat(r.machineId()).isNotNull();
                assertThat(r.botId()).isNotNull();
                assertThat(r.started()).isNotNull();
                assertThat(r.ended()).isNotNull().isAfterOrEqualTo(r.started());
              });
      // P5: no machine holds more bots than its max sessions.
      assertThat(botsOf)
          .containsOnlyKeys(MACHINES)
          .allSatisfy((m, n) -> assertThat(n).isEqualTo(BOTS_PER_MACHINE));

      // R2 from the database: per machine never more runs at once than bots; per bot one.
      Map<String, List<Instant[]>> perMachine = new HashMap<>();
      Map<String, List<Instant[]>> perBot = new HashMap<>();
      for (RunRow r : rows) {
        perMachine
            .computeIfAbsent(machineNames.get(r.machineId()), k -> new ArrayList<>())
            .add(new Instant[] {r.started(), r.ended()});
        perBot
            .computeIfAbsent(r.botId(), k -> new ArrayList<>())
            .add(new Instant[] {r.started(), r.ended()});
      }
      Map<String, Integer> overlap = new HashMap<>();
      perMachine.forEach((m, intervals) -> overlap.put(m, maxOverlap(intervals)));
      System.out.println(
          "p5_r2: runs per machine "
              + countPer(perMachine)
              + ", most at once per machine "
              + overlap);
      assertThat(overlap)
          .allSatisfy((m, n) -> assertThat(n).as("R2 on %s", m).isLessThanOrEqualTo(botsOf.get(m)));
      assertThat(perBot)
          .allSatisfy(
              (bot, intervals) ->
                  assertThat(maxOverlap(intervals)).as("R2 bot %s", bot).isLessThanOrEqualTo(1));
      // Both replicas dispatched: machines of A and machines of B ran some.
      assertThat(perMachine.keySet()).containsExactlyInAnyOrderElementsOf(MACHINES);

      // No run executed twice: each flow process appended its run id to its agent's ledger.
      Map<String, String> ranOn = new HashMap<>();
      for (String m : MACHINES) {
        List<Instant[]> seen = new ArrayList<>();
        for (String line : Files.readAllLines(ledger(m))) {
          String[] f = line.trim().split(" ");
          String previous = ranOn.put(f[0], m);
          assertThat(previous).as("run %s executed twice (%s and %s)", f[0], previous, m).isNull();
          seen.add(new Instant[] {nanos(f[1]), nanos(f[2])});
        }
        assertThat(maxOverlap(seen))
            .as("flows running at once on %s (its own clock)", m)
            .isLessThanOrEqualTo(BOTS_PER_MACHINE);
      }
      assertThat(ranOn.keySet()).containsExactlyInAnyOrderElementsOf(ids);
      for (RunRow r : rows) {
        assertThat(ranOn.get(r.id()))
            .as("run %s ran where the database says", r.id())
            .isEqualTo(machineNames.get(r.machineId()));
      }
    }
    // Each result was accepted once, by one replica or the other.
    double ended =
        metric(scrape(a), "botfleet_runs_ended_total", "state=\"SUCCEEDED\"")
            + metric(scrape(b), "botfleet_runs_ended_total", "state=\"SUCCEEDED\"");
    assertThat(ended).isEqualTo(RUNS);
  }

  Processes.Proc ledgerAgent(Processes.Orchestrator server, String name, String joinToken) {
    return agent(
        server, name, joinToken, BOTS_PER_MACHINE, Map.of("E2E_LEDGER", ledger(name).toString()));
  }

  Path ledger(String machine) {
    return dir.resolve("ledger-" + machine + ".txt");
  }

  /** Submits {@link #RUNS} runs to the group from 8 threads, alternating the two servers. */
  private List<String> submitBurst(String token, String addressA, String addressB)
      throws Exception {
    // Both replicas present certificates of the one shared CA.
    Path trust = dir.resolve("shared-tls").resolve("trust.pem");
    ManagedChannel chA = Processes.channelTo(addressA, trust);
    ManagedChannel chB = Processes.channelTo(addressB, trust);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CallCredentials bearer = BearerToken.bearer(token);
      RunServiceBlockingStub[] stubs = {
        RunServiceGrpc.newBlockingStub(chA).withCallCredentials(bearer),
        RunServiceGrpc.newBlockingStub(chB).withCallCredentials(bearer)
      };
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < RUNS; i++) {
        RunServiceBlockingStub stub = stubs[i % 2];
        SubmitRunRequest req =
            SubmitRunRequest.newBuilder()
                .setEnvironment(ENV)
                .setFlow("echo")
                .setTarget(RunTarget.newBuilder().setGroup("g"))
                .putInputs("greeting", "burst-" + i)
                .putInputs("pause", "0.05")
                .build();
        futures.add(
            pool.submit(
                () ->
                    stub.withDeadlineAfter(30, TimeUnit.SECONDS).submitRun(req).getRun().getId()));
      }
      List<String> ids = new ArrayList<>();
      for (Future<String> f : futures) {
        ids.add(f.get(60, TimeUnit.SECONDS));
      }
      return ids;
    } finally {
      pool.shutdownNow();
      chA.shutdownNow();
      chB.shutdownNow();
    }
  }

  static long count(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static List<RunRow> runs(Connection c) throws Exception {
    List<RunRow> rows = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT id, state, attempt, machine_id, bot_id, started_at, ended_at FROM run")) {
      while (rs.next()) {
        rows.add(
            new RunRow(
                rs.getString(1),
                rs.getString(2),
                rs.getInt(3),
                rs.getString(4),
                rs.getString(5),
                instant(rs.getObject(6, OffsetDateTime.class)),
                instant(rs.getObject(7, OffsetDateTime.class))));
      }
    }
    return rows;
  }

  static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  static Instant nanos(String epochNanos) {
    long n = Long.parseLong(epochNanos);
    return Instant.ofEpochSecond(n / 1_000_000_000L, n % 1_000_000_000L);
  }

  static Map<String, Integer> countPer(Map<String, List<Instant[]>> m) {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    m.forEach((k, v) -> counts.put(k, v.size()));
    return counts;
  }

  /** Most intervals {@code [start, end)} holding at one instant. */
  static int maxOverlap(List<Instant[]> intervals) {
    List<Object[]> events = new ArrayList<>();
    for (Instant[] i : intervals) {
      events.add(new Object[] {i[0], 1});
      events.add(new Object[] {i[1], -1});
    }
    // At the same instant an end comes before a start: back-to-back runs do not overlap.
    events.sort(
        Comparator.<Object[], Instant>comparing(e -> (Instant) e[0])
            .thenComparing(e -> (Integer) e[1]));
    int now = 0;
    int max = 0;
    for (Object[] e : events) {
      now += (Integer) e[1];
      max = Math.max(max, now);
    }
    return max;
  }
}
