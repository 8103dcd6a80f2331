package dev.botfleet.bench;

import static dev.botfleet.testing.BearerToken.bearer;

import dev.botfleet.agent.simulate.FleetSimulator;
import dev.botfleet.orchestrator.Orchestrator;
import dev.botfleet.orchestrator.OrchestratorConfig;
import dev.botfleet.orchestrator.admin.Principal;
import dev.botfleet.orchestrator.capacity.Sku;
import dev.botfleet.orchestrator.environments.EnvironmentType;
import dev.botfleet.orchestrator.machines.Machine;
import dev.botfleet.orchestrator.runs.RunState;
import dev.botfleet.proto.v1.RunServiceGrpc;
import dev.botfleet.proto.v1.RunTarget;
import dev.botfleet.proto.v1.SubmitRunRequest;
import dev.botfleet.proto.v1.SubmitRunResponse;
import dev.botfleet.proto.v1.SubmitRunsRequest;
import dev.botfleet.proto.v1.SubmitRunsResponse;
import dev.botfleet.testing.Processes;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Dispatch benchmarks for issue 3 (not a test; run by hand, see docs/benchmarks.md):
 *
 * <ul>
 *   <li>{@code throughput DB MACHINES BOTS RUNS}: runs dispatched and completed per second at
 *       saturation, with instant flows answered by the fleet simulator over real gRPC;
 *   <li>{@code throughput-batch DB MACHINES BOTS RUNS BATCH}: the same, submitted with SubmitRuns
 *       in batches of BATCH runs (issue 9; at most 1,000), four batches in flight;
 *   <li>{@code series DB N MACHINES BOTS RUNS}: N consecutive {@code throughput} runs, each on a
 *       fresh database, then min / median / max and the load average before and after (issue 9);
 *   <li>{@code latency DB RATE SECONDS}: submit → assigned p50/p99 at a steady submission rate;
 *   <li>{@code backlog DB QUEUED TARGETS HISTORY RUNS N}: as {@code throughput} (50 × 10), N times,
 *       on a database that already holds QUEUED runs waiting for TARGETS groups and HISTORY
 *       finished runs, half of them past the retention period and purged meanwhile (issue 9 target
 *       3; {@code backlog DB 0 0 0 RUNS N} is the empty baseline on the same clock);
 *   <li>{@code idle AGENTS SECONDS}: CPU and memory of an orchestrator process with that many
 *       connected agents heartbeating every 5 s.
 * </ul>
 *
 * DB is {@code h2} or {@code pg} (the local PostgreSQL on 127.0.0.1:5432, a fresh database).
 */
public final class DispatchBenchmark {
  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "throughput";
    switch (mode) {
      case "throughput" ->
          throughput(
              arg(args, 1, "h2"),
              Integer.parseInt(arg(args, 2, "50")),
              Integer.parseInt(arg(args, 3, "10")),
              Integer.parseInt(arg(args, 4, "20000")));
      case "throughput-batch" ->
          throughputBatch(
              arg(args, 1, "h2"),
              Integer.parseInt(arg(args, 2, "50")),
              Integer.parseInt(arg(args, 3, "10")),
              Integer.parseInt(arg(args, 4, "20000")),
              Integer.parseInt(arg(args, 5, "1000")));
      case "latency" ->
          latency(
              arg(args, 1, "h2"),
              Integer.parseInt(arg(args, 2, "200")),
              Integer.parseInt(arg(args, 3, "30")));
      case "series" ->
          Series.run(
              arg(args, 1, "h2"),
              Integer.parseInt(arg(args, 2, "10")),
              Integer.parseInt(arg(args, 3, "50")),
              Integer.parseInt(arg(args, 4, "10")),
              Integer.parseInt(arg(args, 5, "20000")));
      case "backlog" ->
          Backlog.run(
              arg(args, 1, "h2"),
              Integer.parseInt(arg(args, 2, "1000000")),
              Integer.parseInt(arg(args, 3, "1000")),
              Long.parseLong(arg(args, 4, "10000000")),
              Integer.parseInt(arg(args, 5, "20000")),
              Integer.parseInt(arg(args, 6, "1")));
      case "idle" ->
          idle(Integer.parseInt(arg(args, 1, "5000")), Integer.parseInt(arg(args, 2, "60")));
      default ->
          throw new IllegalArgumentException(
              "mode: "
                  + mode
                  + " (expected: throughput, throughput-batch, series, latency, backlog or idle)");
    }
    System.exit(0);
  }

  private static String arg(String[] args, int i, String def) {
    return args.length > i ? args[i] : def;
  }

  record Setup(
      Orchestrator o,
      Principal admin,
      String token,
      FleetSimulator fleet,
      ManagedChannel channel,
      List<String> machines)
      implements AutoCloseable {
    @Override
    public void close() {
      channel.shutdownNow();
      fleet.close();
      o.close();
    }
  }

  static String[] database(String db) throws Exception {
    if (db.equals("h2")) {
      return new String[] {null, null, null};
    }
    String name =
        "botfleet_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c =
            DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
      // -Dbench.pg.settings="k=v;k=v": per-database settings for diagnosis, such as auto_explain
      // (session_preload_libraries=auto_explain;auto_explain.log_min_duration=20); issue 9.
      for (String kv : System.getProperty("bench.pg.settings", "").split(";")) {
        if (!kv.isBlank()) {
          int eq = kv.indexOf('=');
          s.execute(
              "ALTER DATABASE "
                  + name
                  + " SET "
                  + kv.substring(0, eq).trim()
                  + " = '"
                  + kv.substring(eq + 1).trim().replace("'", "''")
                  + "'");
        }
      }
    }
    System.out.println("bench database: " + name);
    return new String[] {"jdbc:postgresql://127.0.0.1:5432/" + name, "postgres", ""};
  }

  static Setup setup(String db, int machines, int bots) throws Exception {
    Path dir = Files.createTempDirectory("botfleet-bench");
    String[] url = database(db);
    OrchestratorConfig config =
        new OrchestratorConfig(
                dir, "127.0.0.1", 0, 0, url[0], url[1], url[2], 16, Clock.systemUTC())
            // The benchmark's one admin submits far above the default per-principal rate (1,000/s):
            // no rate limit, the engine is measured (issue 9).
            .withLimits(OrchestratorConfig.Limits.defaults().withRateLimit(0, 1));
    Orchestrator o = Orchestrator.start(config);
    String token = Files.readString(dir.resolve("admin.token")).trim();
    Principal admin = o.principals.authenticate(token).orElseThrow();
    o.environments.create(admin, "bench", EnvironmentType.PRODUCTION);
    o.capacity.purchase(admin, Sku.PROCESS, (long) machines * bots, false, null);
    o.capacity.allocate(admin, "bench", Sku.PROCESS, (long) machines * bots);
    o.groups.createGroup(admin, "fleet", "bench");
    FleetSimulator fleet =
        FleetSimulator.builder("127.0.0.1:" + o.grpcPort(), token, "bench")
            .machines(machines)
            .botsPerMachine(bots)
            .channels(Math.min(8, machines))
            .heartbeatInterval(Duration.ofSeconds(5))
            .build();
    fleet.start();
    if (!fleet.awaitConnected(Duration.ofMinutes(2))) {
      throw new IllegalStateException("fleet did not connect");
    }
    List<String> names = new ArrayList<>();
    for (Machine m : o.machines.list("bench")) {
      o.bots.allocateBots(admin, m.id(), bots);
      o.groups.addToGroup(admin, "fleet", m.id());
      names.add(m.name());
    }
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", o.grpcPort()).usePlaintext().build();
    Thread.sleep(500);
    return new Setup(o, admin, token, fleet, channel, names);
  }

  /**
   * Submits {@code runs} single SubmitRun calls (256 in flight) and returns the nanoTime when the
   * last one was acknowledged; {@code failed} counts refused submissions.
   */
  static long submitAll(Setup s, int runs, AtomicLong failed) throws InterruptedException {
    var stub = stub(s);
    Semaphore inFlight = new Semaphore(256);
    for (int i = 0; i < runs; i++) {
      inFlight.acquire();
      stub.withDeadlineAfter(60, TimeUnit.SECONDS)
          .submitRun(request(s, i), observer(inFlight, failed));
    }
    inFlight.acquire(256);
    return System.nanoTime();
  }

  static RunServiceGrpc.RunServiceStub stub(Setup s) {
    return RunServiceGrpc.newStub(s.channel()).withCallCredentials(bearer(s.token()));
  }

  static SubmitRunRequest request(Setup s, int i) {
    return SubmitRunRequest.newBuilder()
        .setEnvironment("bench")
        .setFlow("noop")
        .setTarget(RunTarget.newBuilder().setMachine(s.machines().get(i % s.machines().size())))
        .build();
  }

  /** When at least {@code expected} runs have ended (the clock of the throughput modes). */
  private static long finished(Setup s, long expected) throws InterruptedException {
    while (true) {
      Map<RunState, Long> c = s.o().runs.countByState();
      if (c.getOrDefault(RunState.SUCCEEDED, 0L) + c.getOrDefault(RunState.FAILED, 0L)
          >= expected) {
        return System.nanoTime();
      }
      Thread.sleep(200);
    }
  }

  /** Runs per second end to end of one run on a fresh database (also used by {@link Series}). */
  static double throughput(String db, int machines, int bots, int runs) throws Exception {
    try (Setup s = setup(db, machines, bots)) {
      AtomicLong failed = new AtomicLong();
      long start = System.nanoTime();
      long submitted = submitAll(s, runs, failed);
      long done = finished(s, runs - failed.get());
      double secs = (done - start) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "RESULT throughput db=%s machines=%d bots=%d runs=%d submit_failed=%d submit_s=%.2f total_s=%.2f runs_per_s=%.0f%n",
          db,
          machines,
          bots,
          runs,
          failed.get(),
          (submitted - start) / 1e9,
          secs,
          runs / secs);
      System.out.println("RESULT states " + s.o().runs.countByState());
      return runs / secs;
    }
  }

  /** Issue 9: as {@link #throughput}, with SubmitRuns batches of {@code batch} runs. */
  static void throughputBatch(String db, int machines, int bots, int runs, int batch)
      throws Exception {
    if (batch < 1 || batch > 1000) {
      throw new IllegalArgumentException("batch: " + batch + " (expected: 1 to 1000)");
    }
    try (Setup s = setup(db, machines, bots)) {
      var stub = stub(s);
      int window = 4;
      Semaphore inFlight = new Semaphore(window);
      AtomicLong failed = new AtomicLong();
      long start = System.nanoTime();
      for (int i = 0; i < runs; i += batch) {
        var req = SubmitRunsRequest.newBuilder();
        for (int j = i; j < Math.min(runs, i + batch); j++) {
          req.addRuns(request(s, j));
        }
        int size = req.getRunsCount();
        inFlight.acquire();
        stub.withDeadlineAfter(60, TimeUnit.SECONDS)
            .submitRuns(
                req.build(),
                new StreamObserver<>() {
                  @Override
                  public void onNext(SubmitRunsResponse value) {
                    for (var r : value.getResultsList()) {
                      if (r.hasError() && failed.incrementAndGet() <= 3) {
                        System.err.println("submit failed: " + r.getError());
                      }
                    }
                  }

                  @Override
                  public void onError(Throwable t) {
                    if (failed.addAndGet(size) <= 3L * size) {
                      System.err.println("batch failed: " + t);
                    }
                    inFlight.release();
                  }

                  @Override
                  public void onCompleted() {
                    inFlight.release();
                  }
                });
      }
      inFlight.acquire(window);
      long submitted = System.nanoTime();
      long done = finished(s, runs - failed.get());
      double secs = (done - start) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "RESULT throughput-batch db=%s machines=%d bots=%d runs=%d batch=%d submit_failed=%d submit_s=%.2f total_s=%.2f runs_per_s=%.0f%n",
          db,
          machines,
          bots,
          runs,
          batch,
          failed.get(),
          (submitted - start) / 1e9,
          secs,
          runs / secs);
      System.out.println("RESULT states " + s.o().runs.countByState());
    }
  }

  /** Seconds of the same load before the measured window: a server runs warm (JIT, pools). */
  static final int LATENCY_WARM_UP_S = Integer.getInteger("bench.warmup", 20);

  static void latency(String db, int rate, int seconds) throws Exception {
    try (Setup s = setup(db, 50, 10)) {
      var stub = stub(s);
      Semaphore inFlight = new Semaphore(10_000);
      AtomicLong failed = new AtomicLong();
      long intervalNanos = 1_000_000_000L / rate;
      int warm = rate * LATENCY_WARM_UP_S;
      int total = rate * seconds;
      Instant measuredFrom = null;
      long start = System.nanoTime();
      for (int i = 0; i < warm + total; i++) {
        long due = start + i * intervalNanos;
        // Parked, not spun: a spinning pacer took one of the machine's two cores from what it
        // measures (issue 9).
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
        if (i == warm) {
          measuredFrom = Instant.now();
        }
        inFlight.acquire();
        stub.withDeadlineAfter(60, TimeUnit.SECONDS)
            .submitRun(request(s, i), observer(inFlight, failed));
      }
      inFlight.acquire(10_000);
      Thread.sleep(2000);
      List<Long> micros = new ArrayList<>();
      try (Connection c = s.o().database.dataSource().getConnection();
          java.sql.PreparedStatement st =
              c.prepareStatement(
                  "SELECT submitted_at, assigned_at FROM run WHERE assigned_at IS NOT NULL"
                      + " AND submitted_at >= ?")) {
        st.setObject(1, OffsetDateTime.ofInstant(measuredFrom, java.time.ZoneOffset.UTC));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            Instant a = rs.getObject(1, OffsetDateTime.class).toInstant();
            Instant b = rs.getObject(2, OffsetDateTime.class).toInstant();
            micros.add(Duration.between(a, b).toNanos() / 1000);
          }
        }
      }
      Collections.sort(micros);
      System.out.printf(
          Locale.ROOT,
          "RESULT latency db=%s rate=%d seconds=%d warm_up_s=%d runs=%d assigned=%d submit_failed=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f%n",
          db,
          rate,
          seconds,
          LATENCY_WARM_UP_S,
          total,
          micros.size(),
          failed.get(),
          pct(micros, 0.50),
          pct(micros, 0.90),
          pct(micros, 0.99),
          pct(micros, 0.999),
          micros.get(micros.size() - 1) / 1000.0);
    }
  }

  static double pct(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1)) / 1000.0;
  }

  static void idle(int agents, int seconds) throws Exception {
    Path dir = Files.createTempDirectory("botfleet-bench-idle");
    try (Processes procs = new Processes(dir)) {
      Processes.Orchestrator o =
          procs.startOrchestrator(
              "orchestrator",
              Processes.ServerOptions.h2(dir.resolve("data"))
                  // The fleet simulator speaks plaintext (no per-agent certificates yet).
                  .withTimings(
                      "--heartbeat-interval",
                      "5s",
                      "--offline-after",
                      "20s",
                      "--insecure-plaintext")
                  .withJvm("-Xmx1g"));
      int grpc = o.grpcPort;
      int http = o.httpPort;
      Processes.Proc p = o.proc;
      System.out.println("orchestrator log: " + p.log);
      String token = o.adminToken();
      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", grpc).usePlaintext().build();
      {
        var env =
            dev.botfleet.proto.v1.EnvironmentServiceGrpc.newBlockingStub(ch)
                .withCallCredentials(bearer(token));
        env.createEnvironment(
            dev.botfleet.proto.v1.CreateEnvironmentRequest.newBuilder()
                .setName("bench")
                .setType(dev.botfleet.proto.v1.EnvironmentType.ENVIRONMENT_TYPE_PRODUCTION)
                .build());
        ch.shutdownNow();
      }
      long t0 = System.nanoTime();
      FleetSimulator fleet =
          FleetSimulator.builder("127.0.0.1:" + grpc, token, "bench")
              .machines(agents)
              .botsPerMachine(1)
              // The server takes at most 100 concurrent calls per connection (issue 12): one
              // channel per 64 virtual agents, or streams past 1,600 wait for a slot for ever.
              .channels(Math.max(16, (agents + 63) / 64))
              .heartbeatInterval(Duration.ofSeconds(5))
              .build();
      fleet.start();
      boolean connected = fleet.awaitConnected(Duration.ofMinutes(5));
      System.out.printf(
          Locale.ROOT,
          "RESULT idle enrol_and_connect_s=%.1f connected=%s (%d)%n",
          (System.nanoTime() - t0) / 1e9,
          connected,
          fleet.connectedCount());
      Thread.sleep(10_000); // settle
      long cpu0 = cpuTicks(p.pid());
      long w0 = System.nanoTime();
      long hb0 = fleet.heartbeats();
      Thread.sleep(seconds * 1000L);
      long cpu1 = cpuTicks(p.pid());
      double wall = (System.nanoTime() - w0) / 1e9;
      double cores = (cpu1 - cpu0) / 100.0 / wall;
      String metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      double heap =
          metrics
              .lines()
              .filter(l -> l.startsWith("jvm_memory_used_bytes{area=\"heap\""))
              .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
              .sum();
      System.out.printf(
          Locale.ROOT,
          "RESULT idle agents=%d connected=%d window_s=%.0f heartbeats_sent=%d orchestrator_cpu_cores=%.3f rss_mib=%d heap_used_mib=%.0f%n",
          agents,
          fleet.connectedCount(),
          wall,
          fleet.heartbeats() - hb0,
          cores,
          rssKib(p.pid()) / 1024,
          heap / 1024 / 1024);
      fleet.close();
    }
  }

  static long cpuTicks(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  static long rssKib(long pid) throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("\\D", ""));
      }
    }
    return -1;
  }

  static StreamObserver<SubmitRunResponse> observer(Semaphore inFlight, AtomicLong failed) {
    return new StreamObserver<>() {
      @Override
      public void onNext(SubmitRunResponse value) {}

      @Override
      public void onError(Throwable t) {
        if (failed.incrementAndGet() <= 3) {
          System.err.println("submit failed: " + t);
        }
        inFlight.release();
      }

      @Override
      public void onCompleted() {
        inFlight.release();
      }
    };
  }
}
